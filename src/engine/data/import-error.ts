/**
 * Errors of candle import. Every one names the file, the place (CSV line or JSON element) and the
 * field, in the message and in `details`, so the CLI can print one line the user can act on.
 */
import { StratmeshError } from '../../protocol/errors.js'
import type { ErrorCode } from '../../protocol/error-codes.js'

/** Longest raw value quoted in a message: enough for any number or date, short enough for one terminal line. */
const MAX_SHOWN_CHARS = 40

/** Where a row came from: a 1-based CSV line or a 0-based JSON array index. */
export interface RowPlace {
  readonly kind: 'line' | 'index'
  readonly n: number
}

export function describePlace (place: RowPlace): string {
  return place.kind === 'line' ? `line ${place.n}` : `element [${place.n}]`
}

function placeDetails (place: RowPlace): Record<string, number> {
  return place.kind === 'line' ? { line: place.n } : { index: place.n }
}

/** An error about one field of one row: `prices.csv line 7, field "close": "abc" is not a number`. */
export function fieldError (code: ErrorCode, file: string, place: RowPlace, field: string, message: string): StratmeshError {
  return new StratmeshError(code, `${file} ${describePlace(place)}, field "${field}": ${message}`, {
    details: { file, ...placeDetails(place), field },
  })
}

/** An error about a whole row (wrong field count, unterminated quote). */
export function rowError (code: ErrorCode, file: string, place: RowPlace, message: string): StratmeshError {
  return new StratmeshError(code, `${file} ${describePlace(place)}: ${message}`, {
    details: { file, ...placeDetails(place) },
  })
}

/** An error about the whole file (empty, binary, too few rows). */
export function fileError (code: ErrorCode, file: string, message: string, extra: Record<string, unknown> = {}): StratmeshError {
  return new StratmeshError(code, `${file}: ${message}`, { details: { file, ...extra } })
}

/** Shows a raw field value in a message, shortened so one bad line cannot flood the terminal. */
export function quoteValue (value: string): string {
  return JSON.stringify(value.length > MAX_SHOWN_CHARS ? `${value.slice(0, MAX_SHOWN_CHARS)}…` : value)
}
