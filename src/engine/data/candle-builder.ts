/**
 * Collects parsed rows into columns, checks each row (positive prices, open and close inside
 * [low, high], volume not negative), then puts the rows in time order (newest-first files are
 * reversed), refuses duplicates and disorder, and measures the bar interval and gaps. Shared by the
 * CSV and JSON importers so every format gets the same checks and the same report.
 */
import type { Candles } from '../../protocol/types.js'
import type { ErrorCode } from '../../protocol/error-codes.js'
import { GAP_FACTOR, MAX_DATASET_ROWS } from './limits.js'
import { describePlace, fieldError, fileError, type RowPlace } from './import-error.js'
import type { TimeNotation } from './time-parse.js'

/** Column names as the file spells them, for messages. */
export interface FieldNames {
  readonly time: string
  readonly open: string
  readonly high: string
  readonly low: string
  readonly close: string
  readonly volume: string
}

export interface GapInfo {
  /** Open time of the bar before the gap and of the bar after it (ms UTC). */
  readonly fromTime: number
  readonly toTime: number
  readonly ms: number
}

export interface ImportReport {
  /** Candles imported. */
  readonly rows: number
  /** Rows left out, with the count per reason ('null values', 'preamble'). */
  readonly skipped: number
  readonly skippedReasons: Readonly<Record<string, number>>
  readonly firstTime: number
  readonly lastTime: number
  readonly medianIntervalMs: number
  /** Intervals longer than GAP_FACTOR times the median. */
  readonly gaps: number
  readonly largestGap: GapInfo | null
  /** True when the file was newest-first and was turned around. */
  readonly reversed: boolean
  /** How the times were written; more than one means a file of mixed units (concatenated exports). */
  readonly timeNotations: readonly TimeNotation[]
}

const iso = (ms: number): string => new Date(ms).toISOString()

export class CandleBuilder {
  private readonly file: string
  private readonly placeKind: RowPlace['kind']
  private readonly names: FieldNames
  private readonly cols: Float64Array[]
  private readonly places: Int32Array
  private n = 0
  private skippedTotal = 0
  private readonly reasons: Record<string, number> = {}
  private readonly notations = new Set<TimeNotation>()
  private lastNotation: TimeNotation | null = null

  constructor (file: string, placeKind: RowPlace['kind'], capacity: number, names: FieldNames) {
    this.file = file
    this.placeKind = placeKind
    this.names = names
    const size = Math.min(capacity, MAX_DATASET_ROWS)
    this.cols = Array.from({ length: 6 }, () => new Float64Array(size))
    this.places = new Int32Array(size)
  }

  get length (): number { return this.n }

  skip (reason: string): void {
    this.skippedTotal++
    this.reasons[reason] = (this.reasons[reason] ?? 0) + 1
  }

  noteTime (notation: TimeNotation): void {
    if (notation !== this.lastNotation) { this.notations.add(notation); this.lastNotation = notation }
  }

  /** Adds one row of finite numbers after checking it; throws a field error naming the row. */
  push (placeN: number, time: number, open: number, high: number, low: number, close: number, volume: number): void {
    // One branch on the hot path; the slow path works out which rule broke.
    if (!(open > 0 && high > 0 && low > 0 && close > 0 && volume >= 0 && high >= low &&
      open >= low && open <= high && close >= low && close <= high)) {
      this.rejectRow(placeN, open, high, low, close, volume)
    }
    const i = this.n
    if (i === this.places.length) {
      throw fileError('DATA_TOO_LARGE', this.file, `more than ${MAX_DATASET_ROWS} rows; split the file or use a coarser bar interval`, { maxRows: MAX_DATASET_ROWS })
    }
    const c = this.cols
    c[0][i] = time; c[1][i] = open; c[2][i] = high; c[3][i] = low; c[4][i] = close; c[5][i] = volume
    this.places[i] = placeN
    this.n = i + 1
  }

