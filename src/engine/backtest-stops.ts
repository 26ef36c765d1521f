/**
 * The backtest kernel for a genome with engine-managed stops (stop-loss, take-profit, trailing
 * stop). The execution model of backtest.ts holds unchanged; stops add these rules:
 * - A trade's entry price is the open of the bar where it was entered. The stop-loss level is
 *   entry * (1 - stopLoss) for a long (entry * (1 + stopLoss) for a short), the target
 *   entry * (1 + takeProfit) (short: entry * (1 - takeProfit)), the trailing level
 *   best * (1 - trailingStop) (short: best * (1 + trailingStop)) where `best` is the highest price
 *   (short: lowest) seen since entry. With both, the stop is the tighter of stop-loss and trailing.
 * - On every bar a trade is held into (the strategy keeps its sign), first the open: an open at or
 *   beyond the stop (gapped through) exits at the open; else an open at or beyond the target exits
 *   at the open. Such an exit is a normal exit at the open (exit cost, the bar counts as flat).
 * - Then, on every bar the trade is held over (its entry bar too), `best` takes the bar's open,
 *   and: a low at or below the stop (short: a high at or above) exits AT the stop price; else a
 *   high at or above the target (short: a low at or below) exits AT the target price. When a bar
 *   touches both, the stop fills first (we cannot know the order inside the bar; assume the worse).
 *   Only then does `best` take the bar's high (short: low), so a bar cannot raise its own stop
 *   and hit it.
 * - An exit inside bar j pays c * |w| like any fill, and the bar's factor is
 *     (cp + wp*(o - cp)) * (o + w*(x - o)) / (cp*o) * (1 - c*|w - wp|) * (1 - c*|w|)
 *   (the rebalancing term only when w != wp) with x the exit price in place of the close: flat
 *   from x to the close. The bar counts as exposed (held from its open).
 * - After a stop or target exit, the position stays flat until positions[] changes value (a new
 *   signal), so a strategy still saying "long" does not re-enter at the next open.
 * - A resize that keeps the sign keeps the trade, its entry price and its best price.
 * Everything else (equity, trade returns, costs at sign flips, ruin, exposure, per-bar returns,
 * the variance blocks) is computed as in backtest-kernel.ts's general bar, in the same order, so
 * stops that never trigger give the plain kernel's metrics bit for bit (backtest-stops.test.ts).
 *
 * This kernel runs only for strategies that declare stops, kept apart from the plain kernel so
 * that one keeps its speed. Its one fast path is the flat run (runRange's flat bar); a held bar
 * always takes the general bar, since any of them may fill a stop (BENCHMARKS.md: the cost).
 */
import { StratmeshError } from '../protocol/errors.js'
import { closeTrade, Moments, STATS_BLOCK, type RangeRun, type TradeTally } from './backtest-kernel.js'
import type { ResolvedStops } from './stops.js'
import type { Candles } from '../protocol/types.js'

/** Why a trade ended: the strategy's signal, a stop, the end of the range, or ruin. */
export type ExitReason = 'signal' | 'stop-loss' | 'trailing-stop' | 'take-profit' | 'end' | 'ruin'

/** A trade as this kernel closed it, for the detailed backtest and the tests. */
export interface StopTrade {
  readonly side: 1 | -1
  readonly entryBar: number
  readonly entryPrice: number
  /** The bar where it was left: at the open, inside the bar (a stop), or the range's last bar. */
  readonly exitBar: number
  readonly exitPrice: number
  readonly exit: ExitReason
  /** Its return with costs, as the metrics count it (-1 at worst). */
  readonly return: number
}

const NONE = 0
const STOP_LOSS = 1
const TRAILING = 2
const TARGET = 3
const REASONS: readonly ExitReason[] = ['signal', 'stop-loss', 'trailing-stop', 'take-profit']

/**
 * The open trade's stop state; one per run, reused by every trade. The stop level is kept, not
 * recomputed per bar: it changes only at entry and when the best price moves.
 */
