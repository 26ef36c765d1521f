import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { createEvaluatorPool, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { parseChildMessage, parseParentMessage } from '../../../src/node/evaluators/messages.js'
import { jobStatistics, STATISTICS_ROWS, type StatisticsInput } from '../../../src/engine/stats/job-statistics.js'
import { evalSetupFor } from '../../../src/engine/job-setup.js'
import { createStrategyContext } from '../../../src/engine/strategy-context.js'
import { leaderboardOf } from '../../../src/ledger/leaderboard.js'
import { compileStrategy } from '../../../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../../../src/node/evaluators/strategy-module.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { randomCandles, readFixture, specFor } from '../../fixtures/strategies/harness.js'
import { engineScript } from '../../helpers/engine-script.js'
import { referenceCheckpoints } from '../../helpers/reference-run.js'

const BARS = 3000
const candles = randomCandles(BARS, 7)
const pool = createEvaluatorPool({ size: 1, evalTimeoutMs: 60_000, memoryMb: 256 })
after(async () => { await pool.stop() })

test('a job\'s statistics through an evaluator equal, bit for bit, the ones computed in process', async () => {
  const source = readFixture('good-sma.ts')
  const spec = specFor(source, 'good-sma.ts', BARS, { islands: 2, population: 12, generations: 2, epochs: 2 })
  const def = instantiateStrategy(compileStrategy(source, 'good-sma.ts'), 'good-sma.ts')
  const checkpoints = await referenceCheckpoints(spec, def, candles)
  const input: StatisticsInput = {
    spec,
    rows: leaderboardOf(checkpoints, STATISTICS_ROWS).map(r => r.params),
    trials: checkpoints.reduce((s, cp) => s + cp.evaluations, 0),
  }
  const inProcess = jobStatistics(def, createStrategyContext(candles), evalSetupFor(spec, candles), input)
  assert.ok(inProcess.rows.length >= 2 && inProcess.rows.length === input.rows.length)
  assert.ok(inProcess.pbo !== null && inProcess.pbo >= 0 && inProcess.pbo <= 1)
  assert.ok(inProcess.sharpeVariance > 0 && inProcess.varianceSample > 1)
  assert.ok(inProcess.rows.every(r => r.dsr !== null && r.dsr >= 0 && r.dsr <= 1 && r.neighbours > 0))
  await pool.start()
  const job: PoolJob = { key: `good-sma:${canonicalHash(spec)}`, engine: engineScript(), source, fileName: 'good-sma.ts', candles, spec }
  const viaEvaluator = await pool.statistics(job, input)
  assert.deepStrictEqual(viaEvaluator, inProcess)
  assert.equal(pool.pids().length, 1, 'the statistics evaluator is gone; the pooled one stays')
})

test('statistics messages: the parent refuses a malformed answer', () => {
  assert.equal(parseParentMessage({ type: 'statistics', id: 1, jobKey: 'k', input: { spec: {}, rows: [], trials: 1 } }).type, 'statistics')
  const row = { params: { a: 1 }, sharpe: 0.01, dsr: 0.4, plateau: 0.5, neighbours: 2 }
  const good = { trials: 10, sharpeVariance: 0.001, varianceSample: 5, expectedMaxSharpe: 0.02, pbo: 0.3, pboRows: 2, pboSplits: 12870, rows: [row] }
  assert.deepEqual(parseChildMessage({ type: 'statistics-computed', id: 1, statistics: good }), { type: 'statistics-computed', id: 1, statistics: good })
  for (const bad of [
    null,
    { ...good, pbo: 1.5 },
    { ...good, trials: -1 },
    { ...good, sharpeVariance: Infinity },
    { ...good, rows: [{ ...row, dsr: Number.NaN }] },
    { ...good, rows: [{ ...row, params: null }] },
    { ...good, rows: Array.from({ length: STATISTICS_ROWS + 1 }, () => row) },
  ]) {
    assert.throws(() => parseChildMessage({ type: 'statistics-computed', id: 1, statistics: bad }), (e: unknown) => isStratmeshError(e, 'EVAL_BAD_MESSAGE'), JSON.stringify(bad)?.slice(0, 100))
  }
})
