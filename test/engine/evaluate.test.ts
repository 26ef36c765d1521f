import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backtest } from '../../src/engine/backtest.js'
import { evaluateGenome, MAX_ERROR_CHARS, type EvalSetup } from '../../src/engine/evaluate.js'
import { createPrng } from '../../src/engine/prng.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { defineStrategy, int, type StrategyContext, type StrategyDefinition } from '../../src/engine/strategy-api.js'
import { StratmeshError, isStratmeshError } from '../../src/protocol/errors.js'
import type { ParamValues } from '../../src/protocol/types.js'

const N = 400
const SETUP: EvalSetup = { costs: { fee: 0.001, slippage: 0.0005 }, objective: 'sharpe', minTrades: 1, from: 0, split: 300, to: N, barsPerYear: 252 }

/** Just the candle columns and output(): the only parts of a context these strategies use. */
function minimalContext (n: number): StrategyContext {
  const rng = createPrng(9)
  const open = new Float64Array(n)
  const close = new Float64Array(n)
  let p = 100
  for (let i = 0; i < n; i++) {
    open[i] = p * (1 + 0.001 * rng.normal())
    p = open[i] * (1 + 0.01 * rng.normal())
    close[i] = p
  }
  const out = new Float64Array(n)
  const ctx = {
    length: n,
    time: Float64Array.from({ length: n }, (_, i) => i * 86_400_000),
    open,
    high: close.map((c, i) => Math.max(c, open[i])),
    low: close.map((c, i) => Math.min(c, open[i])),
    close,
    volume: new Float64Array(n).fill(1),
    output: () => out.fill(0),
  }
  return ctx as unknown as StrategyContext
}

const ctx = minimalContext(N)

/** Long when the close is above its close `lag` bars ago, short otherwise. */
const momentum = defineStrategy({
  name: 'momentum',
  params: { lag: int(1, 50) },
  positions (c, p) {
    const out = c.output()
    for (let i = p.lag; i < c.length; i++) out[i] = c.close[i] > c.close[i - p.lag] ? 1 : -1
    return out
  },
})

function returning (value: unknown): StrategyDefinition {
  return { name: 'bad', params: {}, positions: () => value as Float64Array }
}

test('a valid strategy: fitness from in-sample, metrics of [0, split) and [split, n)', () => {
  const r = evaluateGenome(momentum, ctx, { lag: 5 }, SETUP)
  assert.equal(r.error, undefined)
  const positions = momentum.positions(ctx, { lag: 5 }).slice()
  assert.deepEqual(r.inSample, backtest(ctx, positions, 0, 300, SETUP.costs, 252))
  assert.deepEqual(r.outOfSample, backtest(ctx, positions, 300, N, SETUP.costs, 252))
  assert.equal(r.fitness, r.inSample?.sharpe)
  assert.equal(r.inSample?.bars, 300)
  assert.equal(r.outOfSample?.bars, 100)
  assert.ok((r.inSample?.trades ?? 0) > 5)
  const ret = evaluateGenome(momentum, ctx, { lag: 5 }, { ...SETUP, objective: 'return' })
  assert.equal(ret.fitness, ret.inSample?.totalReturn)
})

test('too few in-sample trades: null fitness, metrics still reported', () => {
  const r = evaluateGenome(momentum, ctx, { lag: 5 }, { ...SETUP, minTrades: 1_000 })
  assert.equal(r.fitness, null)
  assert.ok(r.inSample !== null && r.outOfSample !== null)
  assert.equal(r.error, undefined)
})

test('the strategy runs once over all bars, and number[] results are accepted as Float64Array', () => {
  let calls = 0
  const counted: StrategyDefinition = { name: 'c', params: {}, positions: (c) => { calls++; return momentum.positions(c, { lag: 3 }) } }
  const a = evaluateGenome(counted, ctx, {}, SETUP)
  assert.equal(calls, 1)
  const asArray = Array.from(momentum.positions(ctx, { lag: 3 }))
  assert.deepEqual(evaluateGenome(returning(asArray), ctx, {}, SETUP), a)
})

test('a throwing strategy gives STRATEGY_THREW and null everything, never an exception', () => {
  const thrower = (x: unknown): StrategyDefinition => ({ name: 't', params: {}, positions: () => { throw x } })
  assert.deepEqual(evaluateGenome(thrower(new Error('boom')), ctx, {}, SETUP),
    { fitness: null, inSample: null, outOfSample: null, error: 'STRATEGY_THREW: boom' })
  assert.equal(evaluateGenome(thrower('plain string'), ctx, {}, SETUP).error, 'STRATEGY_THREW: plain string')
  assert.equal(evaluateGenome(thrower(new StratmeshError('INDICATOR_BAD_PERIOD', 'period 0')), ctx, {}, SETUP).error,
    'STRATEGY_THREW: INDICATOR_BAD_PERIOD: period 0')
  const long = evaluateGenome(thrower(new Error('x'.repeat(10_000))), ctx, {}, SETUP)
  assert.equal(long.error?.length, MAX_ERROR_CHARS)
  assert.ok(long.error?.startsWith('STRATEGY_THREW: xxx'))
})

