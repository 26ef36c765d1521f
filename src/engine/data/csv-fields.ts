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
