/**
 * The lexical layer of CSV: which separator a file uses, splitting a line into fields (with
 * optional double quotes and "" escapes), and reading a number field.
 */
import { parseDecimal } from './time-parse.js'

export type Delimiter = ',' | ';' | '\t'
const DELIMITERS: readonly Delimiter[] = [',', ';', '\t']

/** The separator that occurs most often outside quotes in this line, or null if none occurs. */
export function detectDelimiter (line: string): Delimiter | null {
  const counts = [0, 0, 0]
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]
    if (ch === '"') quoted = !quoted // an escaped "" toggles twice: no change
    else if (!quoted) {
      const k = DELIMITERS.indexOf(ch as Delimiter)
      if (k >= 0) counts[k]++
    }
  }
  let best: Delimiter | null = null
  let bestCount = 0
  DELIMITERS.forEach((d, k) => { if (counts[k] > bestCount) { best = d; bestCount = counts[k] } })
  return best
}

/** Splits a line into trimmed, unquoted fields; null when a quote is not closed. */
export function splitFields (line: string, delimiter: Delimiter): string[] | null {
  if (!line.includes('"')) {
    const parts = line.split(delimiter)
    for (let i = 0; i < parts.length; i++) parts[i] = parts[i].trim()
    return parts
  }
  const fields: string[] = []
  let i = 0
  for (;;) {
    while (i < line.length && (line[i] === ' ' || line[i] === '\t') && line[i] !== delimiter) i++
    let value = ''
    if (line[i] === '"') {
      i++
      for (;;) {
        const q = line.indexOf('"', i)
        if (q < 0) return null
        value += line.slice(i, q)
        if (line[q + 1] === '"') { value += '"'; i = q + 2; continue }
        i = q + 1
        break
      }
      const next = line.indexOf(delimiter, i)
      const rest = next < 0 ? line.slice(i) : line.slice(i, next)
      // Text after a closing quote ("1.5"x) is malformed: keep it so the number check refuses it.
      value += rest.trim()
      i = next < 0 ? line.length : next
    } else {
      const next = line.indexOf(delimiter, i)
      value = (next < 0 ? line.slice(i) : line.slice(i, next)).trim()
      i = next < 0 ? line.length : next
    }
    fields.push(value.trim())
    if (i >= line.length) return fields
    i++ // past the delimiter
    if (i === line.length) { fields.push(''); return fields }
  }
}

/**
 * Reads a number field; NaN when it is not a finite decimal number. With `decimalComma` (files
 * separated by ';' or tabs, as European spreadsheets write them) "12,5" reads as 12.5.
 */
export function parseNumber (text: string, decimalComma: boolean): number {
  const x = parseDecimal(text)
  if (!Number.isNaN(x) || !decimalComma) return x
  const comma = text.indexOf(',')
  if (comma < 0 || comma !== text.lastIndexOf(',') || text.includes('.')) return NaN
  return parseDecimal(`${text.slice(0, comma)}.${text.slice(comma + 1)}`)
}

// 10^0 … 10^22: every one is an exact double, which makes the fast path below exact.
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`))
/** More significant digits than this may not fit a double's 53-bit integer exactly. */
const FAST_DIGITS = 15


/**
 * Reads the number in text[start, end) without making a substring. Plain decimals of up to 15
 * significant digits (every price and volume we have seen) take the exact fast path: an integer
 * divided by a power of ten is one correctly rounded IEEE operation, so the result equals
 * Number(). Anything else goes through parseNumber.
 */
export function parseNumberAt (text: string, start: number, end: number, decimalComma: boolean): number {
  let i = start
  let c = text.charCodeAt(i)
  const negative = c === 45
  if (negative || c === 43) i++
  let mantissa = 0; let digits = 0; let fraction = 0; let dot = false; let any = false
  for (; i < end; i++) {
    c = text.charCodeAt(i)
    if (c >= 48 && c <= 57) {
      mantissa = mantissa * 10 + (c - 48)
      if (mantissa !== 0) digits++
      if (dot) fraction++
      any = true
    } else if (c === 46 && !dot) {
      dot = true
    } else {
      break
    }
  }
  if (i === end && any && digits <= FAST_DIGITS && fraction < POW10.length) {
    const x = mantissa / POW10[fraction]
    return negative ? -x : x
  }
  return parseNumber(text.slice(start, end), decimalComma)
}

/**
 * Splits rows into field bounds without allocating per field: `split(line)` returns the field
 * count (or -1 for an unclosed quote), after which fields are read by index. Quoted lines take the
 * slow path through splitFields and are re-laid as the fields' concatenation.
 */
export class RowSplitter {
  text = ''
  private readonly bounds: Int32Array
  private readonly delimiter: Delimiter
  private readonly code: number

  constructor (delimiter: Delimiter, fieldCount: number) {
    this.delimiter = delimiter
    this.code = delimiter.charCodeAt(0)
    this.bounds = new Int32Array(2 * fieldCount)
  }

  split (line: string): number {
    const b = this.bounds
    const capacity = b.length >> 1
    if (line.indexOf('"') >= 0) {
      const fields = splitFields(line, this.delimiter)
      if (fields === null) return -1
      let at = 0
      for (let k = 0; k < fields.length && k < capacity; k++) {
        b[2 * k] = at; at += fields[k].length; b[2 * k + 1] = at
      }
      this.text = fields.join('')
      return fields.length
    }
    this.text = line
    let count = 0
    let start = 0
    const len = line.length
    for (let i = 0; i <= len; i++) {
      if (i < len && line.charCodeAt(i) !== this.code) continue
      if (count < capacity) {
        let s = start; let e = i
        while (s < e && this.isBlank(line.charCodeAt(s))) s++
        while (e > s && this.isBlank(line.charCodeAt(e - 1))) e--
        b[2 * count] = s; b[2 * count + 1] = e
      }
      count++
      start = i + 1
    }
    return count
  }

  // A tab is blank space around a field unless it is the separator.
  private isBlank (c: number): boolean { return c === 32 || (c === 9 && this.code !== 9) }

  field (k: number): string { return this.text.slice(this.bounds[2 * k], this.bounds[2 * k + 1]) }

  number (k: number, decimalComma: boolean): number {
    return parseNumberAt(this.text, this.bounds[2 * k], this.bounds[2 * k + 1], decimalComma)
  }
}
