/**
 * Moving averages as O(n) typed-array loops.
 *
 * Gaps: a non-finite input (NaN or ±Infinity; `x - x !== 0` detects both in one comparison) is a
 * gap. Windowed kernels (sma, wma) output NaN for every window that contains a gap and recover
 * once the gap has left the window, so one bad bar never poisons the rest of the series.
 * Recursive kernels (ema) output NaN at the gap and carry their state over it, as if the bar did
 * not exist. Leading NaNs (the warm-up of a derived series, e.g. the ema of an sma) are gaps too,
 * so chained indicators simply start later.
 */
import { RESYNC_INTERVAL, assertPeriod, nanArray } from './validate.js'

/**
 * Simple moving average; the first `period - 1` bars are NaN.
 *
 * A rolling sum, recomputed exactly over the window at the start of every run of finite values
 * and after every RESYNC_INTERVAL updates. This is the GA's most frequent cache miss (one per
 * genome and period), so the updates between two resyncs run as one block without a per-bar gap
 * test: a gap (NaN or ±Infinity) entering the window leaves the sum non-finite for good (NaN stays
 * NaN, an infinity stays or becomes NaN), so one test at the block's end finds it, and the block
 * is then redone bar by bar. Every output is the same operations on the same values as a bar-by-bar
 * loop, in the same order, so the bits do not depend on the blocking.
 */
export function sma (src: Float64Array, period: number): Float64Array {
  assertPeriod('sma', 'period', period)
  const n = src.length
  // Every element is written below, so the zeroed array needs no NaN fill first.
  const out = new Float64Array(n)
  let lastGap = -1
  let i = 0
  while (i < n) {
    const x = src[i]
    if (x - x !== 0) { out[i] = NaN; lastGap = i; i++; continue }
    if (i - lastGap < period) { out[i] = NaN; i++; continue }
    // The first full window of a run of finite values.
    let sum = windowSum(src, i, period)
    out[i] = sum / period
    i++
    for (;;) {
      const stop = Math.min(n, i + RESYNC_INTERVAL)
      const blockStart = i
      const blockSum = sum
      // Two bars per iteration: fewer loop tests, the same operations in the same order.
      for (; i + 1 < stop; i += 2) {
        sum += src[i] - src[i - period]
        out[i] = sum / period
        sum += src[i + 1] - src[i + 1 - period]
        out[i + 1] = sum / period
      }
      if (i < stop) {
        sum += src[i] - src[i - period]
        out[i] = sum / period
        i++
      }
      if (sum - sum !== 0) {
        // A gap in the block (or a sum that overflowed): redo it bar by bar up to the gap.
        i = blockStart
        sum = blockSum
        for (; i < stop; i++) {
          const y = src[i]
          if (y - y !== 0) break
          sum += y - src[i - period]
          out[i] = sum / period
        }
      }
      if (i < stop || i >= n) break // a gap (the outer loop takes it) or the end
      const y = src[i]
      if (y - y !== 0) break
      // RESYNC_INTERVAL updates since the last exact sum: recompute the window.
      sum = windowSum(src, i, period)
      out[i] = sum / period
      i++
    }
  }
  return out
}

/** The sum of src[end - period + 1 .. end], left to right. */
function windowSum (src: Float64Array, end: number, period: number): number {
  let sum = 0
  for (let j = end - period + 1; j <= end; j++) sum += src[j]
  return sum
}

/**
 * Exponential moving average with alpha = 2 / (period + 1), seeded with the SMA of the first
 * `period` values: the convention of technicalindicators and TA-Lib (indicatorts seeds with the
 * first value instead, which weights one bar heavily for ~3 periods). The first `period - 1` bars
 * are NaN.
 */
export function ema (src: Float64Array, period: number): Float64Array {
  assertPeriod('ema', 'period', period)
  return smooth(src, period, 2 / (period + 1))
}

/**
 * Exponential smoothing seeded with the mean of the first `period` finite values. Gaps output
 * NaN and leave the state unchanged.
 */
function smooth (src: Float64Array, period: number, alpha: number): Float64Array {
  const n = src.length
  const out = nanArray(n)
  let seen = 0
  let acc = 0
  for (let i = 0; i < n; i++) {
    const x = src[i]
    if (x - x !== 0) continue
    if (seen >= period) {
      acc = (x - acc) * alpha + acc
    } else {
      acc += x
      if (++seen < period) continue
      acc /= period
    }
    out[i] = acc
  }
  return out
}

/**
 * Linearly weighted moving average: weights 1 (oldest) to `period` (newest), as in
 * technicalindicators. Rolling update: with S the window sum and W the weighted sum,
 * W' = W - S + period * x_new and S' = S - x_old + x_new.
 */
export function wma (src: Float64Array, period: number): Float64Array {
  assertPeriod('wma', 'period', period)
  const n = src.length
  const out = nanArray(n)
  const denom = period * (period + 1) / 2
  let sum = 0
  let weighted = 0
  let lastGap = -1
  let updates = 0
  for (let i = 0; i < n; i++) {
    const x = src[i]
    if (x - x !== 0) { lastGap = i; continue }
    const run = i - lastGap
    if (run < period) continue
    if (run === period || updates >= RESYNC_INTERVAL) {
      sum = 0
      weighted = 0
      const first = i - period + 1
      for (let j = first; j <= i; j++) {
        sum += src[j]
        weighted += (j - first + 1) * src[j]
      }
      updates = 0
    } else {
      weighted += period * x - sum
      sum += x - src[i - period]
      updates++
    }
    out[i] = weighted / denom
  }
  return out
}
