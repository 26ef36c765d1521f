/**
 * The detailed backtest behind the dashboard's charts: the same Metrics as `backtest()` (it calls
 * it, so they are the same numbers bit for bit), plus the equity and drawdown of every bar and the
 * list of trades. It runs once per click, never in the GA, so unlike the hot path it allocates
 * freely. The trade list follows backtest.ts's execution model exactly (see the comment there):
 * a trade is a maximal run of bars with one non-zero sign of the held weight, entered and left at
 * bar opens, costs split at sign flips, an open trade closed at the range's last close.
 */
import { StratmeshError } from '../protocol/errors.js'
import { backtest, backtestWithStops } from './backtest.js'
import type { StopTrade } from './backtest-stops.js'
import { checkPositions, checkSplit, describeThrown, robustFitness, type EvalSetup } from './evaluate.js'
import { genomeStops, type ResolvedStops } from './stops.js'
import { fitnessOf } from './objective.js'
import type { ParamsOf, ParamSpace, StrategyContext, StrategyDefinition } from './strategy-api.js'
import type { Candles, Costs, Metrics, ParamValues } from '../protocol/types.js'

export interface Trade {
  /** 1 long, -1 short. */
  readonly side: 1 | -1
  /** The bar at whose open the trade was entered. */
  readonly entryBar: number
  /**
   * The bar at whose open it was left; the range's last bar (left at its close) when `open`; with
   * stops, the bar inside which a stop or target filled.
   */
  readonly exitBar: number
  /** Still open at the end of the range: marked to the last close, no exit cost. */
  readonly open: boolean
  /** The trade's return including its costs, as backtest() counts it (-1 at worst). */
  readonly return: number
  /**
   * Only for a trade a stop or target closed: the price it filled at (inside the exit bar, or its
   * open when the bar gapped through). Other trades leave at the exit bar's open (close if `open`).
   */
  readonly exitPrice?: number
}

/** One range [from, to) in full detail; equity[k] and drawdown[k] belong to bar from + k. */
export interface RangeDetail {
  readonly from: number
  readonly to: number
  readonly metrics: Metrics
  /** Equity at each bar's close, starting from 1. */
  readonly equity: Float64Array
  /** equity / running peak - 1: 0 at a new high, -0.25 when 25 % below the peak. */
  readonly drawdown: Float64Array
  readonly trades: readonly Trade[]
}

export interface GenomeDetail {
  readonly params: ParamValues
  readonly fitness: number | null
  readonly inSample: RangeDetail
  readonly outOfSample: RangeDetail
}

function tradeReturn (r: number): number {
  // As backtest's closeTrade: a trade cannot lose more than everything (NaN counts as a total loss).
  return r >= -1 ? r : -1
}

/** The trades of `positions` over [from, to), replaying backtest()'s loop without its statistics. */
function tradesOf (candles: Candles, positions: Float64Array, from: number, to: number, c: number): Trade[] {
  const { open, close } = candles
  const trades: Trade[] = []
  let wp = 0
  let cp = close[from]
  let tf = 1
  let entry = -1
  const closeAt = (bar: number, ret: number, stillOpen: boolean): void => {
    trades.push({ side: wp > 0 ? 1 : -1, entryBar: entry, exitBar: bar, open: stillOpen, return: tradeReturn(ret) })
  }
  for (let j = from + 1; j < to; j++) {
    const w = positions[j - 1]
    const o = open[j]
    const cl = close[j]
    let f = (cp + wp * (o - cp)) * (o + w * (cl - o)) / (cp * o)
    if (w !== wp) {
      f *= 1 - c * Math.abs(w - wp)
      const sp = Math.sign(wp)
      const sn = Math.sign(w)
      if (sp === sn) {
        tf *= f
      } else {
        if (sp !== 0) closeAt(j, tf * (cp + wp * (o - cp)) / cp * (1 - c * Math.abs(wp)) - 1, false)
        if (sn !== 0) { tf = (1 - c * Math.abs(w)) * (o + w * (cl - o)) / o; entry = j }
      }
    } else if (w !== 0) {
      tf *= f
    }
    if (!(f > 0)) {
      // Ruin: the trade entered or held over this bar is lost; the rest of the range is flat.
      if (w !== 0) { wp = w; closeAt(j, -1, false) }
      return trades
    }
    cp = cl
    wp = w
  }
  if (wp !== 0) closeAt(to - 1, tf - 1, true)
  return trades
}

