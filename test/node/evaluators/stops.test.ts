import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createEvaluatorPool, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { evaluateGenome } from '../../../src/engine/evaluate.js'
import { evalSetupFor } from '../../../src/engine/job-setup.js'
import { createStrategyContext } from '../../../src/engine/strategy-context.js'
import type { StrategyDefinition } from '../../../src/engine/strategy-api.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
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
})
