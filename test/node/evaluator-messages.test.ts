import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_CHILD_ERROR_CHARS, parseChildMessage, parseParentMessage } from '../../src/node/evaluator-messages.js'
import { isStratmeshError } from '../../src/protocol/errors.js'

const genome = { params: { a: 1 }, fitness: 0.5 }
const checkpoint = { jobId: 'j', island: 0, epoch: 0, population: [genome], best: [], evaluations: 1, errors: 0 }

function refused (f: () => unknown): boolean {
  try { f() } catch (err) { return isStratmeshError(err, 'EVAL_BAD_MESSAGE') }
  return false
}

test('well-formed child messages pass; the error text is capped', () => {
  assert.deepEqual(parseChildMessage({ type: 'ready' }), { type: 'ready' })
  assert.deepEqual(parseChildMessage({ type: 'progress', id: 3, index: 0, paramsKey: 'k', extra: 1 }), { type: 'progress', id: 3, index: 0, paramsKey: 'k' })
  assert.equal(parseChildMessage({ type: 'result', id: 1, checkpoint }).type, 'result')
  const e = parseChildMessage({ type: 'error', id: 1, code: 'STRATEGY_INVALID', message: 'x'.repeat(MAX_CHILD_ERROR_CHARS * 2) })
  assert.equal(e.type === 'error' && e.message.length, MAX_CHILD_ERROR_CHARS)
})

test('malformed child messages are refused: the child runs untrusted code', () => {
  const bad: unknown[] = [
    null, 'ready', { type: 'nope', id: 1 }, { type: 'progress', index: 0, paramsKey: 'k' },
    { type: 'progress', id: 1, index: -1, paramsKey: 'k' },
    { type: 'error', id: 1, code: 'not a code', message: 'm' },
    { type: 'result', id: 1, checkpoint: { ...checkpoint, island: 'zero' } },
    { type: 'result', id: 1, checkpoint: { ...checkpoint, population: [{ params: { a: 1 }, fitness: '1' }] } },
    { type: 'result', id: 1, checkpoint: { ...checkpoint, population: [{ params: { a: NaN }, fitness: 1 }] } },
    { type: 'result', id: 1, checkpoint: { ...checkpoint, best: [{ ...genome, error: 42 }] } },
    { type: 'inspected', id: 1, name: 'n', params: { a: { kind: 'int', min: 0, max: Infinity, step: 1 } } },
    { type: 'inspected', id: 1, name: 'n', params: {}, description: 7 },
  ]
  for (const m of bad) assert.ok(refused(() => parseChildMessage(m)), JSON.stringify(m))
})

test('parent messages are checked in the child, candles included', () => {
  const col = new Float64Array(3)
  const candles = { length: 3, time: col, open: col, high: col, low: col, close: col, volume: col }
  assert.equal(parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', code: '', fileName: 'a.ts', candles, spec: {}, maxCacheBytes: 256 * 1024 * 1024 }).type, 'load-job')
  assert.ok(refused(() => parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', code: '', fileName: 'a.ts', candles, spec: {} })), 'maxCacheBytes is required')
  assert.ok(refused(() => parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', code: '', fileName: 'a.ts', candles, spec: {}, maxCacheBytes: -1 })))
  assert.ok(refused(() => parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', code: '', fileName: 'a.ts', candles: { ...candles, close: [1, 2, 3] }, spec: {}, maxCacheBytes: 0 })))
  assert.ok(refused(() => parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', code: '', fileName: 'a.ts', candles: { ...candles, length: 4 }, spec: {}, maxCacheBytes: 0 })))
  assert.equal(parseParentMessage({ type: 'run-unit', id: 2, jobKey: 'k', input: {}, skip: [['a', 'EVAL_TIMEOUT: x']] }).type, 'run-unit')
  assert.ok(refused(() => parseParentMessage({ type: 'run-unit', id: 2, jobKey: 'k', input: {}, skip: [['a']] })))
  assert.ok(refused(() => parseParentMessage({ type: 'inspect', code: '', fileName: 'a.ts' })), 'an id is required')
})
