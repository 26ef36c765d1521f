/**
 * The standard normal distribution's CDF and its inverse, in plain arithmetic so every peer gets
 * the same bits (no library, no platform erf). Accurate to about 1e-15 absolute, far below what a
 * statistic shown with three decimals needs.
 */

const SQRT_2PI = Math.sqrt(2 * Math.PI)

/** Below this |x| the Taylor series converges fast and without cancellation; beyond, the tail's continued fraction does. */
const SERIES_LIMIT = 5
/** Terms of the tail's continued fraction: at |x| >= 5 sixty terms are exact to double precision. */
const TAIL_TERMS = 60

function density (x: number): number {
  return Math.exp(-0.5 * x * x) / SQRT_2PI
}

/** Z(x) = P(N(0, 1) <= x). */
export function normalCdf (x: number): number {
  if (Number.isNaN(x)) return Number.NaN
  if (x >= SERIES_LIMIT || x <= -SERIES_LIMIT) {
    const a = Math.abs(x)
    // Q(a) = phi(a) / (a + 1/(a + 2/(a + 3/(a + ...)))), evaluated from the inside out.
    let f = a
    for (let k = TAIL_TERMS; k >= 1; k--) f = a + k / f
    const tail = density(a) / f
    return x > 0 ? 1 - tail : tail
  }
  // Marsaglia's series: Z(x) = 1/2 + phi(x) (x + x^3/3 + x^5/(3*5) + ...), every term of one sign.
  let term = x
  let sum = x
  const x2 = x * x
  for (let k = 3; Math.abs(term) > 1e-17 * Math.abs(sum); k += 2) {
    term *= x2 / k
    sum += term
  }
  return 0.5 + density(x) * sum
}

// Acklam's rational approximation (relative error 1.15e-9), then polished by Halley steps on normalCdf.
const A = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
const B = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
const C = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
const D = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
const P_LOW = 0.02425

function acklam (p: number): number {
  if (p < P_LOW || p > 1 - P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p < P_LOW ? p : 1 - p))
    const x = (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1)
    return p < P_LOW ? x : -x
  }
  const q = p - 0.5
  const r = q * q
  return (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
}

/** Zinv(p): the x with Z(x) = p, for 0 < p < 1 (-Infinity and Infinity at 0 and 1). */
export function normalQuantile (p: number): number {
  if (!(p >= 0 && p <= 1)) return Number.NaN
  if (p === 0) return -Infinity
  if (p === 1) return Infinity
  let x = acklam(p)
  for (let k = 0; k < 2; k++) {
    const e = normalCdf(x) - p
    const u = e * SQRT_2PI * Math.exp(0.5 * x * x)
    x -= u / (1 + 0.5 * x * u)
  }
  return x
}
