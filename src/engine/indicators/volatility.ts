/**
 * Volatility indicators: rolling population standard deviation, Wilder's average true range and
 * Bollinger bands. Gaps follow the rules of moving-averages.ts: windowed kernels (stdev) are NaN
 * while a gap is in the window; the recursive one (atr) skips the gap bar.
 */
import { sma } from './moving-averages.js'
import { RESYNC_INTERVAL, assertNonNegative, assertPeriod, assertSameLength, nanArray } from './validate.js'
import type { BollingerBands } from '../strategy-api.js'

/**
 * Rounding errors in the sliding update are absolute: after a volatile stretch they can dwarf the
 * variance of a quiet window that follows (a random walk with period 2 lost 5 digits). So the
 * update keeps a budget of the magnitudes it has added since the last exact pass and recomputes
 * the window exactly once a few units of roundoff on that budget could exceed this relative error
 * of the variance. Smaller costs more exact passes; 1e-10 keeps them rare on price data while
 * leaving headroom under the 1e-9 the oracle tests demand.
 */
const STDEV_RELATIVE_ERROR = 1e-10
/** Each sliding step rounds a handful of times (2^-53 each); 4 is a safe count per magnitude. */
const STDEV_BUDGET_LIMIT = STDEV_RELATIVE_ERROR / (4 * 2 ** -53)

/**
 * Rolling population standard deviation (divides by `period`, like technicalindicators' SD and
 * indicatorts' mstd). The first `period - 1` bars are NaN.
 *
 * Prices carry a large offset relative to their spread (60000 +- 1), where the textbook
 * sum-of-squares formula loses most of its digits to cancellation. So values are taken relative to
 * a shift re-centred on the window mean every bar (an O(1) change: the sum of shifted values moves
 * by period * delta), and the sum of squared deviations m2 slides with the Welford-style update
 * m2' = m2 + (x_new - x_old)(x_new - mean' + x_old - mean). The window is recomputed exactly
 * (two passes) after a gap, every RESYNC_INTERVAL bars and whenever the error budget says the
 * incremental value may have drifted (see STDEV_RELATIVE_ERROR). Worst case, on data that
 * alternates wild and perfectly quiet windows, that is O(n * period); on price data it is O(n).
 */
export function stdev (src: Float64Array, period: number): Float64Array {
  assertPeriod('stdev', 'period', period)
  const n = src.length
  const out = nanArray(n)
  let shift = 0
  let sum = 0 // sum of (x - shift) over the window, near zero since shift tracks the mean
  let m2 = 0
  let budget = 0
  let lastGap = -1
  let updates = 0
  for (let i = 0; i < n; i++) {
    const x = src[i]
    if (x - x !== 0) { lastGap = i; continue }
    const run = i - lastGap
    if (run < period) continue
    let exact = run === period || updates >= RESYNC_INTERVAL
    if (!exact) {
      const xNew = x - shift
      const xOld = src[i - period] - shift
      const oldMean = sum / period
      const delta = xNew - xOld
      sum += delta
      const newMean = sum / period
      const dNew = xNew - newMean
      const dOld = xOld - oldMean
      m2 += delta * (dNew + dOld)
      budget += m2 + Math.abs(delta) * (Math.abs(dNew) + Math.abs(dOld))
      const next = shift + newMean
      sum -= period * (next - shift)
      shift = next
      updates++
      exact = m2 <= 0 ? budget > 0 : budget > m2 * STDEV_BUDGET_LIMIT
    }
    if (exact) {
      const first = i - period + 1
      let mean = 0
      for (let j = first; j <= i; j++) mean += src[j]
      mean /= period
      shift = mean
      sum = 0
      m2 = 0
      for (let j = first; j <= i; j++) { const d = src[j] - mean; sum += d; m2 += d * d }
      // Correct the one-pass mean's rounding (the corrected two-pass algorithm).
      m2 -= sum * sum / period
      if (m2 < 0) m2 = 0
      budget = 0
      updates = 0
    }
    out[i] = Math.sqrt(m2 / period)
  }
  return out
}

/**
 * Average true range with Wilder smoothing (alpha = 1 / period), seeded with the mean of the
 * first `period` true ranges, as in technicalindicators and TA-Lib. The first bar has no previous
 * close and so no true range: the first `period` bars are NaN. A bar where high, low or close is
 * not finite is a gap: NaN, skipped, and the next true range uses the last finite close.
 * (indicatorts' atr is a plain SMA of the true range, a different indicator.)
 */
export function atr (high: Float64Array, low: Float64Array, close: Float64Array, period: number): Float64Array {
  assertPeriod('atr', 'period', period)
  assertSameLength('atr', high, low, close)
  const n = close.length
  const out = nanArray(n)
  const alpha = 1 / period
  let prevClose = NaN
  let seen = 0
  let acc = 0
  for (let i = 0; i < n; i++) {
    const h = high[i]; const l = low[i]; const c = close[i]
    if (h - h !== 0 || l - l !== 0 || c - c !== 0) continue
    if (prevClose !== prevClose) { prevClose = c; continue }
    const tr = Math.max(h - l, Math.abs(h - prevClose), Math.abs(l - prevClose))
    prevClose = c
    if (seen >= period) {
      acc = (tr - acc) * alpha + acc
    } else {
      acc += tr
      if (++seen < period) continue
      acc /= period
    }
    out[i] = acc
  }
  return out
}

/**
 * Bands `mult` population standard deviations above and below the SMA. `middle` is exactly
 * `sma(src, period)`, so a strategy may compare the two bar for bar.
 */
export function bollinger (src: Float64Array, period: number, mult: number): BollingerBands {
  assertPeriod('bollinger', 'period', period)
  assertNonNegative('bollinger', 'mult', mult)
  return bollingerFrom(sma(src, period), stdev(src, period), mult)
}

/** The bands from an already computed middle line and standard deviation (the cache reuses both). */
export function bollingerFrom (middle: Float64Array, sd: Float64Array, mult: number): BollingerBands {
  const n = middle.length
  const upper = new Float64Array(n)
  const lower = new Float64Array(n)
  for (let i = 0; i < n; i++) {
    const w = mult * sd[i]
    upper[i] = middle[i] + w
    lower[i] = middle[i] - w
  }
  return { upper, middle, lower }
}
