/**
 * The stitched out-of-sample result against an independent computation written here: each
 * window's winner backtested on its test range with backtest(), the test-range equity curves
 * chained by hand (a window without a winner is flat), and the total return, maximum drawdown and
 * bar count compared with walkForwardResult's.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { backtest, barsPerYear } from '../../src/engine/backtest.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import { resolveWalkForward } from '../../src/engine/walk-forward.js'
import { walkForwardResult } from '../../src/engine/walk-forward-result.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import type { ParamValues } from '../../src/protocol/types.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))

test('stitched metrics equal the test ranges chained by hand from backtest() (total return, max drawdown, bars)', async () => {
  const candles = syntheticCandles({ bars: 3000, seed: 11 })
  const walkForward = resolveWalkForward({ mode: 'rolling', windows: 4 }, candles.time)
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'a'.repeat(64), name: 'sma-cross' }, dataset: { hash: 'b'.repeat(64), name: 'd', bars: candles.length }, minTrades: 1, walkForward })
  const def = validateStrategyDefinition((await import(pathToFileURL(STRATEGY).href) as { default: unknown }).default, STRATEGY)
  const ctx = createStrategyContext(candles)
  const winners: Array<ParamValues | null> = [{ fast: 8, slow: 40 }, { fast: 30, slow: 150 }, null, { fast: 12, slow: 200 }]
  const got = walkForwardResult(def, ctx, spec, winners.map((p, k) => p === null ? null : { params: p, fitness: k }), 500)

  // By hand: equity chained across the test ranges, each starting from cash.
  const bpy = barsPerYear(candles.time)
  let level = 1
  let peak = 1
  let maxDrawdown = 0
  let bars = 0
  let losingWindows = 0
  for (const [k, w] of walkForward.windows.entries()) {
    const n = w.testTo - w.trainTo
    bars += n
    const params = winners[k]
    if (params === null) continue
    const positions = def.positions(ctx, params as never) as Float64Array
    const equity = new Float64Array(n)
    const m = backtest(candles, positions, w.trainTo, w.testTo, spec.costs, bpy, { equity })
    if (m.totalReturn < 0) losingWindows++
    for (let j = 0; j < n; j++) {
      const e = level * equity[j]
      peak = Math.max(peak, e)
      maxDrawdown = Math.max(maxDrawdown, 1 - e / peak)
    }
    assert.ok(Math.abs(equity[n - 1] - 1 - m.totalReturn) < 1e-12, 'the equity curve ends at the range\'s total return')
    level *= 1 + m.totalReturn
  }
  assert.ok(maxDrawdown > 0 && level !== 1, 'the check is not vacuous: the winners traded')
  assert.equal(got.stitched.bars, bars)
  assert.equal(bars, candles.length - walkForward.windows[0].trainTo)
  assert.ok(Math.abs(got.stitched.totalReturn - (level - 1)) < 1e-9, `total return ${got.stitched.totalReturn} vs ${level - 1}`)
  assert.ok(Math.abs(got.stitched.maxDrawdown - maxDrawdown) < 1e-9, `max drawdown ${got.stitched.maxDrawdown} vs ${maxDrawdown}`)
  assert.ok(Math.abs(got.equity.values.at(-1) as number - level) < 1e-9, 'the charted curve ends where the chain does')
  assert.deepEqual(got.windows.map(w => w.test === null), [false, false, true, false])
  assert.equal(got.windows.filter(w => w.test !== null && w.test.totalReturn < 0).length, losingWindows)
})
