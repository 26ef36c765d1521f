/**
 * The pure half of `peer data fetch`: which rows an exchange page contributes, the gaps between
 * bars by the timeframe's step, and the CSV the command writes and resumes. The CSV is one the
 * importer reads (header `time,open,high,low,close,volume`, ISO 8601 UTC times), so a fetched file
 * goes straight to `peer submit --data`.
 */
import { StratmeshError } from '../../protocol/errors.js'
import { parseTime } from './time-parse.js'

/** The first line of every file the command writes; a file with another first line is not resumed. */
export const FETCHED_CSV_HEADER = 'time,open,high,low,close,volume'

/** Gaps listed one by one in the summary; beyond this only counted, so --json stays readable. */
export const MAX_LISTED_GAPS = 100

/** One candle: open time (ms UTC), open, high, low, close, volume. */
export type OhlcvRow = readonly [time: number, open: number, high: number, low: number, close: number, volume: number]

export interface Gap {
  /** Open time of the bar before the gap and of the bar after it. */
  readonly after: number
  readonly before: number
  /** Bars the timeframe's step puts between them. */
  readonly missingBars: number
}

export interface RowWindow {
  /** Only bars opening at or after this time (the next bar to fetch). */
  readonly from: number
  /** Only bars opening before this time (--until). */
  readonly until: number
  /** Only bars closed by this time: the exchange also sends the bar still forming, which would be written half-made and never corrected on resume. */
  readonly closedBy: number
  readonly stepMs: number
}

function finite (v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null
}

export interface AcceptedRows {
  readonly rows: OhlcvRow[]
  /** Bars left out for breaking what the importer checks (a price not above 0, high below low, open or close outside [low, high], negative volume): written, they would make the whole file refused. */
  readonly unsound: number
}

function sound (o: number, h: number, l: number, c: number, v: number): boolean {
  return l > 0 && h >= l && o >= l && o <= h && c >= l && c <= h && v >= 0
}

/**
 * The rows of one exchange page that belong in the file, in time order, each time once. Rows
 * without a time or a price are the exchange's placeholders for empty bars and are dropped (they
 * then show as a gap); a missing volume is 0.
 */
export function acceptRows (page: readonly unknown[], window: RowWindow): AcceptedRows {
  const byTime = new Map<number, OhlcvRow>()
  let unsound = 0
  for (const raw of page) {
    if (!Array.isArray(raw)) continue
    const [t, o, h, l, c] = raw.slice(0, 5).map(finite)
    if (t === null || o === null || h === null || l === null || c === null) continue
    if (t < window.from || t >= window.until || t + window.stepMs > window.closedBy || byTime.has(t)) continue
    const v = finite(raw[5]) ?? 0
    if (sound(o, h, l, c, v)) byTime.set(t, [t, o, h, l, c, v])
    else unsound++
  }
  return { rows: [...byTime.values()].sort((a, b) => a[0] - b[0]), unsound }
}

/**
 * Gaps in `times` (ascending), starting from `previous` (the last bar already in the file, or
 * null): an interval of k steps misses k - 1 bars. Rounded, so a calendar month (28 to 31 days
 * against ccxt's 30-day step) is not a gap.
 */
export function findGaps (previous: number | null, times: readonly number[], stepMs: number): Gap[] {
  const gaps: Gap[] = []
  let prev = previous
  for (const t of times) {
    if (prev !== null) {
      const missingBars = Math.round((t - prev) / stepMs) - 1
      if (missingBars > 0) gaps.push({ after: prev, before: t, missingBars })
    }
    prev = t
  }
  return gaps
}

/** Rows as CSV lines, each ending in a newline. Numbers as JavaScript prints them: the shortest text that reads back to the same double. */
export function csvLines (rows: readonly OhlcvRow[]): string {
  let text = ''
  for (const [t, o, h, l, c, v] of rows) text += `${new Date(t).toISOString()},${o},${h},${l},${c},${v}\n`
  return text
}

function notResumable (file: string, why: string): StratmeshError {
  return new StratmeshError('FETCH_OUT_NOT_RESUMABLE', `${file}: ${why}; give another --out, or move the file away to fetch it anew`, { details: { file } })
}

/**
 * The open time of the last bar of an existing --out file, from its first line and its last
 * bytes; null when it holds the header only. Refuses a file this command did not write, and one
 * that ends inside a line, rather than append to something it would corrupt.
 */
export function lastBarTime (firstLine: string, tail: string, file: string): number | null {
  if (firstLine.replace(/\r$/, '') !== FETCHED_CSV_HEADER) {
    throw notResumable(file, `exists and its first line is not "${FETCHED_CSV_HEADER}", so it was not written by \`peer data fetch\``)
  }
  if (!tail.endsWith('\n')) throw notResumable(file, 'ends inside a line (a write was cut short): delete that last partial line to resume')
  const lines = tail.split('\n').filter(l => l.trim() !== '')
  const last = lines.at(-1)
  if (last === undefined || last.replace(/\r$/, '') === FETCHED_CSV_HEADER) return null
  const parsed = parseTime(last.split(',')[0] ?? '')
  if (parsed === null) throw notResumable(file, `its last line does not start with a time: ${JSON.stringify(last.slice(0, 60))}`)
  return parsed.ms
}
