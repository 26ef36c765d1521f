import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backtest, MAX_COST_PER_SIDE } from '../../src/engine/backtest.js'
import { METRIC_CAP } from '../../src/engine/metrics.js'
import { createPrng } from '../../src/engine/prng.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import type { Candles, Costs, Metrics } from '../../src/protocol/types.js'
import type { ErrorCode } from '../../src/protocol/error-codes.js'

const NO_COSTS: Costs = { fee: 0, slippage: 0 }
const COSTS: Costs = { fee: 0.001, slippage: 0.0005 }
const C = 0.0015

function candles (open: number[], close: number[]): Candles {
  const n = open.length
  const f = (xs: number[]): Float64Array => Float64Array.from(xs)
  return {
    length: n,
    time: Float64Array.from({ length: n }, (_, i) => i * 86_400_000),
    open: f(open),
    high: f(open.map((o, i) => Math.max(o, close[i]))),
    low: f(open.map((o, i) => Math.min(o, close[i]))),
    close: f(close),
    volume: new Float64Array(n).fill(1),
  }
}

function near (actual: number, expected: number, what: string, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`)
}

// Five bars with overnight gaps: long over bars 1-2, short over bars 3-4, a flat signal on the last bar.
const OPEN = [100, 101, 108, 121, 114]
const CLOSE = [100, 110, 120, 115, 130]
const POS = Float64Array.from([1, 1, -1, -1, 0])

test('long then short, no costs: equity, trades, win rate, profit factor, drawdown, exposure by hand', () => {
  const eq = new Float64Array(5)
  const m = backtest(candles(OPEN, CLOSE), POS, 0, 5, NO_COSTS, 252, { equity: eq })
  // E_j = E_{j-1} * (1 + w_{j-1}(o_j/c_{j-1} - 1)) * (1 + w_j(c_j/o_j - 1)), w = [0, 1, 1, -1, -1]
  const e1 = 110 / 101
  const e2 = e1 * (108 / 110) * (120 / 108)
  const e3 = e2 * (121 / 120) * (1 - (115 / 121 - 1))
  const e4 = e3 * (1 - (114 / 115 - 1)) * (1 - (130 / 114 - 1))
  const expected = [1, e1, e2, e3, e4]
  for (let i = 0; i < 5; i++) near(eq[i], expected[i], `equity[${i}]`)
  near(m.totalReturn, e4 - 1, 'totalReturn')
  assert.equal(m.trades, 2)
  const longRet = 121 / 101 - 1 // entered at open 101, left at open 121
  const shortRet = (1 - (115 / 121 - 1)) * (1 - (114 / 115 - 1)) * (1 - (130 / 114 - 1)) - 1 // closed at the last close
  assert.ok(longRet > 0 && shortRet < 0)
  assert.equal(m.winRate, 0.5)
  near(m.profitFactor, longRet / -shortRet, 'profitFactor')
  near(m.maxDrawdown, 1 - e4 / e3, 'maxDrawdown')
  assert.equal(m.exposure, 4 / 5)
  assert.equal(m.bars, 5)
  const years = 5 / 252
  near(m.cagr, Math.pow(e4, 1 / years) - 1, 'cagr', 1e-9)
  near(m.calmar, m.cagr / m.maxDrawdown, 'calmar', 1e-9)
})

test('long then short with costs: entry, flip and exit costs by hand', () => {
  const eq = new Float64Array(5)
  const m = backtest(candles(OPEN, CLOSE), POS, 0, 5, COSTS, 252, { equity: eq })
  const e1 = (1 - C) * 110 / 101
  const e2 = e1 * 120 / 110
  const e3 = e2 * (121 / 120) * (1 - 2 * C) * (1 - (115 / 121 - 1)) // the flip trades 2x equity
  const e4 = e3 * (1 - (114 / 115 - 1)) * (1 - (130 / 114 - 1))
  const expected = [1, e1, e2, e3, e4]
  for (let i = 0; i < 5; i++) near(eq[i], expected[i], `equity[${i}]`)
  near(m.totalReturn, e4 - 1, 'totalReturn')
  const longRet = (1 - C) * (121 / 101) * (1 - C) - 1
  const shortRet = (1 - C) * (1 - (115 / 121 - 1)) * (1 - (114 / 115 - 1)) * (1 - (130 / 114 - 1)) - 1
  near(m.profitFactor, longRet / -shortRet, 'profitFactor')
  assert.equal(m.trades, 2)
  assert.equal(m.winRate, 0.5)
  near(m.maxDrawdown, 1 - e4 / e3, 'maxDrawdown')
  // Costs only ever take away.
  const free = backtest(candles(OPEN, CLOSE), POS, 0, 5, NO_COSTS, 252)
  assert.ok(m.totalReturn < free.totalReturn)
})

test('a resize within one sign stays one trade and pays cost on the traded difference only', () => {
  const open = [100, 100, 100, 100]
  const close = [100, 110, 121, 121]
  const m = backtest(candles(open, close), Float64Array.from([0.5, 1, 1, 1]), 0, 4, COSTS, 252)
  // w = [0, 0.5, 1, 1]; every open is 100, so bars 2 and 3 gap down from the previous close.
  const e1 = (1 - 0.5 * C) * (1 + 0.5 * (110 / 100 - 1))
  const e2 = e1 * (1 + 0.5 * (100 / 110 - 1)) * (1 - 0.5 * C) * (121 / 100)
  const e3 = e2 * (100 / 121) * (121 / 100)
  near(m.totalReturn, e3 - 1, 'totalReturn')
  assert.equal(m.trades, 1)
  near(m.profitFactor, METRIC_CAP, 'profitFactor (wins, no loss)')
})

test('next-bar execution: a signal at bar t earns open(t+1) -> open(t+2), never bar t itself', () => {
  // Bar 2 jumps +50 % open->close; a look-ahead backtester would book it.
  const open = [100, 100, 100, 150, 160, 170]
  const close = [100, 100, 150, 155, 165, 170]
  const pos = Float64Array.from([0, 0, 1, 0, 0, 0])
  const eq = new Float64Array(6)
  const m = backtest(candles(open, close), pos, 0, 6, NO_COSTS, 252, { equity: eq })
  near(m.totalReturn, 160 / 150 - 1, 'totalReturn')
  assert.deepEqual(Array.from(eq.subarray(0, 3)), [1, 1, 1])
  near(eq[3], 155 / 150, 'equity at bar 3 (open->close)')
  near(eq[4], 160 / 150, 'equity at bar 4 (the gap to the exit open)')
  assert.equal(m.trades, 1)
  assert.equal(m.exposure, 1 / 6)
})

test('a signal on the last bar of a range, or on the bar before it, has no effect on that range', () => {
  const open = [100, 100, 120, 130, 90, 80]
  const close = [100, 110, 125, 100, 95, 70]
  const c = candles(open, close)
  const flat = new Float64Array(6)
  const lastBar = Float64Array.from([0, 0, 0, 1, 0, 0]) // decided at bar 3 = last bar of [0, 4)
  const a = backtest(c, lastBar, 0, 4, COSTS, 252)
  assert.deepEqual(a, backtest(c, flat, 0, 4, COSTS, 252))
  assert.equal(a.trades, 0)
  assert.equal(a.totalReturn, 0)
  // In [4, 6) the range starts flat: positions[3] is not carried over the split.
  const b = backtest(c, lastBar, 4, 6, COSTS, 252)
  assert.deepEqual(b, backtest(c, flat, 4, 6, COSTS, 252))
  // And positions[4] (decided at the first bar of [4, 6)) does act on bar 5.
  const inside = backtest(c, Float64Array.from([0, 0, 0, 0, -1, 0]), 4, 6, NO_COSTS, 252)
  near(inside.totalReturn, 1 - (70 / 80 - 1) - 1, 'short over bar 5')
})

test('no trades and a flat range give finite zero metrics; an empty range gives zeros', () => {
  const c = candles([10, 10, 10, 10], [10, 10, 10, 10])
  const zeros: Metrics = { totalReturn: 0, cagr: 0, sharpe: 0, sortino: 0, maxDrawdown: 0, calmar: 0, trades: 0, winRate: 0, profitFactor: 0, exposure: 0, bars: 4 }
  assert.deepEqual(backtest(c, new Float64Array(4), 0, 4, COSTS, 252), zeros)
  // A position on a flat price: one trade, zero return (costs off), zero variance.
  const held = backtest(c, Float64Array.from([1, 1, 1, 1]), 0, 4, NO_COSTS, 252)
  assert.deepEqual(held, { ...zeros, trades: 1, exposure: 3 / 4 })
  assert.deepEqual(backtest(c, new Float64Array(4), 2, 2, COSTS, 252), { ...zeros, bars: 0 })
})

test('no downside and no drawdown hit the caps, not Infinity', () => {
  const close = [100, 101, 102, 103, 104]
  const m = backtest(candles(close, close), Float64Array.from([1, 1, 1, 1, 1]), 0, 5, NO_COSTS, 252)
  assert.equal(m.maxDrawdown, 0)
  assert.equal(m.sortino, METRIC_CAP)
  assert.equal(m.calmar, METRIC_CAP)
  assert.equal(m.profitFactor, METRIC_CAP)
  assert.ok(Number.isFinite(m.sharpe) && m.sharpe > 0)
  // 1M bars a year over 5 bars: cagr overflows, and is capped.
  const fast = backtest(candles(close, close), Float64Array.from([1, 1, 1, 1, 1]), 0, 5, NO_COSTS, 1e6)
  assert.equal(fast.cagr, METRIC_CAP)
})

test('ruin: a short through a tripling price ends at zero equity, -100 %, flat afterwards', () => {
  const open = [100, 100, 100, 300, 310]
  const close = [100, 100, 300, 310, 320]
  const eq = new Float64Array(5).fill(7)
  const m = backtest(candles(open, close), Float64Array.from([-1, -1, -1, -1, -1]), 0, 5, NO_COSTS, 252, { equity: eq })
  assert.deepEqual(Array.from(eq), [1, 1, 0, 0, 0])
  assert.equal(m.totalReturn, -1)
  assert.equal(m.cagr, -1)
  assert.equal(m.maxDrawdown, 1)
  assert.equal(m.trades, 1)
  assert.equal(m.winRate, 0)
  assert.equal(m.profitFactor, 0)
  assert.equal(m.exposure, 2 / 5) // bars 1 and 2 held; nothing after ruin
  for (const v of Object.values(m)) assert.ok(Number.isFinite(v))
  // Returns [0, 0, -1, 0, 0]: mean -0.2, population std 0.4, downside sqrt(1/5).
  near(m.sharpe, -0.2 / 0.4 * Math.sqrt(252), 'sharpe')
  near(m.sortino, -0.2 / Math.sqrt(0.2) * Math.sqrt(252), 'sortino')
})

/** A plain re-statement of the execution model: three factors, two divisions, no tricks. */
function reference (c: Candles, pos: Float64Array, from: number, to: number, cost: number): { equity: number[], trades: number[] } {
  const equity: number[] = []
  const trades: number[] = []
  let e = 1
  let tradeFactor = 1
  for (let j = from; j < to; j++) {
    const w = j === from ? 0 : pos[j - 1]
    const wPrev = j <= from + 1 ? 0 : pos[j - 2]
    const gap = j === from ? 1 : 1 + wPrev * (c.open[j] / c.close[j - 1] - 1)
    const oc = 1 + w * (c.close[j] / c.open[j] - 1)
    e *= gap * (1 - cost * Math.abs(w - wPrev)) * oc
    equity.push(e)
    if (Math.sign(w) === Math.sign(wPrev)) {
      if (w !== 0) tradeFactor *= gap * (1 - cost * Math.abs(w - wPrev)) * oc
    } else {
      if (wPrev !== 0) trades.push(tradeFactor * gap * (1 - cost * Math.abs(wPrev)) - 1)
      if (w !== 0) tradeFactor = (1 - cost * Math.abs(w)) * oc
    }
  }
  const last = to - from >= 2 ? pos[to - 2] : 0
  if (last !== 0) trades.push(tradeFactor - 1)
  return { equity, trades }
}

function randomMarket (n: number, seed: number): { c: Candles, pos: Float64Array } {
  const rng = createPrng(seed)
  const open: number[] = []
  const close: number[] = []
  let p = 100
  for (let i = 0; i < n; i++) {
    const o = p * (1 + 0.002 * rng.normal())
    p = o * (1 + 0.01 * rng.normal())
    open.push(o)
    close.push(p)
  }
  const levels = [-1, -0.5, 0, 0.5, 1]
  const pos = new Float64Array(n)
  let cur = 0
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.05) cur = levels[rng.int(levels.length)]
    pos[i] = cur
  }
  return { c: candles(open, close), pos }
}

test('random market against the plain reference model and a two-pass Sharpe/Sortino (several stats blocks)', () => {
  const n = 5000
  const { c, pos } = randomMarket(n, 11)
  for (const [from, to] of [[0, n], [0, 3500], [3500, n], [17, 2100]]) {
    const bars = to - from
    const eq = new Float64Array(bars)
    const m = backtest(c, pos, from, to, COSTS, 8766, { equity: eq })
    const ref = reference(c, pos, from, to, C)
    for (let i = 0; i < bars; i++) near(eq[i], ref.equity[i], `equity[${i}]`, 1e-11)
    near(m.totalReturn, ref.equity[bars - 1] - 1, 'totalReturn', 1e-11)
    assert.equal(m.trades, ref.trades.length)
    const wins = ref.trades.filter(r => r > 0)
    const losses = ref.trades.filter(r => r < 0)
    near(m.winRate, wins.length / ref.trades.length, 'winRate')
    near(m.profitFactor, wins.reduce((s, r) => s + r, 0) / -losses.reduce((s, r) => s + r, 0), 'profitFactor', 1e-9)
    // Two-pass statistics over the per-bar returns of the reference equity curve.
    const r = ref.equity.map((e, i) => e / (i === 0 ? 1 : ref.equity[i - 1]) - 1)
    const mean = r.reduce((s, x) => s + x, 0) / bars
    const std = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / bars)
    const down = Math.sqrt(r.reduce((s, x) => s + Math.min(x, 0) ** 2, 0) / bars)
    near(m.sharpe, mean / std * Math.sqrt(8766), 'sharpe', 1e-9)
    near(m.sortino, mean / down * Math.sqrt(8766), 'sortino', 1e-9)
    let peak = 1
    let dd = 0
    for (const e of ref.equity) { peak = Math.max(peak, e); dd = Math.max(dd, 1 - e / peak) }
    near(m.maxDrawdown, dd, 'maxDrawdown', 1e-12)
    let exposed = 0
    for (let j = from + 1; j < to; j++) if (pos[j - 1] !== 0) exposed++
    assert.equal(m.exposure, exposed / bars)
  }
})

test('variance stays accurate when the returns are nearly constant', () => {
  // Steady +1 % per bar with 1e-7 noise, held long from bar 1 on: almost all of the spread comes
  // from the zero return of the range's first bar, and the mean is large against it.
  const n = 3000
  const rng = createPrng(5)
  const close: number[] = [100]
  for (let i = 1; i < n; i++) close.push(close[i - 1] * (1.01 + 1e-7 * rng.normal()))
  const c = candles(close.map((x, i) => i === 0 ? x : close[i - 1]), close)
  const pos = new Float64Array(n).fill(1)
  const eq = new Float64Array(n)
  const m = backtest(c, pos, 0, n, NO_COSTS, 252, { equity: eq })
  const r = Array.from(eq, (e, i) => e / (i === 0 ? 1 : eq[i - 1]) - 1)
  const mean = r.reduce((s, x) => s + x, 0) / n
  const std = Math.sqrt(r.reduce((s, x) => s + (x - mean) ** 2, 0) / n)
  near(m.sharpe, mean / std * Math.sqrt(252), 'sharpe', 1e-9)
})

test('bad arguments are refused with BACKTEST_BAD_ARGS; bad prices with BACKTEST_NON_FINITE', () => {
  const c = candles(OPEN, CLOSE)
  const bad = (fn: () => unknown, code: ErrorCode): void => { assert.throws(fn, (e: unknown) => isStratmeshError(e, code)) }
  bad(() => backtest(c, POS, 0, 6, COSTS, 252), 'BACKTEST_BAD_ARGS')
  bad(() => backtest(c, POS, 3, 2, COSTS, 252), 'BACKTEST_BAD_ARGS')
  bad(() => backtest(c, POS, 0.5, 2, COSTS, 252), 'BACKTEST_BAD_ARGS')
  bad(() => backtest(c, new Float64Array(4), 0, 4, COSTS, 252), 'BACKTEST_BAD_ARGS')
  bad(() => backtest(c, POS, 0, 5, { fee: MAX_COST_PER_SIDE, slippage: 0.01 }, 252), 'BACKTEST_BAD_ARGS')
  bad(() => backtest(c, POS, 0, 5, { fee: -0.001, slippage: 0 }, 252), 'BACKTEST_BAD_ARGS')
  bad(() => backtest(c, POS, 0, 5, COSTS, 0), 'BACKTEST_BAD_ARGS')
  bad(() => backtest(c, POS, 0, 5, COSTS, 252, { equity: new Float64Array(4) }), 'BACKTEST_BAD_ARGS')
  bad(() => backtest(candles([1, 1, NaN], [1, 1, 1]), Float64Array.from([1, 1, 1]), 0, 3, COSTS, 252), 'BACKTEST_NON_FINITE')
  bad(() => backtest(candles([1, 1, 0], [1, 1, 1]), Float64Array.from([1, 1, 1]), 0, 3, COSTS, 252), 'BACKTEST_NON_FINITE')
})
