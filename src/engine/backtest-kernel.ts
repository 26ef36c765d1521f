/**
 * The backtest kernel: the one pass over a range of bars behind backtest() and backtestInBounds()
 * (backtest.ts holds the execution model, the public API and its argument checks).
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
import type { RangeTotals } from './metrics.js'
import type { Candles } from '../protocol/types.js'

/**
 * Bars per block of the variance accumulation. Each block sums deviations from the running mean of
 * the blocks before it (shifted data, so no catastrophic cancellation) and is merged with Chan's
 * parallel formula; this keeps the division out of the per-bar dependency chain that Welford's
 * update puts there. 1024 makes the merge cost negligible while the shift stays fresh.
 */
export const STATS_BLOCK = 1024

export interface TradeTally { trades: number, wins: number, grossWin: number, grossLoss: number }

export function closeTrade (tally: TradeTally, ret: number): void {
  // A trade cannot lose more than everything; written so NaN would count as a total loss too.
  const r = ret >= -1 ? ret : -1
  tally.trades++
  if (r > 0) { tally.wins++; tally.grossWin += r } else if (r < 0) tally.grossLoss -= r
}

export interface RangeRun extends RangeTotals {
  readonly inBounds: boolean
  readonly readEnd: number
}

/**
 * The pass itself, over a non-empty range with valid arguments. Each block of bars runs three
 * loops: a flat run (no position before or after), a held run (the same non-zero position), and
 * the general bar (a change of position, a ruin, bad prices) that the two fast loops leave to it.
 * The fast loops do exactly the general bar's arithmetic minus the parts that are provably no-ops
 * for them, in the same order, so every sum and product comes out with the same bits.
 *
 * Why one long function: the three loops share a dozen running values (equity, peak, drawdown
 * floor, the open trade's factor, the block's sums) that V8 keeps in registers while they stay
 * locals of one function. Steps in functions of their own would have to hand them over in an
 * object on every switch between a fast loop and the general bar, which allocates or spills them
 * to memory on the hottest path the GA has; and keeping the fast paths beside the general bar is
 * what lets a reader check that each performs the same floating-point operations in the same
 * order, which the checkpoint hashes depend on.
 */
// eslint-disable-next-line max-lines-per-function -- the hot kernel: one function keeps its running values in registers and its fast paths beside the general bar they must match bit for bit (see above)
export function runRange (candles: Candles, positions: Float64Array, from: number, to: number, c: number, eq: Float64Array | undefined, lo: number, hi: number): RangeRun {
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
export class Moments {
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
