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
 * Speed: the GA runs this ~100 times a second on 1M bars, so the loop allocates nothing, divides
 * once per bar, computes costs only when the target changes, and keeps unpredictable branches out
 * (see the downside term). Bars where the position stays flat or stays the same run in their own
 * tight loops (a flat bar needs no division at all), and only a change of position takes the
 * general path. The one unpredictable branch left is the new-maximum-drawdown test: on an equity
 * curve that keeps making new lows it is a coin flip, and every branch-free form measured slower
 * (selects by arithmetic lengthen the per-bar dependency chain; Math.min and ?: compile to branches).
 * Exactness: the results must not change by one bit between versions (peers compare checkpoint
 * hashes), so a faster form is only acceptable when it performs the same floating-point operations
 * in the same order; test/engine/pinned-results.test.ts holds that line.
 */
import { StratmeshError } from '../protocol/errors.js'
import { emptyMetrics, summarise, type RangeTotals } from './metrics.js'
import type { Candles, Costs, Metrics } from '../protocol/types.js'

export { barsPerYear } from './metrics.js'

/**
 * Largest accepted cost per side (fee + slippage). It keeps the rebalancing factor 1 - c*|dw|
 * (|dw| <= 2) at 0.5 or more, so costs alone can never ruin the account; real fees are far below
 * (0.1 % is typical), so anything larger is a unit mistake (a percentage passed as a fraction).
 */
export const MAX_COST_PER_SIDE = 0.25

/**
 * Bars per block of the variance accumulation. Each block sums deviations from the running mean of
 * the blocks before it (shifted data, so no catastrophic cancellation) and is merged with Chan's
 * parallel formula; this keeps the division out of the per-bar dependency chain that Welford's
 * update puts there. 1024 makes the merge cost negligible while the shift stays fresh.
 */
const STATS_BLOCK = 1024

export interface BacktestOptions {
  /** Filled with the equity at the close of each bar of the range (index 0 = bar `from`). Length >= to - from. */
  readonly equity?: Float64Array
}

interface TradeTally { trades: number, wins: number, grossWin: number, grossLoss: number }

