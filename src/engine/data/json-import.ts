/**
 * Imports ccxt-style OHLCV JSON: `[[time, open, high, low, close, volume], ...]`, as written by
 * `JSON.stringify(await exchange.fetchOHLCV(...))`. Values may also be numeric strings, as some
 * exchange REST APIs return them; extra trailing entries per row are ignored.
 */
import { CandleBuilder, type FieldNames, type ImportReport } from './candle-builder.js'
import { fieldError, fileError, quoteValue, type RowPlace } from './import-error.js'
import { MAX_JSON_BYTES } from './limits.js'
import { parseDecimal, parseTime, numericTime, type ParsedTime } from './time-parse.js'
import type { Candles } from '../../protocol/types.js'

const NAMES: FieldNames = { time: 'time', open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume' }
const ORDER = ['time', 'open', 'high', 'low', 'close', 'volume'] as const

function shown (value: unknown): string {
  const text = JSON.stringify(value) ?? String(value)
  return text.length > 60 ? `${text.slice(0, 60)}…` : text
}

/** `bytes` must have been through prepareText and start (after blank space) with `[`. */
export function importJson (bytes: Uint8Array, file: string): { candles: Candles, format: string, report: ImportReport } {
  if (bytes.length > MAX_JSON_BYTES) {
    throw fileError('DATA_TOO_LARGE', file, `${bytes.length} bytes of JSON is more than ${MAX_JSON_BYTES}; export CSV instead`, { maxBytes: MAX_JSON_BYTES })
  }
  let data: unknown
  try {
    data = JSON.parse(new TextDecoder().decode(bytes))
  } catch (err) {
    throw fileError('JSON_SYNTAX', file, `not valid JSON (${(err as Error).message})`)
  }
  if (!Array.isArray(data)) throw fileError('JSON_BAD_SHAPE', file, 'expected an array of [time, open, high, low, close, volume] arrays')
  const builder = new CandleBuilder(file, 'index', data.length, NAMES)
  for (let i = 0; i < data.length; i++) {
    const row: unknown = data[i]
    const place: RowPlace = { kind: 'index', n: i }
    if (!Array.isArray(row) || row.length < 6) {
      throw fieldError('JSON_BAD_SHAPE', file, place, 'row', `expected [time, open, high, low, close, volume], got ${shown(row)}`)
    }
    const bad = (k: number, what: string): never => {
      throw fieldError('JSON_BAD_SHAPE', file, place, ORDER[k], `${typeof row[k] === 'string' ? quoteValue(row[k]) : shown(row[k])} is not ${what}`)
    }
    const t = row[0]
    const time: ParsedTime | null = typeof t === 'number' ? numericTime(t) : typeof t === 'string' ? parseTime(t.trim()) : null
    if (time === null) return bad(0, 'a time (unix seconds, milliseconds or microseconds, or ISO 8601)')
    builder.noteTime(time.notation)
    const v = [0, 0, 0, 0, 0]
    for (let k = 1; k <= 5; k++) {
      const x = row[k]
      const num = typeof x === 'number' ? x : typeof x === 'string' ? parseDecimal(x.trim()) : NaN
      if (!Number.isFinite(num)) bad(k, 'a number')
      v[k - 1] = num
    }
    builder.push(i, time.ms, v[0], v[1], v[2], v[3], v[4])
  }
  const { candles, report } = builder.finish('JSON_TOO_FEW_ROWS')
  return { candles, format: 'ccxt-json', report }
}