  private rejectRow (placeN: number, open: number, high: number, low: number, close: number, volume: number): never {
    const names = this.names
    const fail = (code: ErrorCode, field: string, message: string): never => {
      throw fieldError(code, this.file, { kind: this.placeKind, n: placeN }, field, message)
    }
    if (!(open > 0)) fail('CSV_BAD_PRICE', names.open, `price ${open} is not positive`)
    if (!(high > 0)) fail('CSV_BAD_PRICE', names.high, `price ${high} is not positive`)
    if (!(low > 0)) fail('CSV_BAD_PRICE', names.low, `price ${low} is not positive`)
    if (!(close > 0)) fail('CSV_BAD_PRICE', names.close, `price ${close} is not positive`)
    if (!(volume >= 0)) fail('CSV_NEGATIVE_VOLUME', names.volume, `volume ${volume} is negative`)
    if (!(high >= low)) fail('CSV_HIGH_BELOW_LOW', names.high, `high ${high} is below low ${low}`)
    if (!(open >= low && open <= high)) fail('CSV_PRICE_OUTSIDE_RANGE', names.open, `open ${open} is outside the bar's range [low ${low}, high ${high}]`)
    return fail('CSV_PRICE_OUTSIDE_RANGE', names.close, `close ${close} is outside the bar's range [low ${low}, high ${high}]`)
  }

  /** Orders, checks and measures the rows. `tooFewCode` is the format's code for < 2 rows. */
  finish (tooFewCode: 'CSV_TOO_FEW_ROWS' | 'JSON_TOO_FEW_ROWS'): { candles: Candles, report: ImportReport } {
    const n = this.n
    if (n < 2) {
      const why = this.skippedTotal > 0 ? ` (${this.skippedTotal} skipped: ${JSON.stringify(this.reasons)})` : ''
      throw fileError(tooFewCode, this.file, `${n} usable row${n === 1 ? '' : 's'}${why}; at least 2 are needed`, { rows: n, skipped: this.skippedTotal })
    }
    // Capacity came from the line count: a view wastes a header and a few blank lines at most;
    // copy only when many lines were not rows (skipped nulls, blank runs).
    const cols = this.cols.map(col => n >= 0.9 * col.length ? col.subarray(0, n) : col.slice(0, n))
    const places = this.places.subarray(0, n)
    const time = cols[0]
    const reversed = time[n - 1] < time[0]
    if (reversed) {
      for (const col of cols) col.reverse()
      places.reverse()
    }
    for (let i = 1; i < n; i++) {
      if (time[i] > time[i - 1]) continue
      // In a newest-first file the later line in the file is where the order breaks.
      const [bad, other] = reversed ? [i - 1, i] : [i, i - 1]
      const relation = time[i] === time[i - 1] ? 'the same as' : reversed ? 'after' : 'before'
      throw fieldError('CSV_TIME_NOT_INCREASING', this.file, { kind: this.placeKind, n: places[bad] }, this.names.time,
        `time ${iso(time[bad])} is ${relation} ${describePlace({ kind: this.placeKind, n: places[other] })} (${iso(time[other])}); ` +
        `rows must be in time order, oldest or newest first, without duplicates`)
    }
    const intervals = new Float64Array(n - 1)
    for (let i = 1; i < n; i++) intervals[i - 1] = time[i] - time[i - 1]
    const sorted = intervals.slice().sort()
    const mid = (n - 1) >> 1
    const median = (n - 1) % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
    let gaps = 0
    let largest = -1
    for (let i = 0; i < intervals.length; i++) {
      if (intervals[i] > GAP_FACTOR * median) {
        gaps++
        if (largest < 0 || intervals[i] > intervals[largest]) largest = i
      }
    }
    const candles: Candles = { length: n, time, open: cols[1], high: cols[2], low: cols[3], close: cols[4], volume: cols[5] }
    const report: ImportReport = {
      rows: n,
      skipped: this.skippedTotal,
      skippedReasons: { ...this.reasons },
      firstTime: time[0],
      lastTime: time[n - 1],
      medianIntervalMs: median,
      gaps,
      largestGap: largest < 0 ? null : { fromTime: time[largest], toTime: time[largest + 1], ms: intervals[largest] },
      reversed,
      timeNotations: [...this.notations].sort(),
    }
    return { candles, report }
  }
}
