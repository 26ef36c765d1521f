import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backtest } from '../../src/engine/backtest.js'
import { backtestDetail, evaluateDetail, type RangeDetail } from '../../src/engine/backtest-detail.js'
import { aggregateCandles, downsampleMinMax, sampleGenomeDetail } from '../../src/engine/downsample.js'
import { evaluateGenome, type EvalSetup } from '../../src/engine/evaluate.js'
import { OVERFIT_SHARPE_RETENTION, overfitCheck } from '../../src/engine/overfit.js'
import { createPrng } from '../../src/engine/prng.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { defineStrategy, int, type StrategyDefinition } from '../../src/engine/strategy-api.js'
import { emptyMetrics } from '../../src/engine/metrics.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import type { Candles, Costs, Metrics } from '../../src/protocol/types.js'

const COSTS: Costs = { fee: 0.001, slippage: 0.0005 }
const candles = syntheticCandles({ bars: 3000, seed: 5 })

/** What every detail must agree with: backtest()'s own metrics, from its own equity. */
function assertConsistent (d: RangeDetail, m: Metrics, what: string): void {
  assert.deepEqual(d.metrics, m, what)
  assert.equal(d.equity.length, d.to - d.from)
  if (d.equity.length > 0) assert.equal(d.equity[d.equity.length - 1] - 1, m.totalReturn, `${what}: final equity is the total return`)
  assert.equal(0 - Math.min(0, ...d.drawdown), m.maxDrawdown, `${what}: deepest drawdown is the max drawdown`)
  assert.equal(d.trades.length, m.trades, `${what}: one trade per counted trade`)
  const wins = d.trades.filter(t => t.return > 0).length
  assert.equal(m.trades === 0 ? 0 : wins / m.trades, m.winRate, `${what}: win rate from the trades`)
  for (const t of d.trades) {
    assert.ok(t.entryBar > d.from && t.entryBar <= t.exitBar && t.exitBar < d.to, `${what}: trade bars within the range`)
    assert.ok(t.return >= -1)
  }
  assert.ok(d.trades.every((t, i) => i === 0 || t.entryBar >= d.trades[i - 1].exitBar), `${what}: trades do not overlap`)
  assert.ok(d.trades.slice(0, -1).every(t => !t.open), 'only the last trade may be open')
}

test('backtestDetail: the metrics, final equity, drawdown and trade count of backtest(), on random positions', () => {
  const rng = createPrng(3)
  const levels = [-1, -0.5, 0, 0, 0.5, 1]
  for (let round = 0; round < 5; round++) {
    const positions = new Float64Array(candles.length)
    let w = 0
    for (let i = 0; i < candles.length; i++) {
      if (rng.next() < 0.05) w = levels[Math.floor(rng.next() * levels.length)]
      positions[i] = w
    }
    for (const [from, to] of [[0, 2100], [2100, 3000], [0, 3000], [10, 11], [5, 5]]) {
      const d = backtestDetail(candles, positions, from, to, COSTS, 525_960)
      assertConsistent(d, backtest(candles, positions, from, to, COSTS, 525_960), `round ${round} [${from}, ${to})`)
    }
  }
})

test('backtestDetail: trades by hand, an open trade at the end, and ruin', () => {
  const c = (open: number[], close: number[]): Candles => ({
    length: open.length,
    time: Float64Array.from(open, (_, i) => i * 86_400_000),
    open: Float64Array.from(open),
    high: Float64Array.from(open, (o, i) => Math.max(o, close[i])),
    low: Float64Array.from(open, (o, i) => Math.min(o, close[i])),
    close: Float64Array.from(close),
    volume: new Float64Array(open.length).fill(1),
  })
  const five = c([100, 101, 108, 121, 114], [100, 110, 120, 115, 130])
  const d = backtestDetail(five, Float64Array.from([1, 1, -1, -1, 0]), 0, 5, { fee: 0, slippage: 0 }, 252)
  assert.deepEqual(d.trades.map(t => [t.side, t.entryBar, t.exitBar, t.open]), [[1, 1, 3, false], [-1, 3, 4, true]])
  // Long from the open of bar 1 (101) to the open of bar 3 (121).
  assert.ok(Math.abs(d.trades[0].return - (121 / 101 - 1)) < 1e-12)
  assertConsistent(d, backtest(five, Float64Array.from([1, 1, -1, -1, 0]), 0, 5, { fee: 0, slippage: 0 }, 252), 'by hand')

  const ruin = c([100, 100, 100, 300, 310], [100, 100, 300, 310, 320])
  const r = backtestDetail(ruin, Float64Array.from([-1, -1, -1, -1, -1]), 0, 5, { fee: 0, slippage: 0 }, 252)
  assert.deepEqual(r.trades.map(t => [t.side, t.entryBar, t.exitBar, t.return]), [[-1, 1, 2, -1]])
  assert.deepEqual(Array.from(r.drawdown), [0, 0, -1, -1, -1])
  assertConsistent(r, backtest(ruin, Float64Array.from([-1, -1, -1, -1, -1]), 0, 5, { fee: 0, slippage: 0 }, 252), 'ruin')
})

const sma = defineStrategy({
  name: 'sma',
  params: { fast: int(2, 30), slow: int(10, 120) },
  positions (ctx, p) {
    const f = ctx.sma(ctx.close, p.fast)
    const s = ctx.sma(ctx.close, p.slow)
    const out = ctx.output()
    for (let i = 0; i < ctx.length; i++) out[i] = f[i] > s[i] ? 1 : f[i] < s[i] ? -0.5 : 0
    return out
  },
})

