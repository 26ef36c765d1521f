/**
 * When a leaderboard row looks overfit: it kept too little of its in-sample quality out of sample.
 * Judged on the Sharpe ratio because it is annualised, so a 70 % in-sample range and a 30 %
 * out-of-sample range compare directly (total returns over ranges of different lengths do not).
 */
import type { Metrics } from '../protocol/types.js'

/**
 * A row whose out-of-sample Sharpe is below this fraction of its (positive) in-sample Sharpe is
 * flagged. Half is a drop no honest edge shows from noise alone on the usual 30 % hold-out, yet
 * it does not flag the mild decay every fitted strategy has.
 */
export const OVERFIT_SHARPE_RETENTION = 0.5

export interface OverfitCheck {
  /** Out-of-sample Sharpe / in-sample Sharpe; null when the in-sample Sharpe is not positive or a range is missing. */
  readonly retention: number | null
  readonly overfit: boolean
}

export function overfitCheck (inSample: Metrics | null, outOfSample: Metrics | null): OverfitCheck {
  if (inSample === null || outOfSample === null || outOfSample.bars === 0 || !(inSample.sharpe > 0)) return { retention: null, overfit: false }
  const retention = outOfSample.sharpe / inSample.sharpe
  return { retention, overfit: retention < OVERFIT_SHARPE_RETENTION }
}
