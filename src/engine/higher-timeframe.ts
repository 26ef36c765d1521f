/**
 * A higher timeframe aligned to the base bars, for `ctx.higher('4h')`. Buckets are those of
 * resampling (data/timeframe.ts), and a higher bar aggregates the base bars whose open time falls
 * in its bucket, as resampling does.
 *
 * The alignment rule: the value at base bar i is that of the last higher bar whose bucket ended
 * before bar i's bucket began, i.e. a higher bar becomes visible at the first base bar of a later
 * bucket, the bar after the one that closed it, never at its own last bar. That is a bar later than
 * a live trader could act, and it is what makes the series independent of the data that follows:
 * the value at bar i is a function of the bars before i and of bar i's own time, so on a prefix of
 * the data every bar sees what it sees on all of it (the look-ahead check relies on this). A
 * higher bar closed by the data's last base bar is never visible, on a prefix or on the full data.
 *
 * Before the first complete higher bar has closed the columns are NaN. The first bucket counts
 * only when it is complete (firstBucketComplete: no whole base bar fits before the data's first
 * bar), since its open would not be the bucket's open. Buckets with missing base bars inside the
 * data count, as they do in resampling.
 */
import { StratmeshError } from '../protocol/errors.js'
import type { Candles } from '../protocol/types.js'
import { bucketStart, firstBucketComplete, formatTimeframe, parseTimeframe } from './data/timeframe.js'
import type { HigherCandles } from './strategy-api.js'

function invalid (timeframe: unknown, problem: string): StratmeshError {
  return new StratmeshError('HIGHER_TIMEFRAME_INVALID', `ctx.higher(${JSON.stringify(timeframe)}): ${problem}`, { details: { timeframe: String(timeframe) } })
}

/**
 * The length in ms of a timeframe a strategy asked for: a timeframe ('4h') or a whole number of the
 * bars' steps (4), checked against the step (NaN when unknown: fewer than two bars). Throws
 * HIGHER_TIMEFRAME_INVALID.
 */
export function higherTimeframeMs (timeframe: unknown, stepMs: number): number {
  if (typeof timeframe === 'number') {
    if (!Number.isSafeInteger(timeframe) || timeframe < 1) throw invalid(timeframe, 'a number of bars must be a positive integer')
    if (!(stepMs > 0)) throw invalid(timeframe, 'a number of bars needs the bars\' step, and there are fewer than two bars')
    return timeframe * stepMs
  }
  const tf = typeof timeframe === 'string' ? parseTimeframe(timeframe) : null
  if (tf === null) throw invalid(timeframe, "not a timeframe; write a whole number of s, m, h, d or w ('4h', '1d') or of bars (4)")
  if (stepMs > 0 && (tf < stepMs || tf % stepMs !== 0)) {
    throw invalid(timeframe, `not a whole multiple of the bars' step ${formatTimeframe(stepMs)}`)
  }
  return tf
}

/** The higher timeframe `tfMs` of `candles` aligned to them (the rule above); `stepMs` is the bars' step. */
export function higherCandles (candles: Candles, tfMs: number, stepMs: number): HigherCandles {
  const n = candles.length
  const { time: bt, open: bo, high: bh, low: bl, close: bc, volume: bv } = candles
  const time = new Float64Array(n).fill(NaN)
  const open = new Float64Array(n).fill(NaN)
  const high = new Float64Array(n).fill(NaN)
  const low = new Float64Array(n).fill(NaN)
  const close = new Float64Array(n).fill(NaN)
  const volume = new Float64Array(n).fill(NaN)
  // The bucket being built, and the last closed one (shown); NaN until one has closed.
  let bucket = NaN; let o = NaN; let h = NaN; let l = NaN; let c = NaN; let v = NaN
  let shownT = NaN; let shownO = NaN; let shownH = NaN; let shownL = NaN; let shownC = NaN; let shownV = NaN
  let countsFirst = firstBucketComplete(bt, tfMs, stepMs)
  for (let i = 0; i < n; i++) {
    const start = bucketStart(bt[i], tfMs)
    if (start !== bucket) {
      if (i > 0) {
        if (countsFirst) { shownT = bucket; shownO = o; shownH = h; shownL = l; shownC = c; shownV = v }
        countsFirst = true
      }
      bucket = start; o = bo[i]; h = bh[i]; l = bl[i]; c = bc[i]; v = bv[i]
    } else {
      if (bh[i] > h) h = bh[i]
      if (bl[i] < l) l = bl[i]
      c = bc[i]
      v += bv[i]
    }
    time[i] = shownT; open[i] = shownO; high[i] = shownH; low[i] = shownL; close[i] = shownC; volume[i] = shownV
  }
  return Object.freeze({ time, open, high, low, close, volume })
}
