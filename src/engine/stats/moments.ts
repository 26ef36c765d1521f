/**
 * The moments of a series of per-bar returns that the Sharpe-based statistics need. Population
 * moments (divided by n): the backtester's Sharpe uses the same (src/engine/metrics.ts).
 */

export interface ReturnMoments {
  readonly n: number
  readonly mean: number
  /** Population standard deviation. */
  readonly std: number
  /** Third standardised moment; 0 when std is 0. */
  readonly skew: number
  /** Fourth standardised moment (not excess: 3 for a normal distribution); 3 when std is 0. */
  readonly kurtosis: number
  /** Per-bar (not annualised) Sharpe ratio mean / std; 0 when std is 0. */
  readonly sharpe: number
}

export function returnMoments (r: ArrayLike<number>, from = 0, to = r.length): ReturnMoments {
  const n = to - from
  if (n <= 0) return { n: 0, mean: 0, std: 0, skew: 0, kurtosis: 3, sharpe: 0 }
  let sum = 0
  let flat = true
  for (let i = from; i < to; i++) { sum += r[i]; flat &&= r[i] === r[from] }
  // Summing equal values can leave a rounding error in the mean and so a std of 1e-17, whose Sharpe would be absurd.
  if (flat) return { n, mean: r[from], std: 0, skew: 0, kurtosis: 3, sharpe: 0 }
  const mean = sum / n
  let m2 = 0; let m3 = 0; let m4 = 0
  for (let i = from; i < to; i++) {
    const d = r[i] - mean
    const d2 = d * d
    m2 += d2; m3 += d2 * d; m4 += d2 * d2
  }
  m2 /= n; m3 /= n; m4 /= n
  const std = Math.sqrt(m2)
  if (!(std > 0)) return { n, mean, std: 0, skew: 0, kurtosis: 3, sharpe: 0 }
  return { n, mean, std, skew: m3 / (m2 * std), kurtosis: m4 / (m2 * m2), sharpe: mean / std }
}
