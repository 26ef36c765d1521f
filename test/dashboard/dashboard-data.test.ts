/**
 * createDashboardData (src/node/dashboard/data.ts) with a fake peer: a walk-forward row's detail is
 * recomputed on its own window's ranges (its island goes to the evaluator), not the first window's.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createDashboardData } from '../../src/node/dashboard/data.js'
import { boardRows, candlesView, detailView, rowIdOf } from '../../src/node/dashboard/views.js'
import { basketSetupFor, evaluateBasket } from '../../src/engine/basket.js'
import { createJobSpec, evalSetupFor } from '../../src/engine/job-setup.js'
import { resolveWalkForward } from '../../src/engine/walk-forward.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { evaluateDetail } from '../../src/engine/backtest-detail.js'
import { sampleGenomeDetail } from '../../src/engine/downsample.js'
import { emptyLedger } from '../../src/ledger/fold.js'
import type { ParamValues } from '../../src/protocol/types.js'
import type { PoolJob } from '../../src/node/evaluators/index.js'
import type { ResultsRow, ResultsView } from '../../src/node/peer-types.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))

test('row detail: a walk-forward row is recomputed on its own window (its island reaches the evaluator), and cached per window', async () => {
  const candles = syntheticCandles({ bars: 1200, seed: 4 })
  const walkForward = resolveWalkForward({ mode: 'rolling', windows: 3 }, candles.time)
  const islands = 2
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'a'.repeat(64), name: 'sma-cross' }, dataset: { hash: 'b'.repeat(64), name: 'd', bars: candles.length }, ga: { islands }, minTrades: 1, walkForward })
  const def = validateStrategyDefinition((await import(pathToFileURL(STRATEGY).href) as { default: unknown }).default, STRATEGY)
  const ctx = createStrategyContext(candles)
  const params: ParamValues = { fast: 10, slow: 60 }
  // The same genome won window 2 (islands 4, 5) and window 0 (islands 0, 1): the rows share an id.
  const rowOn = (island: number, rank: number): ResultsRow => {
    const d = evaluateDetail(def, ctx, params, evalSetupFor(spec, candles, island))
    return { rank, params, fitness: d.fitness as number, inSample: d.inSample.metrics, outOfSample: d.outOfSample.metrics, island, epoch: 0, dsr: null, plateau: null, overfit: false }
  }
  let board: ResultsRow[] = [rowOn(5, 1)]
  const asked: number[] = []
  const job = { key: 'j', engine: '', source: '', fileName: 'sma-cross.ts', candles, spec } satisfies PoolJob
  const data = createDashboardData({
    state: () => emptyLedger(),
    running: () => [],
    results: async () => ({ job: { id: 'j'.repeat(64), spec, submitter: 's', committed: 0, total: 0 }, done: true, leaderboard: board, statistics: { ready: false, reason: 'not computed for a walk-forward job', trials: 0, pbo: null, pboRows: null, rows: null, sharpeVariance: null, expectedMaxSharpe: null } }) satisfies ResultsView,
    readiness: () => ({ ready: true, job }),
    detail: async (_job, p, island) => {
      asked.push(island)
      return sampleGenomeDetail(evaluateDetail(def, ctx, p, evalSetupFor(spec, candles, island)), { maxPoints: 500, maxTrades: 50 })
    },
    clock: () => 0,
  })
  const w2 = walkForward.windows[2]
  const d = await data.rowDetail('j'.repeat(64), rowIdOf(params))
  assert.deepEqual(asked, [5])
  assert.deepEqual([d.inSample.from, d.inSample.to, d.outOfSample.from, d.outOfSample.to], [w2.trainFrom, w2.trainTo, w2.trainTo, w2.testTo])
  assert.equal(d.split.bar, w2.trainTo)
  assert.equal(d.consistent, true, 'recomputed on the window the row was ranked on, the metrics are the row\'s')

  board = [rowOn(1, 1)]
  const d0 = await data.rowDetail('j'.repeat(64), rowIdOf(params))
  assert.deepEqual(asked, [5, 1], 'the same id in another window is not served from the cache')
  assert.equal(d0.outOfSample.from, walkForward.windows[0].trainTo)
  assert.equal(d0.consistent, true)
})

test('row detail of a basket job: the first symbol\'s charts, checked against that symbol\'s metrics and the row\'s aggregate fitness', async () => {
  const symbols = [syntheticCandles({ bars: 900, seed: 61 }), syntheticCandles({ bars: 1000, seed: 62 }), syntheticCandles({ bars: 1100, seed: 63 })]
  const def = validateStrategyDefinition((await import(pathToFileURL(STRATEGY).href) as { default: unknown }).default, STRATEGY)
  const datasets = symbols.map((c, k) => ({ hash: String(k + 1).repeat(64), name: `s${k}.csv`, bars: c.length }))
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'a'.repeat(64), name: 'sma-cross' }, dataset: datasets[0], basket: { datasets, aggregate: 'median' }, minTrades: 1 })
  const params: ParamValues = { fast: 10, slow: 60 }
  const members = symbols.map((c, k) => ({ name: datasets[k].name, ctx: createStrategyContext(c), setup: basketSetupFor(spec, c, k) }))
  const r = evaluateBasket(def, members, 'median', params)
  const row = boardRows([{ rank: 1, params, fitness: r.fitness as number, inSample: r.inSample, outOfSample: r.outOfSample, symbols: r.symbols, island: 0, epoch: 0 }])[0]
  assert.notDeepEqual(row.inSample, r.symbols?.[0].inSample, 'the row stands for another symbol than the first')
  const first = evaluateDetail(def, createStrategyContext(symbols[0]), params, evalSetupFor(spec, symbols[0]))
  const shown = sampleGenomeDetail({ ...first, fitness: r.fitness }, { maxPoints: 500, maxTrades: 50 })
  assert.equal(detailView('j', row, shown, symbols[0], candlesView(symbols[0])).consistent, true)
  const forged = { ...row, symbols: r.symbols?.map((s, k) => k === 0 && s.inSample !== null ? { ...s, inSample: { ...s.inSample, trades: s.inSample.trades + 1 } } : s) }
  assert.equal(detailView('j', forged, shown, symbols[0], candlesView(symbols[0])).consistent, false)
})