class HeldTrade {
  side = 0
  entryBar = -1
  entryPrice = 0
  best = 0
  fixedStop = 0
  target = 0
  /** The tighter of the stop-loss and the trailing level, and which of the two it is. */
  stop = 0
  stopKind = STOP_LOSS
  /** The price of the last exit found by gapExit or barExit. */
  exitPrice = 0

  constructor (private readonly stops: ResolvedStops) {}

  enter (side: number, bar: number, price: number): void {
    const { stopLoss, takeProfit } = this.stops
    this.side = side
    this.entryBar = bar
    this.entryPrice = price
    this.best = price
    if (side > 0) {
      this.fixedStop = stopLoss > 0 ? price * (1 - stopLoss) : -Infinity
      this.target = takeProfit > 0 ? price * (1 + takeProfit) : Infinity
    } else {
      this.fixedStop = stopLoss > 0 ? price * (1 + stopLoss) : Infinity
      this.target = takeProfit > 0 ? price * (1 - takeProfit) : -Infinity
    }
    this.updateStop()
  }

  /** The stop from the best price so far: the tighter level, the stop-loss on a tie. */
  private updateStop (): void {
    const t = this.stops.trailingStop
    const long = this.side > 0
    const trail = t > 0 ? (long ? this.best * (1 - t) : this.best * (1 + t)) : (long ? -Infinity : Infinity)
    const tighter = long ? trail > this.fixedStop : trail < this.fixedStop
    this.stop = tighter ? trail : this.fixedStop
    this.stopKind = tighter ? TRAILING : STOP_LOSS
  }

  private seeBest (price: number): void {
    if (this.side > 0 ? price > this.best : price < this.best) {
      this.best = price
      this.updateStop()
    }
  }

  /** A trade held into a bar whose open is at or beyond its stop or target: exits at the open. */
  gapExit (o: number): number {
    const long = this.side > 0
    this.exitPrice = o
    if (long ? o <= this.stop : o >= this.stop) return this.stopKind
    if (long ? o >= this.target : o <= this.target) return TARGET
    return NONE
  }

  /** The bar's range after its open: the stop first, then the target; then the best price moves. */
  barExit (o: number, h: number, l: number): number {
    const long = this.side > 0
    this.seeBest(o)
    if (long ? l <= this.stop : h >= this.stop) {
      this.exitPrice = this.stop
      return this.stopKind
    }
    if (long ? h >= this.target : l <= this.target) {
      this.exitPrice = this.target
      return TARGET
    }
    this.seeBest(long ? h : l)
    return NONE
  }
}

/** Closes the open trade in the tally and, when asked for, in the trade list. */
function closeHeld (tally: TradeTally, trades: StopTrade[] | undefined, held: HeldTrade, ret: number, bar: number, price: number, exit: ExitReason): void {
  closeTrade(tally, ret)
  if (trades !== undefined) {
    trades.push({ side: held.side > 0 ? 1 : -1, entryBar: held.entryBar, entryPrice: held.entryPrice, exitBar: bar, exitPrice: price, exit, return: ret >= -1 ? ret : -1 })
  }
  held.side = 0
}

/**
 * The pass over a non-empty range with valid arguments, as runRange plus the stop rules above;
 * `trades`, when given, receives every trade closed. One function for the reason runRange is: its
 * running values stay in registers, and its arithmetic reads side by side with the general bar.
 */
