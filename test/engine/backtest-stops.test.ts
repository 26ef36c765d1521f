import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backtest, backtestWithStops } from '../../src/engine/backtest.js'
import type { StopTrade } from '../../src/engine/backtest-stops.js'
import { createPrng } from '../../src/engine/prng.js'
import type { ResolvedStops } from '../../src/engine/stops.js'
import type { Candles, Costs } from '../../src/protocol/types.js'

/**
 * The oracle: the stop rules of backtest-stops.ts written the plain way, one bar and one step at
 * a time, sharing no code with the engine. Equity moves by the overnight gap, the fills at the
 * open, the move to the exit price or the close, and an exit fill, each its own factor.
 */
interface OracleRun { equity: number[], trades: StopTrade[], exposedBars: number }

type Reason = StopTrade['exit']

function oracle (bars: Candles, positions: ArrayLike<number>, from: number, to: number, c: number, stops: Partial<ResolvedStops>): OracleRun {
  const sl = stops.stopLoss ?? 0
  const tp = stops.takeProfit ?? 0
  const trail = stops.trailingStop ?? 0
  const equity = [1]
  const trades: StopTrade[] = []
  let e = 1
  let w = 0
  let trade = { side: 1 as 1 | -1, entryBar: 0, entryPrice: 0, best: 0, factor: 1 }
  let waitingFor: number | null = null // after a stop: stay flat while the target is this
  let exposedBars = 0
  const stopOf = (): [number, Reason] => {
    const long = trade.side === 1
    const fixed = sl > 0 ? trade.entryPrice * (long ? 1 - sl : 1 + sl) : (long ? -Infinity : Infinity)
    const trailing = trail > 0 ? trade.best * (long ? 1 - trail : 1 + trail) : (long ? -Infinity : Infinity)
    const trailingTighter = long ? trailing > fixed : trailing < fixed
    return trailingTighter ? [trailing, 'trailing-stop'] : [fixed, 'stop-loss']
  }
  const targetOf = (): number => tp > 0 ? trade.entryPrice * (trade.side === 1 ? 1 + tp : 1 - tp) : (trade.side === 1 ? Infinity : -Infinity)
  const exit = (bar: number, price: number, reason: Reason): void => {
    trades.push({ side: trade.side, entryBar: trade.entryBar, entryPrice: trade.entryPrice, exitBar: bar, exitPrice: price, exit: reason, return: trade.factor - 1 })
  }
  for (let j = from + 1; j < to; j++) {
    const o = bars.open[j]
    const target = positions[j - 1]
    if (waitingFor !== null && target !== waitingFor) waitingFor = null
    let want = waitingFor === null ? target : 0
    // Overnight: the old weight earns the gap.
    const gap = 1 + w * (o / bars.close[j - 1] - 1)
    e *= gap
    trade.factor *= gap
    // A trade the strategy keeps: did the open jump past its stop or target?
    let gapReason: Reason = 'signal'
    if (w !== 0 && Math.sign(want) === Math.sign(w)) {
      const [stop, kind] = stopOf()
      const tgt = targetOf()
      if (trade.side === 1 ? o <= stop : o >= stop) gapReason = kind
      else if (trade.side === 1 ? o >= tgt : o <= tgt) gapReason = 'take-profit'
      if (gapReason !== 'signal') { want = 0; waitingFor = target }
    }
    // Fills at the open.
    e *= 1 - c * Math.abs(want - w)
    if (w !== 0 && Math.sign(want) !== Math.sign(w)) {
      trade.factor *= 1 - c * Math.abs(w)
      exit(j, o, gapReason)
    } else if (w !== 0) {
      trade.factor *= 1 - c * Math.abs(want - w)
    }
    if (want !== 0 && Math.sign(want) !== Math.sign(w)) trade = { side: want > 0 ? 1 : -1, entryBar: j, entryPrice: o, best: o, factor: 1 - c * Math.abs(want) }
    w = want
    if (w === 0) { equity.push(e); continue }
    exposedBars++
    // Inside the bar: the best price takes the open, then the stop, then the target.
    const long = trade.side === 1
    if (long ? o > trade.best : o < trade.best) trade.best = o
    const [stop, kind] = stopOf()
    const tgt = targetOf()
    let fill: [number, Reason] | null = null
    if (long ? bars.low[j] <= stop : bars.high[j] >= stop) fill = [stop, kind]
    else if (long ? bars.high[j] >= tgt : bars.low[j] <= tgt) fill = [tgt, 'take-profit']
    const price = fill === null ? bars.close[j] : fill[0]
    const move = 1 + w * (price / o - 1)
    e *= move
    trade.factor *= move
    if (fill !== null) {
      e *= 1 - c * Math.abs(w)
      trade.factor *= 1 - c * Math.abs(w)
      exit(j, fill[0], fill[1])
      w = 0
      waitingFor = target
    } else {
      trade.best = long ? Math.max(trade.best, bars.high[j]) : Math.min(trade.best, bars.low[j])
    }
    equity.push(e)
  }
  if (w !== 0) exit(to - 1, bars.close[to - 1], 'end')
  return { equity, trades, exposedBars }
}

