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

/** Simple moving average; the first `period - 1` bars are NaN. */
export function sma (src: Float64Array, period: number): Float64Array {
  assertPeriod('sma', 'period', period)
  const n = src.length
  const out = nanArray(n)
  let sum = 0
  let lastGap = -1
  let updates = 0
  for (let i = 0; i < n; i++) {
    const x = src[i]
    if (x - x !== 0) { lastGap = i; continue }
    const run = i - lastGap
    if (run < period) continue
    if (run === period || updates >= RESYNC_INTERVAL) {
      sum = 0
      for (let j = i - period + 1; j <= i; j++) sum += src[j]
      updates = 0
    } else {
      sum += x - src[i - period]
      updates++
    }
    out[i] = sum / period
  }
  return out
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
