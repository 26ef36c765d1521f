/**
 * Reads one timestamp field: ISO 8601 dates and datetimes, compact YYYYMMDD, or a unix number in
 * seconds, milliseconds, microseconds or nanoseconds told apart by magnitude. Returns milliseconds
 * since the epoch (UTC), rounded to a whole millisecond, and which notation it saw.
 */
import { MIN_NUMERIC_TIME } from './limits.js'

export type TimeNotation = 'iso' | 'yyyymmdd' | 'unix-s' | 'unix-ms' | 'unix-us' | 'unix-ns'

export interface ParsedTime {
  readonly ms: number
  readonly notation: TimeNotation
}

// Date and optional time, separated by '-', '/' or '.' (MetaTrader writes 2024.01.02), a 'T' or a
// space before the time, optional fraction, optional 'Z', 'UTC' or a numeric offset. Without a zone
// the time is taken as UTC: candle exports are UTC far more often than local time.
const ISO = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[T ]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?$/i

// Dividing (not multiplying by 1e-3) keeps whole microsecond and nanosecond counts exact.
const UNITS: readonly { readonly below: number, readonly mul: number, readonly div: number, readonly notation: TimeNotation }[] = [
  { below: 1e11, mul: 1e3, div: 1, notation: 'unix-s' },
  { below: 1e14, mul: 1, div: 1, notation: 'unix-ms' },
  { below: 1e17, mul: 1, div: 1e3, notation: 'unix-us' },
  { below: 1e20, mul: 1, div: 1e6, notation: 'unix-ns' },
]

function daysInMonth (year: number, month: number): number {
  return [31, year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
}

function fromParts (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, frac = 0): number | null {
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 59) return null
  return Date.UTC(y, mo - 1, d, h, mi, s) + frac
}

function parseIso (text: string): number | null {
  const m = ISO.exec(text)
  if (m === null) return null
  const frac = m[8] === undefined ? 0 : Math.round(Number(`0.${m[8]}`) * 1000)
  const base = fromParts(Number(m[1]), Number(m[3]), Number(m[4]), Number(m[5] ?? 0), Number(m[6] ?? 0), Number(m[7] ?? 0), frac)
  if (base === null) return null
  const zone = m[9]
  if (zone === undefined || /^(Z|UTC|GMT)$/i.test(zone)) return base
  const sign = zone[0] === '-' ? -1 : 1
  const digits = zone.slice(1).replace(':', '')
  const offsetMin = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')
  return base - sign * offsetMin * 60_000
}

/** Reads a number with the strict grammar of a decimal literal (no hex, no empty string, no Infinity). */
export function parseDecimal (text: string): number {
  if (text.length === 0) return NaN
  const c0 = text.charCodeAt(0)
  // Number() accepts '0x1f', '0b1' and '0o7'; a CSV never means those.
  if (text.length > 1 && (c0 === 48 || ((c0 === 43 || c0 === 45) && text.charCodeAt(1) === 48))) {
    const k = c0 === 48 ? 1 : 2
    const c = text.charCodeAt(k) | 0x20
    if (c === 120 || c === 98 || c === 111) return NaN
  }
  const x = Number(text)
  return Number.isFinite(x) ? x : NaN
}

/** Parses a time field, or returns null when the text is no time we recognise. */
export function parseTime (text: string): ParsedTime | null {
  const x = parseDecimal(text)
  if (!Number.isNaN(x)) return numericTime(x)
  const iso = parseIso(text)
  return iso === null ? null : { ms: iso, notation: 'iso' }
}

/** A numeric timestamp, by magnitude; null when it is too small or too large to be one. */
export function numericTime (x: number): ParsedTime | null {
  // 8-digit integers that spell a valid date are YYYYMMDD: as unix seconds they would fall in 1970.
  if (Number.isInteger(x) && x >= 19000101 && x <= 29991231) {
    const ms = fromParts(Math.floor(x / 10000), Math.floor(x / 100) % 100, x % 100)
    return ms === null ? null : { ms, notation: 'yyyymmdd' }
  }
  if (x < MIN_NUMERIC_TIME) return null
  for (const unit of UNITS) {
    if (x < unit.below) return { ms: Math.round(x * unit.mul / unit.div), notation: unit.notation }
  }
  return null
}