/** Candles from [open, high, low, close] rows. */
function candlesOf (rows: ReadonlyArray<readonly [number, number, number, number]>): Candles {
  const col = (k: number): Float64Array => Float64Array.from(rows, r => r[k])
  return { length: rows.length, time: Float64Array.from(rows, (_, i) => i * 3_600_000), open: col(0), high: col(1), low: col(2), close: col(3), volume: new Float64Array(rows.length).fill(1) }
}

/**
 * The kernel's equity and trades against the oracle's. Bars, prices and reasons must be equal;
 * returns and equity within 1e-12 relative: the kernel folds the gap and the open-to-exit move
 * over one division (its speed and its pinned bits), the oracle multiplies them one by one.
 */
function compare (bars: Candles, positions: ArrayLike<number>, from: number, to: number, costs: Costs, stops: Partial<ResolvedStops>, what: string): StopTrade[] {
  const full: ResolvedStops = { stopLoss: stops.stopLoss ?? 0, takeProfit: stops.takeProfit ?? 0, trailingStop: stops.trailingStop ?? 0 }
  const equity = new Float64Array(to - from)
  const trades: StopTrade[] = []
  const m = backtestWithStops(bars, Float64Array.from(positions), from, to, costs, 8760, full, { equity, trades })
  const want = oracle(bars, positions, from, to, costs.fee + costs.slippage, stops)
  const close = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(b))
  assert.equal(trades.length, want.trades.length, `${what}: trades ${JSON.stringify(trades)} vs ${JSON.stringify(want.trades)}`)
  trades.forEach((t, i) => {
    const o = want.trades[i]
    const { return: r, ...rest } = t
    const { return: ro, ...restO } = o
    assert.deepEqual(rest, restO, `${what}: trade ${i}`)
    assert.ok(close(r, ro), `${what}: trade ${i} return ${r} vs ${ro}`)
  })
  want.equity.forEach((v, k) => { assert.ok(close(equity[k], v), `${what}: equity at bar ${from + k}: ${equity[k]} vs ${v}`) })
  assert.equal(m.trades, trades.length)
  assert.equal(m.exposure, want.exposedBars / (to - from), `${what}: exposure`)
  return trades
}

const NO_COSTS: Costs = { fee: 0, slippage: 0 }
const COSTS: Costs = { fee: 0.001, slippage: 0.0005 }
const both = (f: (costs: Costs) => void): void => { f(NO_COSTS); f(COSTS) }

test('a gap through the stop exits at the open; the strategy re-enters only on a new signal', () => {
  const bars = candlesOf([[100, 100, 100, 100], [100, 102, 99, 101], [90, 92, 88, 91], [91, 93, 90, 92], [92, 94, 91, 93], [93, 95, 92, 94], [94, 96, 93, 95]])
  both(costs => {
    const t = compare(bars, [1, 1, 1, 1, 0, 1, 1], 0, 7, costs, { stopLoss: 0.05, takeProfit: 0.2 }, 'gap stop')
    assert.deepEqual(t.map(x => [x.entryBar, x.entryPrice, x.exitBar, x.exitPrice, x.exit]), [[1, 100, 2, 90, 'stop-loss'], [6, 94, 6, 95, 'end']])
  })
})

test('a gap through the target exits at the open, a touched target at the target price', () => {
  const bars = candlesOf([[100, 100, 100, 100], [100, 103, 99, 102], [108, 110, 107, 109], [109, 109, 109, 109], [110, 118, 109, 112], [112, 113, 111, 112]])
  both(costs => {
    const t = compare(bars, [1, 1, 0, 1, 1, 1], 0, 6, costs, { takeProfit: 0.05 }, 'gap target')
    assert.deepEqual(t.map(x => [x.entryBar, x.exitBar, x.exitPrice, x.exit]), [[1, 2, 108, 'take-profit'], [4, 4, 110 * 1.05, 'take-profit']])
  })
})

test('a bar that touches both stop and target fills the stop', () => {
  const bars = candlesOf([[100, 100, 100, 100], [100, 101, 99, 100.5], [100, 104, 96, 101], [101, 102, 100, 101]])
  both(costs => {
    const t = compare(bars, [1, 1, 1, 1], 0, 4, costs, { stopLoss: 0.03, takeProfit: 0.03 }, 'both touched')
    assert.deepEqual(t.map(x => [x.exitBar, x.exitPrice, x.exit]), [[2, 100 * (1 - 0.03), 'stop-loss']])
  })
})

