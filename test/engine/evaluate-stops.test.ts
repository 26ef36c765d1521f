import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backtest, backtestWithStops } from '../../src/engine/backtest.js'
import type { StopTrade } from '../../src/engine/backtest-stops.js'
import { evaluateDetail } from '../../src/engine/backtest-detail.js'
import { evaluateGenome, type EvalSetup } from '../../src/engine/evaluate.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { defineStrategy, float, int, type StrategyDefinition } from '../../src/engine/strategy-api.js'
import { isStratmeshError } from '../../src/protocol/errors.js'

const candles = syntheticCandles({ bars: 4000, seed: 8 })
const ctx = createStrategyContext(candles)
const SETUP: EvalSetup = { costs: { fee: 0.001, slippage: 0.0005 }, objective: 'sharpe', minTrades: 1, from: 0, split: 2800, to: 4000, barsPerYear: 525_960 }

/** Long while the close is above its SMA; the stops come from the params, or from `rule`. */
function trend (rule?: (p: Record<string, number>) => unknown): StrategyDefinition {
  return defineStrategy({
    name: 'trend',
    params: { period: int(5, 100), sl: float(0.001, 0.05), tp: float(0.001, 0.2), trail: float(0.001, 0.05) },
    stops: (rule ?? ((p: Record<string, number>) => ({ stopLoss: p.sl, takeProfit: p.tp, trailingStop: p.trail }))) as never,
    positions (c, p) {
      const sma = c.sma(c.close, p.period)
      const out = c.output()
      for (let i = 0; i < c.length; i++) out[i] = c.close[i] > sma[i] ? 1 : 0
      return out
    },
  }) as StrategyDefinition
}

const P = { period: 20, sl: 0.003, tp: 0.003, trail: 0.004 }

test('evaluateGenome runs the stops kernel on both ranges; evaluateDetail gives the same metrics and the kernel\'s trades', () => {
  const def = trend()
  const r = evaluateGenome(def, ctx, P, SETUP)
  assert.equal(r.error, undefined, r.error)
  const positions = def.positions(ctx, P)
  const stops = { stopLoss: P.sl, takeProfit: P.tp, trailingStop: P.trail }
  const isTrades: StopTrade[] = []
  assert.deepEqual(r.inSample, backtestWithStops(ctx, positions, 0, 2800, SETUP.costs, SETUP.barsPerYear, stops, { trades: isTrades }))
  assert.deepEqual(r.outOfSample, backtestWithStops(ctx, positions, 2800, 4000, SETUP.costs, SETUP.barsPerYear, stops))
  // The stops matter: the same positions without them give other numbers.
  assert.notDeepEqual(r.inSample, backtest(ctx, positions, 0, 2800, SETUP.costs, SETUP.barsPerYear))
  assert.ok(isTrades.some(t => t.exit === 'stop-loss') && isTrades.some(t => t.exit === 'take-profit') && isTrades.some(t => t.exit === 'trailing-stop'), 'each kind of stop fills')
  assert.equal(evaluateGenome(def, ctx, P, SETUP, 'fitness').fitness, r.fitness)

  const d = evaluateDetail(def, ctx, P, SETUP)
  assert.deepEqual(d.inSample.metrics, r.inSample)
  assert.deepEqual(d.outOfSample.metrics, r.outOfSample)
  assert.equal(d.fitness, r.fitness)
  const stopped = (t: StopTrade): boolean => t.exit === 'stop-loss' || t.exit === 'trailing-stop' || t.exit === 'take-profit'
  assert.deepEqual(d.inSample.trades, isTrades.map(t => ({ side: t.side, entryBar: t.entryBar, exitBar: t.exitBar, open: t.exit === 'end', return: t.return, ...(stopped(t) ? { exitPrice: t.exitPrice } : {}) })))
  assert.equal(d.inSample.equity[d.inSample.equity.length - 1] - 1, r.inSample?.totalReturn)
})

test('stops() returning no stops evaluates as a strategy without stops', () => {
  const plain = { ...trend(), stops: undefined }
  const none = trend(() => ({}))
  assert.deepEqual(evaluateGenome(none, ctx, P, SETUP), evaluateGenome(plain, ctx, P, SETUP))
})

test('a bad stop value is the genome\'s STRATEGY_BAD_STOPS naming the field; a throwing stops() is STRATEGY_THREW', () => {
  const cases: Array<[unknown, RegExp]> = [
    [{ stopLoss: 1 }, /^STRATEGY_BAD_STOPS: stops\(\)\.stopLoss is 1: it must be a finite number in \(0, 1\)/],
    [{ stopLoss: 0 }, /^STRATEGY_BAD_STOPS: stops\(\)\.stopLoss is 0/],
    [{ trailingStop: Number.NaN }, /^STRATEGY_BAD_STOPS: stops\(\)\.trailingStop is NaN/],
    [{ takeProfit: -0.1 }, /^STRATEGY_BAD_STOPS: stops\(\)\.takeProfit is -0\.1: it must be a finite number above 0/],
    [{ takeProfit: Infinity }, /^STRATEGY_BAD_STOPS: stops\(\)\.takeProfit is Infinity/],
    [{ stopLoss: '0.02' }, /^STRATEGY_BAD_STOPS: stops\(\)\.stopLoss is string/],
    [{ stoploss: 0.02 }, /^STRATEGY_BAD_STOPS: stops\(\) returned an unknown field "stoploss"/],
    [null, /^STRATEGY_BAD_STOPS: stops\(\) must return an object/],
  ]
  for (const [value, error] of cases) {
    const def = trend(() => value)
    const r = evaluateGenome(def, ctx, P, SETUP)
    assert.equal(r.fitness, null)
    assert.match(r.error ?? '', error, JSON.stringify(value))
    assert.throws(() => evaluateDetail(def, ctx, P, SETUP), (e: unknown) => isStratmeshError(e, 'STRATEGY_BAD_STOPS'))
  }
  // A take-profit above 100 % is a valid (if distant) target.
  assert.equal(evaluateGenome(trend(() => ({ takeProfit: 3 })), ctx, P, SETUP).error, undefined)
  const throwing = trend(() => { throw new Error('no stops today') })
  assert.match(evaluateGenome(throwing, ctx, P, SETUP).error ?? '', /^STRATEGY_THREW: stops\(\) threw: no stops today/)
})

test('a definition whose stops is not a function is STRATEGY_INVALID naming the field', () => {
  assert.throws(() => validateStrategyDefinition({ ...trend(), stops: { stopLoss: 0.02 } }, 'x.ts'), (e: unknown) => isStratmeshError(e, 'STRATEGY_INVALID') && /x\.ts: stops must be a function/.test((e as Error).message))
  assert.equal(validateStrategyDefinition(trend(), 'x.ts').name, 'trend')
})