function closeTrade (tally: TradeTally, ret: number): void {
  // A trade cannot lose more than everything; written so NaN would count as a total loss too.
  const r = ret >= -1 ? ret : -1
  tally.trades++
  if (r > 0) { tally.wins++; tally.grossWin += r } else if (r < 0) tally.grossLoss -= r
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

interface RangeRun extends RangeTotals {
  readonly inBounds: boolean
  readonly readEnd: number
}

/**
 * The pass itself, over a non-empty range with valid arguments. Each block of bars runs three
 * loops: a flat run (no position before or after), a held run (the same non-zero position), and
 * the general bar (a change of position, a ruin, bad prices) that the two fast loops leave to it.
 * The fast loops do exactly the general bar's arithmetic minus the parts that are provably no-ops
 * for them, in the same order, so every sum and product comes out with the same bits.
 */
function runRange (candles: Candles, positions: Float64Array, from: number, to: number, c: number, eq: Float64Array | undefined, lo: number, hi: number): RangeRun {
  const open = candles.open
  const close = candles.close
  const tally: TradeTally = { trades: 0, wins: 0, grossWin: 0, grossLoss: 0 }
  let e = 1
  let peak = 1
  let floor = 1 // peak * (1 - maxDD): equity below it is a new maximum drawdown
  let maxDD = 0
  let exposed = 0
  let tf = 1 // equity factor of the open trade so far
  let down2 = 0
  // Moments of the per-bar returns; bar `from` contributes r = 0.
  const moments = new Moments()
  moments.merge(1, 0, 0)
  let wp = 0
  let cp = close[from]
  let ruined = false
  let inBounds = true
  if (eq !== undefined) eq[0] = 1

  let j = from + 1
  while (j < to) {
    const blockStart = j
    const end = Math.min(to, j + STATS_BLOCK)
    const shift = moments.mean
    let s1 = 0
    let s2 = 0
    // A flat bar's return is exactly 0, so its deviation from the shift is the same every bar.
    const flatD = 0 - shift
    const flatD2 = flatD * flatD
    while (j < end) {
      if (positions[j - 1] === wp) {
        if (wp === 0) {
          // Flat before and after: the general bar's factor is cp * o / (cp * o), exactly 1 when
          // both products below are positive and finite (then no price is 0, NaN, infinite or of
          // the other sign, and no difference overflows). So e, the drawdown, the trade, the
          // exposure and the downside sum (+0) stay as they are; only the moments take r = 0.
          // Two bars per iteration (fewer loop tests), then the odd one.
          const flatFrom = j
          for (; j + 1 < end; j += 2) {
            if (positions[j - 1] !== 0 || positions[j] !== 0) break
            const o = open[j]
            const cl = close[j]
            const o2 = open[j + 1]
            const cl2 = close[j + 1]
            const g = cp * o
            const h = cl * o
            const g2 = cl * o2
            const h2 = cl2 * o2
            if (!(g > 0 && h > 0 && g2 > 0 && h2 > 0 && g + h + g2 + h2 <= Number.MAX_VALUE)) break
            s1 += flatD
            s2 += flatD2
            s1 += flatD
            s2 += flatD2
            cp = cl2
          }
          for (; j < end; j++) {
            if (positions[j - 1] !== 0) break
            const o = open[j]
            const cl = close[j]
            const g = cp * o
            const h = cl * o
            if (!(g > 0 && h > 0 && g + h <= Number.MAX_VALUE)) break
            s1 += flatD
            s2 += flatD2
            cp = cl
          }
          if (eq !== undefined) eq.fill(e, flatFrom - from, j - from)
        } else {
          // Held: the general bar without the rebalancing branch. A factor that is not > 0 (ruin,
          // bad prices) is left to the general bar, which computes it again identically.
          const w = wp
          const heldFrom = j
          // Two bars per iteration when both can be taken, each updating every sum in bar order.
          for (; j + 1 < end; j += 2) {
            if (positions[j - 1] !== w || positions[j] !== w) break
            const o = open[j]
            const cl = close[j]
            const o2 = open[j + 1]
            const cl2 = close[j + 1]
            const f = (cp + w * (o - cp)) * (o + w * (cl - o)) / (cp * o)
            const f2 = (cl + w * (o2 - cl)) * (o2 + w * (cl2 - o2)) / (cl * o2)
            if (!(f > 0 && f2 > 0)) break
            tf *= f
            tf *= f2
            e *= f
            if (e > peak) {
              peak = e
              floor = peak * (1 - maxDD)
            } else if (e < floor) {
              maxDD = 1 - e / peak
              floor = e
            }
            if (eq !== undefined) eq[j - from] = e
            e *= f2
            if (e > peak) {
              peak = e
              floor = peak * (1 - maxDD)
            } else if (e < floor) {
              maxDD = 1 - e / peak
              floor = e
            }
            if (eq !== undefined) eq[j + 1 - from] = e
            const r = f - 1
            const d = r - shift
            const r2 = f2 - 1
            const d2 = r2 - shift
            s1 += d
            s2 += d * d
            down2 += r * (r - Math.abs(r))
            s1 += d2
            s2 += d2 * d2
            down2 += r2 * (r2 - Math.abs(r2))
            cp = cl2
          }
          for (; j < end; j++) {
            if (positions[j - 1] !== w) break
            const o = open[j]
            const cl = close[j]
            const f = (cp + w * (o - cp)) * (o + w * (cl - o)) / (cp * o)
            if (!(f > 0)) break
            tf *= f
            e *= f
            if (e > peak) {
              peak = e
              floor = peak * (1 - maxDD)
            } else if (e < floor) {
              maxDD = 1 - e / peak
              floor = e
            }
            const r = f - 1
            const d = r - shift
            s1 += d
            s2 += d * d
            // 2 * min(r, 0)^2 without a branch (the sign of r is a coin flip the CPU cannot predict):
            // r - |r| is 0 for r >= 0 and exactly 2r below; halved once at the end.
            down2 += r * (r - Math.abs(r))
            if (eq !== undefined) eq[j - from] = e
            cp = cl
          }
          exposed += j - heldFrom
        }
        if (j >= end) break
      }

      // The general bar.
      const w = positions[j - 1]
      const o = open[j]
      const cl = close[j]
      // The gap and open->close factors over one common denominator: a single division per bar.
      let f = (cp + wp * (o - cp)) * (o + w * (cl - o)) / (cp * o)
      if (w !== wp) {
        // Written so NaN fails too.
        if (!(w >= lo && w <= hi)) inBounds = false
        // The rebalancing cost, only paid (and computed) when the target changes.
        f *= 1 - c * Math.abs(w - wp)
        const sp = Math.sign(wp)
        const sn = Math.sign(w)
        if (sp === sn) {
          tf *= f
        } else {
          if (sp !== 0) closeTrade(tally, tf * (cp + wp * (o - cp)) / cp * (1 - c * Math.abs(wp)) - 1)
          if (sn !== 0) tf = (1 - c * Math.abs(w)) * (o + w * (cl - o)) / o
        }
        if (sn !== 0) exposed++
      } else if (w !== 0) {
        tf *= f
        exposed++
      }
      if (!(f > 0)) {
        if (Number.isNaN(f)) {
          throw new StratmeshError('BACKTEST_NON_FINITE', `bar ${j}: equity factor is NaN (open ${o}, close ${cl}, previous close ${cp}, position ${w})`, { details: { bar: j } })
        }
        f = 0
        ruined = true
      }
      e *= f
      if (e > peak) {
        peak = e
        floor = peak * (1 - maxDD)
      } else if (e < floor) {
        maxDD = 1 - e / peak
        floor = e
      }
      const r = f - 1
      const d = r - shift
      s1 += d
      s2 += d * d
      down2 += r * (r - Math.abs(r))
      if (eq !== undefined) eq[j - from] = e
      cp = cl
      wp = w
      j++
      if (ruined) {
        if (w !== 0) closeTrade(tally, -1)
        wp = 0
        break
      }
    }
    moments.mergeShifted(j - blockStart, shift, s1, s2)
    if (ruined) break
  }
  // Positions read: positions[from .. j - 1) (bar k reads positions[k - 1]).
  const readEnd = j - 1
  if (ruined) {
    // The rest of the range is flat at zero equity: zero returns, no exposure.
    const rest = to - j
    if (rest > 0) moments.merge(rest, 0, 0)
    if (eq !== undefined) eq.fill(0, j - from, to - from)
  }
  if (wp !== 0) closeTrade(tally, tf - 1)

  return {
    bars: to - from,
    finalEquity: e,
    mean: moments.mean,
    m2: moments.m2,
    downside2: 0.5 * down2,
    maxDrawdown: maxDD,
    trades: tally.trades,
    wins: tally.wins,
    grossWin: tally.grossWin,
    grossLoss: tally.grossLoss,
    exposedBars: exposed,
    inBounds,
    readEnd,
  }
}

/** Count, mean and sum of squared deviations, merged block by block (Chan et al.'s pairwise update). */
class Moments {
  count = 0
  mean = 0
  m2 = 0

  merge (nb: number, meanB: number, m2b: number): void {
    const total = this.count + nb
    const delta = meanB - this.mean
    this.m2 += m2b + delta * delta * (this.count * nb / total)
    this.mean += delta * nb / total
    this.count = total
  }

  /** Merges a block of `nb` values given as s1 = sum(x - shift) and s2 = sum((x - shift)^2). */
  mergeShifted (nb: number, shift: number, s1: number, s2: number): void {
    const m2b = s2 - s1 * s1 / nb
    // A constant block can come out a hair below 0 from rounding.
    this.merge(nb, shift + s1 / nb, m2b > 0 ? m2b : 0)
  }
}