test('a trailing stop rises with the highs, never with the bar it is checked on, then fills', () => {
  // Bar 2's high (110) would put the level at 104.5, above its own low (100): it must not fill there.
  const bars = candlesOf([[100, 100, 100, 100], [100, 102, 99, 101], [101, 110, 100, 109], [109, 111, 105, 106], [106, 107, 104, 105], [105, 106, 104, 105]])
  both(costs => {
    const t = compare(bars, [1, 1, 1, 1, 1, 1], 0, 6, costs, { trailingStop: 0.05, stopLoss: 0.2 }, 'trailing')
    assert.deepEqual(t.map(x => [x.entryBar, x.exitBar, x.exitPrice, x.exit]), [[1, 4, 111 * (1 - 0.05), 'trailing-stop']])
  })
})

test('a short: target below, stop above, trailing from the lows; a stop, a flip at the open and a resize', () => {
  const bars = candlesOf([
    [100, 100, 100, 100], [100, 101, 98, 99], [99, 100, 95, 96], [96, 97, 93, 94], [94, 95, 93, 94],
    [94, 99, 93, 98], [98, 99, 97, 98], [98, 103, 97, 102.5], [103, 104, 102, 103], [103, 103, 98, 99], [97, 98, 90, 91],
  ])
  both(costs => {
    const t = compare(bars, [-1, -1, -1, 0, -0.5, -0.5, 1, -1, -1, -0.5, -0.5], 0, 11, costs, { stopLoss: 0.04, takeProfit: 0.06, trailingStop: 0.05 }, 'short')
    assert.deepEqual(t.map(x => [x.side, x.entryBar, x.exitBar, x.exit]), [[-1, 1, 3, 'take-profit'], [-1, 5, 5, 'stop-loss'], [1, 7, 8, 'signal'], [-1, 8, 10, 'take-profit']])
    assert.equal(t[1].exitPrice, 94 * 1.04)
  })
})

test('stops that never fill give backtest()\'s metrics bit for bit', () => {
  const rng = createPrng(11)
  const bars = randomBars(rng, 3000)
  const positions = randomPositions(rng, 3000)
  const never: ResolvedStops = { stopLoss: 0.999999, takeProfit: 1e9, trailingStop: 0.999999 }
  for (const [from, to] of [[0, 2100], [2100, 3000], [0, 3000], [7, 8], [1, 1500]]) {
    for (const costs of [NO_COSTS, COSTS]) {
      assert.deepEqual(backtestWithStops(bars, positions, from, to, costs, 8760, never), backtest(bars, positions, from, to, costs, 8760), `[${from}, ${to})`)
    }
  }
})

function randomBars (rng: ReturnType<typeof createPrng>, n: number): Candles {
  const rows: Array<[number, number, number, number]> = []
  let price = 100
  for (let i = 0; i < n; i++) {
    // Gaps of up to 3 % between bars so stops are also jumped over, not only touched.
    const o = price * (1 + (rng.next() - 0.5) * (rng.next() < 0.1 ? 0.06 : 0.004))
    const cl = o * (1 + (rng.next() - 0.5) * 0.03)
    rows.push([o, Math.max(o, cl) * (1 + rng.next() * 0.01), Math.min(o, cl) * (1 - rng.next() * 0.01), cl])
    price = cl
  }
  return candlesOf(rows)
}

function randomPositions (rng: ReturnType<typeof createPrng>, n: number): Float64Array {
  const levels = [-1, -0.5, 0, 0, 0.5, 1]
  const out = new Float64Array(n)
  let w = 0
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.08) w = levels[Math.floor(rng.next() * levels.length)]
    out[i] = w
  }
  return out
}

test('random bars, positions and stops: the kernel matches the oracle', () => {
  const rng = createPrng(2026)
  let stopped = 0
  for (let round = 0; round < 300; round++) {
    const n = 40 + Math.floor(rng.next() * 200)
    const bars = randomBars(rng, n)
    const positions = randomPositions(rng, n)
    const pick = (lo: number, hi: number): number | undefined => rng.next() < 0.3 ? undefined : lo + rng.next() * (hi - lo)
    const stops = { stopLoss: pick(0.002, 0.05), takeProfit: pick(0.002, 0.08), trailingStop: pick(0.002, 0.05) }
    const from = Math.floor(rng.next() * n / 3)
    const to = n - Math.floor(rng.next() * n / 3)
    const costs = round % 2 === 0 ? COSTS : NO_COSTS
    const trades = compare(bars, positions, from, to, costs, stops, `round ${round} ${JSON.stringify(stops)} [${from}, ${to})`)
    stopped += trades.filter(t => t.exit !== 'signal' && t.exit !== 'end').length
  }
  // The cases must exercise the stops, not only the signals.
  assert.ok(stopped > 300, `only ${stopped} stop fills`)
})
