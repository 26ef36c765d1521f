/**
 * A finished job's statistics run in an evaluator at a lower CPU priority, so on a peer whose
 * evaluators fill its cores they take what the next job's units leave; the pooled evaluators that
 * run units keep the normal priority.
 */
import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { getPriority } from 'node:os'
import { createEvaluatorPool, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { BACKGROUND_NICENESS } from '../../../src/node/evaluators/transient-evaluators.js'
import { STATISTICS_ROWS, type StatisticsInput } from '../../../src/engine/stats/job-statistics.js'
import { leaderboardOf } from '../../../src/ledger/leaderboard.js'
import { compileStrategy } from '../../../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../../../src/node/evaluators/strategy-module.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { randomCandles, readFixture, specFor } from '../../fixtures/strategies/harness.js'
import { engineScript } from '../../helpers/engine-script.js'
import { referenceCheckpoints } from '../../helpers/reference-run.js'
import { processTable } from '../../helpers/process-table.js'

const BARS = 3000
const candles = randomCandles(BARS, 7)
const pool = createEvaluatorPool({ size: 1, evalTimeoutMs: 60_000, memoryMb: 256 })
after(async () => { await pool.stop() })

function priorityOf (pid: number): number | null {
  try { return getPriority(pid) } catch { return null }
}

test('statistics run in an evaluator at a lower priority; the pooled evaluator keeps the normal one', { skip: process.platform === 'win32' }, async () => {
  const source = readFixture('good-sma.ts')
  const spec = specFor(source, 'good-sma.ts', BARS, { islands: 2, population: 12, generations: 2, epochs: 2 })
  const def = instantiateStrategy(compileStrategy(source, 'good-sma.ts'), 'good-sma.ts')
  const checkpoints = await referenceCheckpoints(spec, def, candles)
  const input: StatisticsInput = { spec, rows: leaderboardOf(checkpoints, STATISTICS_ROWS).map(r => r.params), trials: checkpoints.reduce((s, cp) => s + cp.evaluations, 0) }
  await pool.start()
  const pooled = new Set(pool.pids())
  const job: PoolJob = { key: `good-sma:${canonicalHash(spec)}`, engine: engineScript(), source, fileName: 'good-sma.ts', candles, spec }
  // Every priority seen of this process's other children while the statistics are computed.
  const seen = new Set<number>()
  let running = true
  const watching = (async () => {
    while (running) {
      for (const row of processTable()) {
        if (row.ppid !== process.pid || pooled.has(row.pid)) continue
        const p = priorityOf(row.pid)
        if (p !== null) seen.add(p)
      }
      await new Promise(resolve => setTimeout(resolve, 2))
    }
  })()
  try {
    await pool.statistics(job, input)
  } finally {
    running = false
    await watching
  }
  assert.ok(seen.has(BACKGROUND_NICENESS), `the statistics evaluator ran at niceness ${BACKGROUND_NICENESS} (seen: ${[...seen].join(', ')})`)
  for (const pid of pooled) assert.equal(priorityOf(pid), 0, 'the pooled evaluator runs units at the normal priority')
})

test('the statistics evaluator is kept for the next job of the same strategy and candles, at its priority, and gives what a fresh one gives', { skip: process.platform === 'win32' }, async () => {
  const source = readFixture('good-sma.ts')
  const def = instantiateStrategy(compileStrategy(source, 'good-sma.ts'), 'good-sma.ts')
  const inputs: StatisticsInput[] = []
  for (const seed of [5, 6]) {
    const spec = specFor(source, 'good-sma.ts', BARS, { islands: 2, population: 12, generations: 2, epochs: 2 }, seed)
    const checkpoints = await referenceCheckpoints(spec, def, candles)
    inputs.push({ spec, rows: leaderboardOf(checkpoints, STATISTICS_ROWS).map(r => r.params), trials: checkpoints.reduce((s, cp) => s + cp.evaluations, 0) })
  }
  const jobOf = (input: StatisticsInput): PoolJob => ({ key: `good-sma:${canonicalHash(input.spec)}`, engine: engineScript(), source, fileName: 'good-sma.ts', candles, spec: input.spec })
  await pool.start()
  await pool.statistics(jobOf(inputs[0]), inputs[0])
  const kept = pool.memory().find(m => m.role === 'statistics')?.pid
  assert.ok(kept !== undefined, 'the statistics evaluator is listed with its memory')
  assert.equal(priorityOf(kept), BACKGROUND_NICENESS)
  const second = await pool.statistics(jobOf(inputs[1]), inputs[1])
  assert.equal(pool.memory().find(m => m.role === 'statistics')?.pid, kept, 'the same process computed the second job\'s statistics')
  const fresh = createEvaluatorPool({ size: 1, evalTimeoutMs: 60_000, memoryMb: 256 })
  await fresh.start()
  try {
    assert.equal(canonicalHash(second), canonicalHash(await fresh.statistics(jobOf(inputs[1]), inputs[1])))
  } finally {
    await fresh.stop()
  }
})
