/**
 * Evaluators report their own memory over IPC (evaluators/child.ts): every pooled evaluator, the
 * isolate's heap once a job is loaded, the checker while it runs; and malformed reports are refused.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createEvaluatorPool, type EvaluatorMemory, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { parseChildMessage } from '../../../src/node/evaluators/messages.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { randomCandles, readFixture, specFor } from '../../fixtures/strategies/harness.js'
import { engineScript } from '../../helpers/engine-script.js'
import { waitFor } from '../../helpers/wait-for.js'

const BARS = 300
const MIB = 1024 * 1024

function jobOf (fixture: string): PoolJob {
  const source = readFixture(fixture)
  const spec = specFor(source, fixture, BARS, {})
  return { key: `${fixture}:${canonicalHash(spec)}`, engine: engineScript(), source, fileName: fixture, candles: randomCandles(BARS), spec }
}

test('memory reports: numbers only, byte counts, no more', () => {
  assert.deepEqual(parseChildMessage({ type: 'memory', rssBytes: 5 * MIB }), { type: 'memory', rssBytes: 5 * MIB })
  assert.deepEqual(parseChildMessage({ type: 'memory', rssBytes: 5, isolateHeapBytes: 2, isolateExternalBytes: 0, extra: 'x' }), { type: 'memory', rssBytes: 5, isolateHeapBytes: 2, isolateExternalBytes: 0 })
  for (const m of [{ type: 'memory' }, { type: 'memory', rssBytes: -1 }, { type: 'memory', rssBytes: 1.5 }, { type: 'memory', rssBytes: '1' }, { type: 'memory', rssBytes: 1, isolateHeapBytes: Number.NaN }, { type: 'memory', rssBytes: 1, isolateExternalBytes: 2 ** 60 }]) {
    assert.throws(() => parseChildMessage(m), err => isStratmeshError(err, 'EVAL_BAD_MESSAGE'), JSON.stringify(m))
  }
})

test('every evaluator reports its memory; a loaded job adds its isolate\'s heap; the checker reports while it runs', { timeout: 60_000 }, async t => {
  const pool = createEvaluatorPool({ size: 2, evalTimeoutMs: 20_000, memoryMb: 256, cacheMb: 16 })
  t.after(async () => { await pool.stop() })
  await pool.start()
  const pooled = (): EvaluatorMemory[] => pool.memory().filter(m => m.role === 'evaluator')
  await waitFor(() => pooled().every(m => m.rssBytes !== null), { timeoutMs: 10_000, message: 'both evaluators to report' })
  assert.deepEqual(pooled().map(m => m.pid).sort(), pool.pids().sort(), 'one row per live evaluator')
  for (const m of pooled()) {
    assert.ok((m.rssBytes ?? 0) > 10 * MIB, `RSS ${m.rssBytes}`)
    assert.equal(m.isolateHeapBytes, null, 'no isolate before a job')
    assert.ok(m.reportAgeMs !== null && m.reportAgeMs >= 0)
  }
  assert.ok(!pool.memory().some(m => m.role === 'checker'), 'no checker before a check')

  const job = jobOf('good-sma.ts')
  await pool.runUnit(job, { spec: job.spec, island: 0, epoch: 0, previous: null, migrants: null })
  await waitFor(() => pooled().some(m => (m.isolateHeapBytes ?? 0) > 0 && (m.isolateExternalBytes ?? 0) > 0), { timeoutMs: 10_000, message: 'the evaluator that ran the unit to report its isolate' })

  await pool.evaluate(job, [{ fast: 3, slow: 20 }])
  const checker = await waitFor(() => pool.memory().find(m => m.role === 'checker' && (m.isolateHeapBytes ?? 0) > 0), { timeoutMs: 10_000, message: 'the checker to report' })
  assert.ok(!pool.pids().includes(checker.pid), 'the checker is not one of the pooled evaluators')
})
