/**
 * Resampling candles to a coarser timeframe (`peer submit --timeframe 1h`), before the job is
 * built, so the resampled candles are the job's dataset blob and every peer gets the same bytes.
 *
 * A source bar belongs to the bucket that holds its open time (timeframe.ts: UTC multiples of the
 * timeframe). A bucket's bar: open of its first source bar, highest high, lowest low, close of its
 * last source bar, summed volume (left to right, so the bits are fixed), time = the bucket's start.
 * A bucket no source bar falls in is absent: a gap, counted as import gaps are.
 *
 * Partial buckets at the ends are dropped. The last, when the data stops before the bucket ends:
 * its close is not the bucket's close, and a live trader would not have that bar yet; keeping it
 * would let a strategy act on a bar that was still moving. The first, when a whole source bar fits
 * between the bucket's start and the data's first bar: its open is not the bucket's open. Buckets
 * inside the data with missing source bars are kept: that is what the market traded.
 */
import { StratmeshError } from '../../protocol/errors.js'
import type { Candles } from '../../protocol/types.js'
import type { GapInfo } from './candle-builder.js'
import { GAP_FACTOR } from './limits.js'
import { barStep, bucketStart, firstBucketComplete, formatTimeframe, parseTimeframe } from './timeframe.js'

export interface ResampleReport {
  readonly timeframe: string
  readonly sourceBars: number
  /** The source's step as a timeframe ("1m"). */
  readonly sourceStep: string
  readonly bars: number
  readonly droppedPartialFirst: boolean
  readonly droppedPartialLast: boolean
  /** Missing buckets: intervals longer than GAP_FACTOR timeframes. */
  readonly gaps: number
  readonly largestGap: GapInfo | null
}

function invalid (timeframe: string, problem: string, details: Record<string, unknown> = {}): StratmeshError {
  return new StratmeshError('TIMEFRAME_INVALID', `--timeframe ${timeframe}: ${problem}`, { details: { option: '--timeframe', timeframe, ...details } })
}

/** The candles resampled to `timeframe`; throws TIMEFRAME_INVALID (naming --timeframe) when it cannot be done. */
export function resampleCandles (candles: Candles, timeframe: string): { candles: Candles, report: ResampleReport } {
  const tf = parseTimeframe(timeframe)
  if (tf === null) throw invalid(timeframe, 'not a timeframe; write a whole number of s, m, h, d or w (15m, 1h, 4h, 1d, 1w)')
  const { time, open, high, low, close, volume } = candles
  const n = candles.length
  const step = barStep(time)
  if (!(step > 0)) throw invalid(timeframe, `the data has ${n} bar${n === 1 ? '' : 's'}; resampling needs at least 2`)
  const stepText = formatTimeframe(step)
  if (tf < step) throw invalid(timeframe, `finer than the data's bar step ${stepText}; a timeframe can only make bars coarser`, { stepMs: step })
  if (tf % step !== 0) throw invalid(timeframe, `not a whole multiple of the data's bar step ${stepText}`, { stepMs: step })

  const cols = Array.from({ length: 6 }, () => new Float64Array(n))
  const [t, o, h, l, c, v] = cols
  let k = -1
  let current = NaN
  for (let i = 0; i < n; i++) {
    const start = bucketStart(time[i], tf)
    if (start !== current) {
      current = start
      k++
      t[k] = start; o[k] = open[i]; h[k] = high[i]; l[k] = low[i]; c[k] = close[i]; v[k] = volume[i]
      continue
    }
    if (high[i] > h[k]) h[k] = high[i]
    if (low[i] < l[k]) l[k] = low[i]
    c[k] = close[i]
    v[k] += volume[i]
  }
  const droppedPartialFirst = !firstBucketComplete(time, tf, step)
  const droppedPartialLast = time[n - 1] + step < bucketStart(time[n - 1], tf) + tf
  const from = droppedPartialFirst ? 1 : 0
  const to = droppedPartialLast ? k : k + 1
  const bars = Math.max(0, to - from)
  if (bars < 2) throw invalid(timeframe, `leaves ${bars} complete bar${bars === 1 ? '' : 's'} of the ${n} ${stepText} bars; at least 2 are needed`, { bars })
  const [rt, ro, rh, rl, rc, rv] = cols.map(col => col.slice(from, to))
  const gaps = gapsOf(rt, tf)
  return {
    candles: { length: bars, time: rt, open: ro, high: rh, low: rl, close: rc, volume: rv },
    report: { timeframe, sourceBars: n, sourceStep: stepText, bars, droppedPartialFirst, droppedPartialLast, ...gaps },
  }
}

function gapsOf (time: Float64Array, tf: number): { gaps: number, largestGap: GapInfo | null } {
  let gaps = 0
  let largest: GapInfo | null = null
  for (let i = 1; i < time.length; i++) {
    const ms = time[i] - time[i - 1]
    if (ms <= GAP_FACTOR * tf) continue
    gaps++
    if (largest === null || ms > largest.ms) largest = { fromTime: time[i - 1], toTime: time[i], ms }
  }
  return { gaps, largestGap: largest }
}
