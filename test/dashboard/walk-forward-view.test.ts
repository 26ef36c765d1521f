/**
 * What the dashboard gets for a walk-forward job (src/node/dashboard/walk-forward-view.ts): each
 * window's ranges as times and its winner, and the stitched out-of-sample equity over time, with
 * points in every window's test range so the page can shade and label each one.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { walkForwardBoard } from '../../src/node/dashboard/walk-forward-view.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import { resolveWalkForward } from '../../src/engine/walk-forward.js'
import { walkForwardResult } from '../../src/engine/walk-forward-result.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import type { LeaderboardRow } from '../../src/protocol/job-spec.js'
import { emptyMetrics } from '../../src/engine/metrics.js'
import type { WalkForwardView } from '../../src/node/work/index.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))

test('walk-forward board: windows with their times and winners, the stitched equity over every test range; before the result, windows only', async () => {
  const candles = syntheticCandles({ bars: 1500, seed: 5 })
  const walkForward = resolveWalkForward({ mode: 'rolling', windows: 3 }, candles.time)
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'a'.repeat(64), name: 'sma-cross' }, dataset: { hash: 'b'.repeat(64), name: 'd', bars: candles.length }, ga: { islands: 2 }, minTrades: 1, walkForward })
  const def = validateStrategyDefinition((await import(pathToFileURL(STRATEGY).href) as { default: unknown }).default, STRATEGY)
  const winners = [{ fast: 10, slow: 60 }, { fast: 20, slow: 100 }, null]
  const leaders: Array<LeaderboardRow | null> = winners.map((p, k) => p === null ? null : { rank: 1, params: p, fitness: k + 0.5, inSample: emptyMetrics(), outOfSample: emptyMetrics(), island: 2 * k, epoch: 1 })
  const result = walkForwardResult(def, createStrategyContext(candles), spec, leaders.map(l => l === null ? null : { params: l.params, fitness: l.fitness }), 300)
  const view: WalkForwardView = { mode: 'rolling', windows: walkForward.windows.map((w, k) => ({ ...w, leader: leaders[k] })), result }

  const b = walkForwardBoard(view, candles)
  assert.equal(b.windows.length, 3)
  b.windows.forEach((w, k) => {
    const range = walkForward.windows[k]
    assert.deepEqual([w.window, w.trainFrom, w.trainTo, w.testTo], [k, range.trainFrom, range.trainTo, range.testTo])
    assert.deepEqual(w.time, { trainFrom: candles.time[range.trainFrom], testFrom: candles.time[range.trainTo], testLast: candles.time[range.testTo - 1] })
    assert.deepEqual(w.leader?.params ?? null, winners[k])
  })
  assert.ok(b.windows[0].test !== null && b.windows[0].test.bars === walkForward.windows[0].testTo - walkForward.windows[0].trainTo, 'the winner\'s test-range metrics')
  assert.equal(b.windows[2].test, null, 'a window without a winner has no test metrics (its range is flat)')
  assert.deepEqual(b.stitched, result.stitched)
  assert.equal(b.efficiency, result.efficiency)

  const eq = b.equity
  assert.ok(eq !== null && eq.time.length === eq.value.length && eq.time.length > 10)
  assert.ok(eq.time.every((t, i) => i === 0 || t > eq.time[i - 1]), 'times increase')
  for (const w of b.windows) {
    const t = w.time as { testFrom: number, testLast: number }
    assert.ok(eq.time.some(x => x >= t.testFrom && x <= t.testLast), `window ${w.window}'s test range has points to shade`)
  }
  assert.ok(eq.time.every(x => x >= candles.time[walkForward.windows[0].trainTo] && x <= candles.time[candles.length - 1]), 'the stitched curve covers the test ranges only')
  assert.ok(Math.abs((eq.value.at(-1) as number) - 1 - result.stitched.totalReturn) < 1e-12, 'the last point is the stitched final equity')

  const running = walkForwardBoard({ ...view, result: null }, candles)
  assert.deepEqual([running.equity, running.stitched], [null, null])
  assert.deepEqual(running.windows.map(w => w.time), b.windows.map(w => w.time), 'window times from the candles before the result')
  const unloaded = walkForwardBoard({ ...view, result: null, unavailable: 'fetching the strategy' }, null)
  assert.deepEqual(unloaded.windows.map(w => w.time), [null, null, null])
  assert.equal(unloaded.unavailable, 'fetching the strategy')
})
