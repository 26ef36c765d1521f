/**
 * The backtester: one tight pass over a range of bars that turns target positions into equity and
 * the Metrics of that range.
 *
 * Execution model (the contract every strategy is judged by):
 * - `positions[t]` is the target fraction of equity (-1 all-in short .. 1 all-in long) decided at
 *   the close of bar t. It is executed at the OPEN of bar t+1, so a strategy never trades on the
 *   bar it looked at (no look-ahead). The weight held over bar j is w_j = positions[j-1].
 * - Every range [from, to) starts flat: w_from = 0, whatever positions[from-1] says. So
 *   positions[from-1] and positions[to-1] (a signal on a range's last bar) have no effect on it.
 * - Equity starts at 1 before the range and moves per bar j (close_{j-1} -> close_j) as
 *     E_j = E_{j-1} * (1 + w_{j-1} * (open_j / close_{j-1} - 1))   overnight gap, old weight
 *                   * (1 - c * |w_j - w_{j-1}|)                     rebalancing cost at the open
 *                   * (1 + w_j * (close_j / open_j - 1))            open -> close, new weight
 *   with c = fee + slippage per side, as a fraction of the traded notional. The first bar of a range
 *   has only the open->close part and the entry cost, both trivial since w_from = 0: E_from = 1.
 *   This is the constant-fraction model: the position is rebalanced to its target only when the
 *   target changes, and otherwise drifts with the price between changes.
 * - A trade is a maximal run of bars with the same non-zero sign of w. Its return is the product of
 *   its bars' equity factors - 1, including the entry cost at its first open and the gap and exit
 *   cost at the open where it ends. A resize within one sign stays in the trade (its cost too). At
 *   a sign flip the rebalancing cost c*(|w_old| + |w_new|) is split: c*|w_old| to the closing trade,
 *   c*|w_new| to the opening one (so each trade's return is independent of its neighbours; the
 *   product of trade factors then differs from the equity factor by c^2*|w_old|*|w_new|).
 * - A trade still open at the end of the range is closed at the last close for the metrics, with
 *   no exit cost (marked to market, as the equity curve is).
 * - Ruin: if a bar's factor is <= 0 (a short through a price more than doubling), equity becomes 0,
 *   the open trade closes at -100 %, and the rest of the range is flat with zero returns.
 * - Per-bar returns r_j = E_j / E_{j-1} - 1 (one per bar of the range, r_from = 0) feed Sharpe and
 *   Sortino; the drawdown is measured against the running peak, starting at the initial equity 1.
 *   Exposure is the fraction of the range's bars with w_j != 0 (a trade's exit bar, which only
 *   earns the overnight gap, counts as flat).
 *
 * The pass itself, and why it is fast and exact, is in backtest-kernel.ts. A strategy that declares
 * stops runs backtestWithStops, whose extra rules (fills inside the bar) are in backtest-stops.ts.
 */
import { StratmeshError } from '../protocol/errors.js'
import { emptyMetrics, summarise } from './metrics.js'
import type { Candles, Costs, Metrics } from '../protocol/types.js'
import { runRange } from './backtest-kernel.js'
import { runRangeWithStops, type StopTrade } from './backtest-stops.js'
import type { ResolvedStops } from './stops.js'

export { barsPerYear } from './metrics.js'

/**
 * Largest accepted cost per side (fee + slippage). It keeps the rebalancing factor 1 - c*|dw|
 * (|dw| <= 2) at 0.5 or more, so costs alone can never ruin the account; real fees are far below
 * (0.1 % is typical), so anything larger is a unit mistake (a percentage passed as a fraction).
 */
export const MAX_COST_PER_SIDE = 0.25

export interface BacktestOptions {
  /** Filled with the equity at the close of each bar of the range (index 0 = bar `from`). Length >= to - from. */
  readonly equity?: Float64Array
}

function badArgs (message: string, details: Record<string, unknown>): StratmeshError {
  return new StratmeshError('BACKTEST_BAD_ARGS', message, { details })
}

