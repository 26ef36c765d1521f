/**
 * Relative Strength Index with Wilder smoothing, as defined by Wilder (1978) and implemented by
 * technicalindicators and TA-Lib: the average gain and loss are seeded with the plain mean of the
 * first `period` changes, then avg = (avg * (period - 1) + change) / period. The first `period`
 * bars are NaN (a change needs two bars).
 *
 * Gaps (non-finite inputs) output NaN and are skipped: the next change is measured from the last
 * finite value. When both averages are zero (a flat series) the RSI is 50, neither overbought nor
 * oversold (technicalindicators says 100 there).
 */
import { assertPeriod, nanArray } from './validate.js'

export function rsi (src: Float64Array, period: number): Float64Array {
  assertPeriod('rsi', 'period', period)
  const n = src.length
  const out = nanArray(n)
  let prev = NaN
  let seen = 0
  let gain = 0
  let loss = 0
  for (let i = 0; i < n; i++) {
    const x = src[i]
    if (x - x !== 0) continue
    if (prev !== prev) { prev = x; continue }
    const d = x - prev
    prev = x
    const up = d > 0 ? d : 0
    const down = d < 0 ? -d : 0
    if (seen >= period) {
      gain = (gain * (period - 1) + up) / period
      loss = (loss * (period - 1) + down) / period
    } else {
      gain += up
      loss += down
      if (++seen < period) continue
      gain /= period
      loss /= period
    }
    const total = gain + loss
    out[i] = total > 0 ? 100 * gain / total : 50
  }
  return out
}
