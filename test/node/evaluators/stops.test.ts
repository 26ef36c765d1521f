import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createEvaluatorPool, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { evaluateGenome } from '../../../src/engine/evaluate.js'
import { evalSetupFor } from '../../../src/engine/job-setup.js'
import { createStrategyContext } from '../../../src/engine/strategy-context.js'
import type { StrategyDefinition } from '../../../src/engine/strategy-api.js'
import { parseChildMessage } from '../../../src/node/evaluators/messages.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { randomCandles, specFor } from '../../fixtures/strategies/harness.js'
import { engineScript } from '../../helpers/engine-script.js'

const BARS = 4000
const candles = randomCandles(BARS, 6)
const FILE = fileURLToPath(new URL('../../../strategies/trend-stops.ts', import.meta.url))

const pool = createEvaluatorPool({ size: 1, evalTimeoutMs: 20_000, memoryMb: 256 })
after(async () => { await pool.stop() })

test('a strategy with stops: the isolate\'s unit results and details are evaluateGenome\'s in this process, bit for bit', async () => {
  await pool.start()
  const source = readFileSync(FILE, 'utf8')
  const spec = specFor(source, 'trend-stops.ts', BARS)
  const job: PoolJob = { key: `trend-stops:${canonicalHash(spec)}`, engine: engineScript(), source, fileName: 'trend-stops.ts', candles, spec }
  const cp = await pool.runUnit(job, { spec, island: 0, epoch: 0, previous: null, migrants: null })
  const def = (await import(pathToFileURL(FILE).href) as { default: StrategyDefinition }).default
  const ctx = createStrategyContext(candles)
  const setup = evalSetupFor(spec, candles)
  const traded = cp.best.filter(g => (g.inSample?.trades ?? 0) > 0)
  assert.ok(traded.length > 0, 'genomes that traded')
  for (const g of cp.best) {
    const here = evaluateGenome(def, ctx, g.params, setup)
    assert.equal(g.fitness, here.fitness)
    assert.deepEqual(g.inSample, here.inSample)
    if (g.outOfSample !== null) assert.deepEqual(g.outOfSample, here.outOfSample)
  }
  // The stops are in play: the same genome without them scores otherwise.
  const row = traded[0]
  assert.notDeepEqual(evaluateGenome({ ...def, stops: undefined }, ctx, row.params, setup).inSample, row.inSample)
  const d = await pool.detail(job, row.params)
  assert.equal(d.fitness, row.fitness)
  assert.deepEqual(d.inSample.metrics, row.inSample)
  assert.equal(d.inSample.tradeCount, d.inSample.metrics.trades)
  // Stop fills carry their price across the process boundary (the dashboard marks them there).
  const filled = d.inSample.trades.filter(t => t.exitPrice !== undefined)
  assert.ok(filled.length > 0, 'trades closed by a stop')
  for (const t of filled) assert.ok((t.exitPrice as number) >= candles.low[t.exitBar] && (t.exitPrice as number) <= candles.high[t.exitBar], 'a fill within its bar')
})

test('detail messages: a trade\'s exitPrice, when given, must be a finite price above 0', () => {
  const metrics = { totalReturn: 0.1, cagr: 0, sharpe: 0, sortino: 0, maxDrawdown: 0, calmar: 0, trades: 1, winRate: 1, profitFactor: 1, exposure: 0.5, bars: 2 }
  const curve = { bars: Int32Array.from([0, 1]), values: Float64Array.from([1, 1.1]) }
  const detailWith = (exitPrice: unknown): unknown => {
    const range = { from: 0, to: 2, metrics, equity: curve, drawdown: curve, trades: [{ side: 1, entryBar: 1, exitBar: 1, open: false, return: 0.1, exitPrice }], tradeCount: 1 }
    return { type: 'detailed', id: 1, detail: { params: { a: 1 }, fitness: 0.5, inSample: range, outOfSample: range } }
  }
  const parsed = parseChildMessage(detailWith(101.5))
  assert.equal(parsed.type === 'detailed' ? parsed.detail.inSample.trades[0].exitPrice : null, 101.5)
  for (const bad of [-1, 0, Number.NaN, '101']) assert.throws(() => parseChildMessage(detailWith(bad)), (e: unknown) => isStratmeshError(e, 'EVAL_BAD_MESSAGE'), String(bad))
})
