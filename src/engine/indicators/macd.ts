/**
 * Moving Average Convergence Divergence: ema(fast) - ema(slow), its ema(signal), and the
 * difference of the two. Every ema is SMA-seeded (see moving-averages.ts), as technicalindicators
 * does with SimpleMAOscillator and SimpleMASignal false; indicatorts seeds with the first value.
 * The macd line is NaN for the first max(fast, slow) - 1 bars; signal and histogram for
 * max(fast, slow) + signal - 2 bars (the signal ema skips the line's leading NaNs).
 */
import { ema } from './moving-averages.js'
import { assertPeriod } from './validate.js'
import type { MacdLines } from '../strategy-api.js'

export function macd (src: Float64Array, fast: number, slow: number, signal: number): MacdLines {
  assertPeriod('macd', 'fast', fast)
  assertPeriod('macd', 'slow', slow)
  assertPeriod('macd', 'signal', signal)
  const line = difference(ema(src, fast), ema(src, slow))
  const sig = ema(line, signal)
  return { macd: line, signal: sig, histogram: difference(line, sig) }
}

/** a - b bar by bar (NaN where either is NaN). */
export function difference (a: Float64Array, b: Float64Array): Float64Array {
  const n = a.length
  const out = new Float64Array(n)
  for (let i = 0; i < n; i++) out[i] = a[i] - b[i]
  return out
}