test('bad positions give STRATEGY_BAD_POSITIONS naming the problem and the first bad bar', () => {
  const cases: [unknown, RegExp][] = [
    [undefined, /got undefined/],
    [null, /got null/],
    [new Float32Array(N), /got Float32Array/],
    [['1', 0], /got an array holding a non-number/],
    [new Float64Array(N - 1), new RegExp(`returned ${N - 1} values for ${N} bars`)],
    [new Float64Array(N + 1), new RegExp(`returned ${N + 1} values for ${N} bars`)],
  ]
  const withAt = (i: number, v: number): Float64Array => { const a = new Float64Array(N); a[i] = v; return a }
  cases.push([withAt(3, NaN), /bar 3 is NaN/])
  cases.push([withAt(7, 1.5), /bar 7 is 1\.5/])
  cases.push([withAt(0, -1.000001), /bar 0 is -1\.000001/])
  cases.push([withAt(N - 1, Infinity), new RegExp(`bar ${N - 1} is Infinity`)])
  for (const [value, message] of cases) {
    const r = evaluateGenome(returning(value), ctx, {}, SETUP)
    assert.equal(r.fitness, null)
    assert.equal(r.inSample, null)
    assert.equal(r.outOfSample, null)
    assert.match(r.error ?? '', /^STRATEGY_BAD_POSITIONS: /)
    assert.match(r.error ?? '', message)
  }
  const hostile = new Proxy([0], { get: () => { throw new Error('gotcha') } })
  assert.match(evaluateGenome(returning(hostile), ctx, {}, SETUP).error ?? '', /^STRATEGY_BAD_POSITIONS: reading the positions threw: gotcha/)
  // Floating-point noise just past +-1 is accepted.
  const noisy = momentum.positions(ctx, { lag: 5 }).map(v => v * (1 + 1e-13))
  assert.equal(evaluateGenome(returning(noisy), ctx, {}, SETUP).error, undefined)
})

test('a split outside the data is a caller bug: EVAL_BAD_SETUP is thrown', () => {
  for (const split of [-1, N + 1, 2.5]) {
    assert.throws(() => evaluateGenome(momentum, ctx, { lag: 5 }, { ...SETUP, split }), (e: unknown) => isStratmeshError(e, 'EVAL_BAD_SETUP'))
  }
  // Split at either end: one empty range, reported as zeros.
  const allIn = evaluateGenome(momentum, ctx, { lag: 5 }, { ...SETUP, split: N, to: N })
  assert.equal(allIn.outOfSample?.bars, 0)
})

test('with the real strategy context: an SMA cross evaluates to the backtest of a hand-made SMA cross', () => {
  const base = minimalContext(N)
  const candles = { length: N, time: base.time, open: base.open, high: base.high, low: base.low, close: base.close, volume: base.volume }
  const real = createStrategyContext(candles)
  const cross = defineStrategy({
    name: 'sma-cross',
    params: { fast: int(2, 20), slow: int(5, 60) },
    positions (c, p) {
      const fast = c.sma(c.close, p.fast)
      const slow = c.sma(c.close, p.slow)
      const out = c.output()
      for (let i = 0; i < c.length; i++) out[i] = fast[i] > slow[i] ? 1 : 0
      return out
    },
  })
  const mean = (i: number, k: number): number => { let s = 0; for (let t = i - k + 1; t <= i; t++) s += candles.close[t]; return s / k }
  const expected = new Float64Array(N)
  for (let i = 19; i < N; i++) expected[i] = mean(i, 5) > mean(i, 20) ? 1 : 0
  const r = evaluateGenome(cross, real, { fast: 5, slow: 20 }, SETUP)
  assert.equal(r.error, undefined)
  const near = (a: number, b: number): boolean => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))
  const want = backtest(candles, expected, 0, 300, SETUP.costs, 252)
  for (const k of Object.keys(want) as (keyof typeof want)[]) assert.ok(near(r.inSample?.[k] ?? NaN, want[k]), `${k}: ${r.inSample?.[k]} vs ${want[k]}`)
  assert.ok(r.inSample !== null && r.inSample.trades >= 3)
})

test("scope 'fitness' gives the fitness, in-sample metrics and errors of 'full', without the out-of-sample backtest", () => {
  const withAt = (i: number, v: number): Float64Array => { const a = momentum.positions(ctx, { lag: 5 }).slice(); a[i] = v; return a }
  const cases: Array<[string, StrategyDefinition, ParamValues]> = [
    ['valid', momentum, { lag: 5 }],
    ['valid, another genome', momentum, { lag: 17 }],
    ['bad position in-sample', returning(withAt(120, NaN)), {}],
    ['bad position out-of-sample only', returning(withAt(N - 7, 2)), {}],
    ['bad position on the last in-sample bar (not read by its backtest)', returning(withAt(SETUP.split - 1, -3)), {}],
    ['wrong length', returning(new Float64Array(N - 1)), {}],
    ['throws', { name: 't', params: {}, positions: () => { throw new Error('boom') } }, {}],
  ]
  for (const [what, def, params] of cases) {
    const full = evaluateGenome(def, ctx, params, SETUP, 'full')
    const fit = evaluateGenome(def, ctx, params, SETUP, 'fitness')
    assert.deepEqual({ ...fit }, { ...full, outOfSample: null }, what)
    if (full.error === undefined) assert.notEqual(full.outOfSample, null, `${what}: full has out-of-sample metrics`)
  }
  // The out-of-sample error is found by 'fitness' too: without the check it would score the genome.
  assert.match(evaluateGenome(returning(withAt(N - 7, 2)), ctx, {}, SETUP, 'fitness').error ?? '', new RegExp(`bar ${N - 7} is 2`))
})