function fromStopTrade (t: StopTrade): Trade {
  const trade = { side: t.side, entryBar: t.entryBar, exitBar: t.exitBar, open: t.exit === 'end', return: t.return }
  const stopped = t.exit === 'stop-loss' || t.exit === 'trailing-stop' || t.exit === 'take-profit'
  return stopped ? { ...trade, exitPrice: t.exitPrice } : trade
}

/**
 * Backtests [from, to) like backtest(), keeping the equity, drawdown and trades of every bar; with
 * `stops`, like backtestWithStops(), whose own pass lists the trades (so they are its trades).
 */
export function backtestDetail (candles: Candles, positions: Float64Array, from: number, to: number, costs: Costs, barsPerYear: number, stops: ResolvedStops | null = null): RangeDetail {
  const equity = new Float64Array(Math.max(0, to - from))
  if (stops !== null) {
    const stopTrades: StopTrade[] = []
    const metrics = backtestWithStops(candles, positions, from, to, costs, barsPerYear, stops, { equity, trades: stopTrades })
    return { from, to, metrics, equity, drawdown: drawdownOf(equity), trades: stopTrades.map(fromStopTrade) }
  }
  // backtest() checks every argument, so the loops below may trust them.
  const metrics = backtest(candles, positions, from, to, costs, barsPerYear, { equity })
  const trades = to - from < 2 ? [] : tradesOf(candles, positions, from, to, costs.fee + costs.slippage)
  return { from, to, metrics, equity, drawdown: drawdownOf(equity), trades }
}

function drawdownOf (equity: Float64Array): Float64Array {
  const drawdown = new Float64Array(equity.length)
  let peak = 1
  for (let k = 0; k < equity.length; k++) {
    if (equity[k] > peak) peak = equity[k]
    drawdown[k] = equity[k] / peak - 1
  }
  return drawdown
}

/**
 * Evaluates one genome in detail: the strategy runs over the whole data as in evaluateGenome, and
 * each range is backtested with backtestDetail, so the metrics and fitness equal the ones the GA
 * recorded for the same genome. A strategy that throws or returns unusable positions is an error
 * here (there is nothing to draw), with the code evaluateGenome would have recorded.
 */
export function evaluateDetail<S extends ParamSpace> (def: StrategyDefinition<S>, ctx: StrategyContext, params: ParamValues, setup: EvalSetup): GenomeDetail {
  const n = ctx.length
  checkSplit(setup, n)
  let out: unknown
  try {
    out = def.positions(ctx, params as ParamsOf<S>)
  } catch (err) {
    throw new StratmeshError('STRATEGY_THREW', describeThrown(err), { cause: err })
  }
  const positions = checkPositions(out, n)
  if (typeof positions === 'string') throw new StratmeshError('STRATEGY_BAD_POSITIONS', positions)
  const stops = genomeStops(def, params)
  const inSample = backtestDetail(ctx, positions, setup.from, setup.split, setup.costs, setup.barsPerYear, stops)
  const outOfSample = backtestDetail(ctx, positions, setup.split, setup.to, setup.costs, setup.barsPerYear, stops)
  const own = fitnessOf(inSample.metrics, setup.objective, setup.minTrades)
  // The robust objective's fitness is evaluateGenome's, so the detail shows the number the GA ranked by.
  const fitness = setup.objective === 'robust' && own !== null ? robustFitness(def as StrategyDefinition, ctx, params, setup, own) : own
  return { params, fitness, inSample, outOfSample }
}