test('evaluateDetail gives the fitness and metrics evaluateGenome recorded, whatever the cache holds', () => {
  const setup: EvalSetup = { costs: COSTS, objective: 'sortino', minTrades: 1, from: 0, split: 2100, to: candles.length, barsPerYear: 525_960 }
  const ctx = createStrategyContext(candles)
  for (const params of [{ fast: 5, slow: 40 }, { fast: 12, slow: 100 }, { fast: 5, slow: 40 }]) {
    const g = evaluateGenome(sma, ctx, params, setup)
    const d = evaluateDetail(sma, createStrategyContext(candles), params, setup)
    assert.equal(d.fitness, g.fitness)
    assert.deepEqual(d.inSample.metrics, g.inSample)
    assert.deepEqual(d.outOfSample.metrics, g.outOfSample)
    assert.equal(d.inSample.equity[d.inSample.equity.length - 1] - 1, g.inSample?.totalReturn)
    assert.equal(d.outOfSample.equity[d.outOfSample.equity.length - 1] - 1, g.outOfSample?.totalReturn)
    assert.deepEqual([d.inSample.from, d.inSample.to, d.outOfSample.from, d.outOfSample.to], [0, 2100, 2100, 3000])
  }
  const thrower: StrategyDefinition = { name: 't', params: {}, positions: () => { throw new Error('boom') } }
  assert.throws(() => evaluateDetail(thrower, createStrategyContext(candles), {}, setup), (e: unknown) => isStratmeshError(e, 'STRATEGY_THREW') && /boom/.test(e.message))
  const bad: StrategyDefinition = { name: 'b', params: {}, positions: () => new Float64Array(3) }
  assert.throws(() => evaluateDetail(bad, createStrategyContext(candles), {}, setup), (e: unknown) => isStratmeshError(e, 'STRATEGY_BAD_POSITIONS'))
})

test('downsampleMinMax keeps the ends and every bucket extreme within the cap; small series pass whole', () => {
  const rng = createPrng(11)
  const values = Float64Array.from({ length: 100_000 }, () => rng.normal())
  const s = downsampleMinMax(values, 500, 1000)
  assert.ok(s.values.length <= 1000 && s.values.length > 900)
  assert.equal(s.bars[0], 500)
  assert.equal(s.bars[s.bars.length - 1], 500 + 99_999)
  assert.ok(s.bars.every((b, i) => i === 0 || b > s.bars[i - 1]), 'bars increase')
  assert.ok(s.values.every((v, i) => v === values[s.bars[i] - 500]), 'values are the series values at those bars')
  assert.equal(Math.min(...s.values), Math.min(...values))
  assert.equal(Math.max(...s.values), Math.max(...values))
  const small = downsampleMinMax(Float64Array.from([3, 1, 2]), 7, 1000)
  assert.deepEqual([Array.from(small.bars), Array.from(small.values)], [[7, 8, 9], [3, 1, 2]])
  assert.throws(() => downsampleMinMax(values, 0, 2), (e: unknown) => isStratmeshError(e, 'DOWNSAMPLE_BAD_ARGS'))
})

test('aggregateCandles merges OHLC buckets: first open, extreme high and low, last close', () => {
  const b = aggregateCandles(candles, 100, 3000, 1000)
  assert.equal(b.bucketBars, 3)
  assert.equal(b.time.length, Math.ceil(2900 / 3))
  assert.equal(b.open[0], candles.open[100])
  assert.equal(b.close[0], candles.close[102])
  assert.equal(b.high[0], Math.max(candles.high[100], candles.high[101], candles.high[102]))
  assert.equal(b.low[0], Math.min(candles.low[100], candles.low[101], candles.low[102]))
  assert.equal(b.close[b.close.length - 1], candles.close[2999])
  assert.equal(Math.max(...b.high), Math.max(...candles.high.subarray(100)))
  assert.equal(aggregateCandles(candles, 0, 50, 1000).bucketBars, 1)
})

test('sampleGenomeDetail caps points and trades and says how many trades there were', () => {
  const setup: EvalSetup = { costs: COSTS, objective: 'sharpe', minTrades: 1, from: 0, split: 2100, to: candles.length, barsPerYear: 525_960 }
  const d = evaluateDetail(sma, createStrategyContext(candles), { fast: 3, slow: 12 }, setup)
  const s = sampleGenomeDetail(d, { maxPoints: 200, maxTrades: 5 })
  for (const r of [s.inSample, s.outOfSample]) {
    assert.ok(r.equity.values.length <= 200 && r.drawdown.values.length <= 200)
    assert.equal(r.trades.length, 5)
    assert.ok(r.tradeCount > 5)
    assert.equal(r.equity.values[r.equity.values.length - 1] - 1, r.metrics.totalReturn)
    assert.equal(Math.min(...r.drawdown.values), -r.metrics.maxDrawdown)
  }
})

test('overfitCheck flags rows that keep less than half their in-sample Sharpe', () => {
  const m = (sharpe: number): Metrics => ({ ...emptyMetrics(), sharpe, bars: 10 })
  assert.deepEqual(overfitCheck(m(2), m(1.5)), { retention: 0.75, overfit: false })
  assert.equal(overfitCheck(m(2), m(2 * OVERFIT_SHARPE_RETENTION - 0.01)).overfit, true)
  assert.equal(overfitCheck(m(2), m(-1)).overfit, true)
  assert.deepEqual(overfitCheck(m(-1), m(-3)), { retention: null, overfit: false })
  assert.deepEqual(overfitCheck(m(1), null), { retention: null, overfit: false })
  assert.deepEqual(overfitCheck(m(1), emptyMetrics()), { retention: null, overfit: false })
})