// eslint-disable-next-line max-lines-per-function -- a kernel: its running values stay locals, and its arithmetic must read beside runRange's general bar (see above)
export function runRangeWithStops (candles: Candles, positions: Float64Array, from: number, to: number, c: number, stops: ResolvedStops, eq: Float64Array | undefined, lo: number, hi: number, trades?: StopTrade[]): RangeRun {
  const { open, high, low, close } = candles
  const tally: TradeTally = { trades: 0, wins: 0, grossWin: 0, grossLoss: 0 }
  const held = new HeldTrade(stops)
  let e = 1
  let peak = 1
  let floor = 1
  let maxDD = 0
  let exposed = 0
  let tf = 1
  let down2 = 0
  const moments = new Moments()
  moments.merge(1, 0, 0)
  let wp = 0
  let cp = close[from]
  let ruined = false
  let inBounds = true
  // After a stop: the target position that must change before the strategy can trade again.
  let locked = false
  let lockedTarget = 0
  if (eq !== undefined) eq[0] = 1

  let j = from + 1
  while (j < to) {
    const blockStart = j
    const end = Math.min(to, j + STATS_BLOCK)
    const shift = moments.mean
    let s1 = 0
    let s2 = 0
    const flatD = 0 - shift
    const flatD2 = flatD * flatD
    while (j < end) {
      if (wp === 0) {
        // A flat run (no trade, and the target 0 or the one a stop locked out): runRange's flat
        // bar, whose factor is exactly 1 under this guard (see there), so only the moments take
        // r = 0; anything else is left to the general bar below.
        const flatFrom = j
        for (; j < end; j++) {
          const t = positions[j - 1]
          if (locked && t !== lockedTarget) locked = false
          if (t !== 0 && !locked) break
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
        if (j >= end) break
      }

      // The general bar.
      const target = positions[j - 1]
      if (!(target >= lo && target <= hi)) inBounds = false
      if (locked && target !== lockedTarget) locked = false
      let w = locked ? 0 : target
      const o = open[j]
      let gap = NONE
      if (wp !== 0 && Math.sign(w) === Math.sign(wp)) {
        gap = held.gapExit(o)
        if (gap !== NONE) {
          w = 0
          locked = true
          lockedTarget = target
        }
      }
      const sp = Math.sign(wp)
      const sn = Math.sign(w)
      // The held trade ends at this open (a new sign, flat, or a gap through a stop): its return
      // as runRange's sign change computes it, before a new trade replaces it.
      if (sp !== 0 && sn !== sp) closeHeld(tally, trades, held, tf * (cp + wp * (o - cp)) / cp * (1 - c * Math.abs(wp)) - 1, j, o, REASONS[gap])
      if (sn !== 0 && sn !== sp) held.enter(sn, j, o)
      const inBar = sn !== 0 ? held.barExit(o, high[j], low[j]) : NONE
      const x = inBar !== NONE ? held.exitPrice : close[j]
      // Multiplying by exactly 1 changes no bit, so a bar without a stop fill is runRange's bar.
      const xf = inBar !== NONE ? 1 - c * Math.abs(w) : 1
      let f = (cp + wp * (o - cp)) * (o + w * (x - o)) / (cp * o)
      if (w !== wp) {
        f *= 1 - c * Math.abs(w - wp)
        f *= xf
        if (sp === sn) tf *= f
        else if (sn !== 0) tf = (1 - c * Math.abs(w)) * (o + w * (x - o)) / o * xf
        if (sn !== 0) exposed++
      } else if (w !== 0) {
        f *= xf
        tf *= f
        exposed++
      }
      if (!(f > 0)) {
        if (Number.isNaN(f)) {
          throw new StratmeshError('BACKTEST_NON_FINITE', `bar ${j}: equity factor is NaN (open ${o}, close ${close[j]}, previous close ${cp}, position ${w})`, { details: { bar: j } })
        }
        f = 0
        ruined = true
      } else if (inBar !== NONE) {
        closeHeld(tally, trades, held, tf - 1, j, x, REASONS[inBar])
        locked = true
        lockedTarget = target
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
      cp = close[j]
      wp = inBar !== NONE ? 0 : w
      j++
      if (ruined) {
        if (w !== 0) closeHeld(tally, trades, held, -1, j - 1, x, 'ruin')
        wp = 0
        break
      }
    }
    moments.mergeShifted(j - blockStart, shift, s1, s2)
    if (ruined) break
  }
  const readEnd = j - 1
  if (ruined) {
    const rest = to - j
    if (rest > 0) moments.merge(rest, 0, 0)
    if (eq !== undefined) eq.fill(0, j - from, to - from)
  }
  if (wp !== 0) closeHeld(tally, trades, held, tf - 1, to - 1, close[to - 1], 'end')

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
