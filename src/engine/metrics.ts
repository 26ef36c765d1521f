/**
 * Turns the accumulators of one backtest pass into Metrics, with the fallbacks that keep every
 * field finite (the canonical encoding refuses NaN and Infinity, and a ranking must never meet an
 * infinite value). Also the annualisation helper `barsPerYear`.
 *
 * Fallbacks (all documented here, relied on by tests):
 * - an empty range gives all zeros;
 * - sharpe is 0 when the per-bar returns have zero standard deviation;
 * - sortino is 0 when there is no downside and the mean is <= 0, +METRIC_CAP when there is no
 *   downside and the mean is > 0;
 * - calmar is 0 when there is no drawdown and cagr <= 0, +METRIC_CAP when cagr > 0;
 * - profitFactor is 0 without trades or without winning trades, +METRIC_CAP when there are wins
 *   and no losses; winRate is 0 without trades;
 * - cagr is -1 when equity ended at or below 0 (ruin);
 * - every ratio (and cagr, which explodes on short, lucky ranges) is clamped to +-METRIC_CAP;
 *   totalReturn is not (it only overflows on absurd data, which throws BACKTEST_NON_FINITE).
 */
import { StratmeshError } from '../protocol/errors.js'
import type { Metrics } from '../protocol/types.js'

/**
 * Bound on every ratio metric. Finite values are needed for canonical JSON, and one lucky genome
 * with a single winning trade must not rank as "infinitely" good. Real strategies are orders of
 * magnitude below (a Sharpe of 10 is already suspicious), so the cap never hides a real difference.
 */
export const METRIC_CAP = 1e6

/** Milliseconds in a Julian year (365.25 days): the year used to annualise. */
export const YEAR_MS = 365.25 * 24 * 60 * 60 * 1000

/** What the backtest loop accumulates over one range; turned into Metrics by `summarise`. */
export interface RangeTotals {
  readonly bars: number
  /** Equity at the end of the range, starting from 1 (0 after ruin). */
  readonly finalEquity: number
  /** Mean of the per-bar equity returns. */
  readonly mean: number
  /** Sum of squared deviations from the mean of the per-bar returns (population variance * bars). */
  readonly m2: number
  /** Sum of min(r, 0)^2 over the per-bar returns. */
  readonly downside2: number
  readonly maxDrawdown: number
  readonly trades: number
  readonly wins: number
  /** Sum of the returns of winning trades. */
  readonly grossWin: number
  /** Sum of |return| of losing trades. */
  readonly grossLoss: number
  readonly exposedBars: number
}

export function emptyMetrics (): Metrics {
  return {
    totalReturn: 0, cagr: 0, sharpe: 0, sortino: 0, maxDrawdown: 0, calmar: 0,
    trades: 0, winRate: 0, profitFactor: 0, exposure: 0, bars: 0,
  }
}

function cap (x: number): number {
  return x > METRIC_CAP ? METRIC_CAP : x < -METRIC_CAP ? -METRIC_CAP : x
}

/** Ratio with the fallbacks above: `num / den` when den > 0, else +cap for a positive num, else 0. */
function ratio (num: number, den: number): number {
  if (den > 0) return cap(num / den)
  return num > 0 ? METRIC_CAP : 0
}

export function summarise (t: RangeTotals, barsPerYear: number): Metrics {
  if (t.bars === 0) return emptyMetrics()
  const annual = Math.sqrt(barsPerYear)
  const std = Math.sqrt(t.m2 / t.bars)
  const downside = Math.sqrt(t.downside2 / t.bars)
  const years = t.bars / barsPerYear
  // exp/log instead of ** so a huge exponent overflows to Infinity, which cap() then bounds.
  const cagr = t.finalEquity > 0 ? cap(Math.exp(Math.log(t.finalEquity) / years) - 1) : -1
  const metrics: Metrics = {
    // Not capped: compounding over a long range can legitimately exceed the cap, and 'return' ranks by it.
    totalReturn: t.finalEquity - 1,
    cagr,
    sharpe: std > 0 ? cap(t.mean / std * annual) : 0,
    sortino: ratio(t.mean * annual, downside),
    maxDrawdown: t.maxDrawdown,
    calmar: ratio(cagr, t.maxDrawdown),
    trades: t.trades,
    winRate: t.trades > 0 ? t.wins / t.trades : 0,
    profitFactor: t.trades > 0 ? ratio(t.grossWin, t.grossLoss) : 0,
    exposure: t.exposedBars / t.bars,
    bars: t.bars,
  }
  for (const [key, value] of Object.entries(metrics)) {
    // Only bad candles (zero or non-finite prices) can get here; positions are validated upstream.
    if (!Number.isFinite(value)) {
      throw new StratmeshError('BACKTEST_NON_FINITE', `metric ${key} is ${value}: the candles hold a zero or non-finite price`, { details: { metric: key } })
    }
  }
  return metrics
}

/**
 * Observed bar density: bars per year from the time stamps, (n - 1) / (span / year). Daily stock
 * data gives ~252, 24/7 one-minute crypto data 525960. Gaps (weekends, holidays) are part of the
 * density on purpose: annualisation must count the bars a year really holds.
 */
export function barsPerYear (time: Float64Array): number {
  const n = time.length
  const span = n >= 2 ? time[n - 1] - time[0] : 0
  if (!(span > 0) || !Number.isFinite(span)) {
    throw new StratmeshError('BACKTEST_BAD_TIME', `cannot derive bars per year from ${n} time stamps spanning ${span} ms: need at least 2 increasing time stamps`, { details: { bars: n, span } })
  }
  return (n - 1) / (span / YEAR_MS)
}