/** Backtests `positions` over the bars [from, to) of `candles`; see the execution model above. */
export function backtest (candles: Candles, positions: Float64Array, from: number, to: number, costs: Costs, barsPerYear: number, opts?: BacktestOptions): Metrics {
  const c = checkArgs(candles, positions, from, to, costs, barsPerYear)
  const eq = opts?.equity
  if (eq !== undefined && eq.length < to - from) throw badArgs(`equity array of ${eq.length} for ${to - from} bars`, { equity: eq.length, bars: to - from })
  if (to === from) return emptyMetrics()
  return summarise(runRange(candles, positions, from, to, c, eq, -Infinity, Infinity), barsPerYear)
}

export interface StopsBacktestOptions extends BacktestOptions {
  /** Receives every trade of the range, with its prices and why it ended. */
  readonly trades?: StopTrade[]
}

/** backtest() with engine-managed stops (backtest-stops.ts has the rules). */
export function backtestWithStops (candles: Candles, positions: Float64Array, from: number, to: number, costs: Costs, barsPerYear: number, stops: ResolvedStops, opts?: StopsBacktestOptions): Metrics {
  const c = checkArgs(candles, positions, from, to, costs, barsPerYear)
  const eq = opts?.equity
  if (eq !== undefined && eq.length < to - from) throw badArgs(`equity array of ${eq.length} for ${to - from} bars`, { equity: eq.length, bars: to - from })
  if (to === from) return emptyMetrics()
  return summarise(runRangeWithStops(candles, positions, from, to, c, stops, eq, -Infinity, Infinity, opts?.trades), barsPerYear)
}

/** A backtest that also checked the positions it read; see backtestInBounds. */
export interface BoundedBacktest {
  readonly metrics: Metrics
  /** False when a position read was NaN or outside [lo, hi]; the metrics then mean nothing. */
  readonly inBounds: boolean
  /**
   * positions[from .. readEnd) were read and checked: to - 1 normally (positions[to - 1] has no
   * effect on the range), less after a ruin, `from` for a range of fewer than two bars.
   */
  readonly readEnd: number
}

/**
 * backtest() that also checks every position it reads against [lo, hi], for evaluateGenome: the
 * check costs nothing because a position is only looked at where it differs from the one before
 * (every other bar holds a value already checked, or 0). Positions the range never reads (see
 * readEnd) are the caller's to check. Throws what backtest() throws, which with bad positions can
 * also be BACKTEST_NON_FINITE (a NaN position makes a NaN equity factor).
 */
export function backtestInBounds (candles: Candles, positions: Float64Array, from: number, to: number, costs: Costs, barsPerYear: number, lo: number, hi: number): BoundedBacktest {
  const c = checkArgs(candles, positions, from, to, costs, barsPerYear)
  if (to === from) return { metrics: emptyMetrics(), inBounds: true, readEnd: from }
  const totals = runRange(candles, positions, from, to, c, undefined, lo, hi)
  // Metrics of out-of-bounds positions may be non-finite; summarise would throw on them.
  return { metrics: totals.inBounds ? summarise(totals, barsPerYear) : emptyMetrics(), inBounds: totals.inBounds, readEnd: totals.readEnd }
}

/** Checks backtest()'s arguments; returns the cost per side. */
function checkArgs (candles: Candles, positions: Float64Array, from: number, to: number, costs: Costs, barsPerYear: number): number {
  const n = candles.length
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > n || from > to) {
    throw badArgs(`range [${from}, ${to}) is not within the ${n} candles`, { from, to, bars: n })
  }
  if (positions.length !== n) throw badArgs(`${positions.length} positions for ${n} candles`, { positions: positions.length, bars: n })
  const c = costs.fee + costs.slippage
  if (!(costs.fee >= 0) || !(costs.slippage >= 0) || !(c <= MAX_COST_PER_SIDE)) {
    throw badArgs(`fee ${costs.fee} + slippage ${costs.slippage} must be >= 0 and at most ${MAX_COST_PER_SIDE} per side`, { fee: costs.fee, slippage: costs.slippage })
  }
  if (!(barsPerYear > 0) || !Number.isFinite(barsPerYear)) throw badArgs(`barsPerYear must be a positive number, got ${barsPerYear}`, { barsPerYear })
  return c
}
