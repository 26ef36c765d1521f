/**
 * Recognises the shape of a candle CSV from its first lines: the separator, preamble lines, whether
 * there is a header, and which column holds each of time, open, high, low, close and volume.
 */
import { MAX_PREAMBLE_LINES } from './limits.js'
import { detectDelimiter, splitFields, type Delimiter } from './csv-fields.js'
import { parseTime } from './time-parse.js'
import { fieldError, fileError, rowError } from './import-error.js'
import type { FieldNames } from './candle-builder.js'

export interface CsvLayout {
  /** 'csv' (with a header), 'yahoo-csv', 'binance-kline', 'metatrader-csv' or 'csv-no-header'. */
  readonly format: string
  readonly delimiter: Delimiter
  /** Lines up to and including this one are preamble or header, not data. */
  readonly dataAfterLine: number
  readonly preambleLines: number
  readonly fieldCount: number
  readonly hasHeader: boolean
  /** Column of the time, and of a separate clock column (`Date,Time,...`) when there is one. */
  readonly timeCol: number
  readonly clockCol: number | null
  readonly priceCols: readonly [open: number, high: number, low: number, close: number, volume: number]
  readonly names: FieldNames
  /** Yahoo writes `null` for days without prices; such rows are skipped and counted. */
  readonly skipNullRows: boolean
}

export interface NumberedLine { readonly line: string, readonly n: number }

// Header names after normalise(), most specific first: Binance's `open_time` must win over a
// generic `time`, and CryptoDataDownload's `unix` over its human-readable `date`.
const TIME_ALIASES = ['open_time', 'opentime', 'timestamp', 'unix', 'unix_timestamp', 'datetime', 'date_time', 'ts', 'time', 'date']
const FULL_TIME_ALIASES = TIME_ALIASES.slice(0, 8)
const PRICE_ALIASES: Readonly<Record<'open' | 'high' | 'low' | 'close' | 'volume', readonly string[]>> = {
  open: ['open', 'o', 'open_price', 'opening_price'],
  high: ['high', 'h', 'high_price', 'highest_price'],
  low: ['low', 'l', 'low_price', 'lowest_price'],
  close: ['close', 'c', 'close_price', 'closing_price'],
  volume: ['volume', 'vol', 'v', 'base_volume'],
}
const ALL_ALIASES = new Set([...TIME_ALIASES, ...Object.values(PRICE_ALIASES).flat(), 'adj_close'])
const CLOCK = /^\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$/

/** `Open Time` → `open_time`, `<DATE>` → `date`, `"Adj Close"` → `adj_close`. */
function normalise (name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '')
}

function isHeader (fields: readonly string[]): boolean {
  return fields.length >= 2 && parseTime(fields[0]) === null && fields.some(f => ALL_ALIASES.has(normalise(f)))
}

/**
 * Finds the layout from the first non-blank lines (at most MAX_PREAMBLE_LINES + 2 of them: the
 * preamble, the header and the first data row).
 */
export function detectLayout (lines: readonly NumberedLine[], file: string): CsvLayout {
  for (let k = 0; k < lines.length; k++) {
    const { line, n } = lines[k]
    const delimiter = detectDelimiter(line) ?? ','
    const fields = splitFields(line, delimiter)
    if (fields !== null && isHeader(fields)) {
      const next = lines[k + 1]
      const firstRow = next === undefined ? null : splitFields(next.line, delimiter)
      return headerLayout(fields, firstRow, delimiter, n, k, file)
    }
    if (fields !== null && fields.length >= 2 && parseTime(fields[0]) !== null) {
      return headerlessLayout(fields, delimiter, n, k, file)
    }
    if (k >= MAX_PREAMBLE_LINES) break
  }
  throw fileError('CSV_UNKNOWN_FORMAT', file,
    'found neither a header (time, open, high, low, close, volume) nor rows starting with a time in the first lines; ' +
    'expected a CSV of candles, a headerless kline export or a JSON array of [time, open, high, low, close, volume]')
}

function headerLayout (header: readonly string[], firstRow: readonly string[] | null, delimiter: Delimiter, n: number, preamble: number, file: string): CsvLayout {
  const norm = header.map(normalise)
  const find = (aliases: readonly string[]): number => {
    for (const a of aliases) { const i = norm.indexOf(a); if (i >= 0) return i }
    return -1
  }
  const missing = (what: string): never => {
    throw fieldError('CSV_MISSING_COLUMN', file, { kind: 'line', n }, what,
      `no such column (columns found: ${header.join(', ')}); a candle CSV needs a time column ` +
      '(timestamp, time, date or open_time) and open, high, low, close, volume, in any order and case')
  }
  let timeCol = find(TIME_ALIASES)
  let clockCol: number | null = null
  const dateCol = norm.indexOf('date')
  const clock = norm.indexOf('time')
  // `Date,Time,...` with the clock in its own column: join the two when the data says so.
  if (find(FULL_TIME_ALIASES) < 0 && dateCol >= 0 && clock >= 0 && firstRow !== null && CLOCK.test(firstRow[clock] ?? '')) {
    timeCol = dateCol
    clockCol = clock
  }
  if (timeCol < 0) missing('time')
  const cols = (['open', 'high', 'low', 'close', 'volume'] as const).map(name => {
    let i = find(PRICE_ALIASES[name])
    // CryptoDataDownload names volume by currency ("Volume BTC", "Volume USDT"): the first is the base.
    if (i < 0 && name === 'volume') i = norm.findIndex(h => h.startsWith('volume'))
    return i < 0 ? missing(name) : i
  })
  const [open, high, low, close, volume] = cols
  return {
    format: norm.includes('adj_close') ? 'yahoo-csv' : 'csv',
    delimiter,
    dataAfterLine: n,
    preambleLines: preamble,
    fieldCount: header.length,
    hasHeader: true,
    timeCol,
    clockCol,
    priceCols: [open, high, low, close, volume],
    names: {
      time: clockCol === null ? header[timeCol] : `${header[timeCol]} ${header[clockCol]}`,
      open: header[open], high: header[high], low: header[low], close: header[close], volume: header[volume],
    },
    skipNullRows: norm.includes('adj_close'),
  }
}

function headerlessLayout (fields: readonly string[], delimiter: Delimiter, n: number, preamble: number, file: string): CsvLayout {
  // MetaTrader: 2024.01.02,09:30,open,high,low,close,volume
  const clockCol = fields.length >= 7 && CLOCK.test(fields[1]) ? 1 : null
  const first = clockCol === null ? 1 : 2
  if (fields.length < first + 5) {
    throw rowError('CSV_MISSING_COLUMN', file, { kind: 'line', n },
      `${fields.length} fields and no header; a file without a header needs time, open, high, low, close, volume as its first ${first + 5} columns`)
  }
  const time = parseTime(fields[0])
  const binance = clockCol === null && fields.length === 12 && (time?.notation === 'unix-ms' || time?.notation === 'unix-us')
  return {
    format: clockCol !== null ? 'metatrader-csv' : binance ? 'binance-kline' : 'csv-no-header',
    delimiter,
    dataAfterLine: n - 1,
    preambleLines: preamble,
    fieldCount: fields.length,
    hasHeader: false,
    timeCol: 0,
    clockCol,
    priceCols: [first, first + 1, first + 2, first + 3, first + 4],
    names: { time: binance ? 'open_time' : 'time', open: 'open', high: 'high', low: 'low', close: 'close', volume: 'volume' },
    skipNullRows: false,
  }
}
