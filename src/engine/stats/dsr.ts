/**
 * The Deflated Sharpe Ratio (Bailey & Lopez de Prado, "The Deflated Sharpe Ratio: Correcting for
 * Selection Bias, Backtest Overfitting and Non-Normality", Journal of Portfolio Management, 2014):
 * the probability that a strategy's true Sharpe ratio is above the best one N trials of pure noise
 * would be expected to show, given how long, skewed and fat-tailed its record is.
 */
import { normalCdf, normalQuantile } from './normal.js'

/** The Euler-Mascheroni constant, in the expected maximum of N normal draws. */
const EULER_MASCHERONI = 0.5772156649015329

/**
 * SR0: the expected maximum of `trials` Sharpe ratios drawn with mean 0 and variance `variance`
 * (per bar), sqrt(V) ((1 - g) Zinv(1 - 1/N) + g Zinv(1 - 1/(N e))). 0 for a single trial.
 */
export function expectedMaxSharpe (trials: number, variance: number): number {
  if (!(trials > 1) || !(variance > 0)) return 0
  const g = EULER_MASCHERONI
  return Math.sqrt(variance) * ((1 - g) * normalQuantile(1 - 1 / trials) + g * normalQuantile(1 - 1 / (trials * Math.E)))
}

export interface DsrInput {
  /** The row's per-bar (not annualised) Sharpe ratio. */
  readonly sharpe: number
  /** Bars of its record. */
  readonly bars: number
  readonly skew: number
  /** Kurtosis, not excess (3 for normal returns). */
  readonly kurtosis: number
  /** The job's true number of trials. */
  readonly trials: number
  /** Variance of the per-bar Sharpe ratio across the trials. */
  readonly variance: number
}

/**
 * DSR = Z((SR - SR0) sqrt(T - 1) / sqrt(1 - skew SR + (kurt - 1)/4 SR^2)); null when the record
 * is too short (T < 2) or the denominator vanishes (only a degenerate record gets there: it is a
 * square, (1 - skew SR / 2)^2 at the least).
 */
export function deflatedSharpe (x: DsrInput): number | null {
  if (!(x.bars >= 2)) return null
  const sr0 = expectedMaxSharpe(x.trials, x.variance)
  const den = 1 - x.skew * x.sharpe + (x.kurtosis - 1) / 4 * x.sharpe * x.sharpe
  if (!(den > 0) || !Number.isFinite(den)) return null
  return normalCdf((x.sharpe - sr0) * Math.sqrt(x.bars - 1) / Math.sqrt(den))
}
