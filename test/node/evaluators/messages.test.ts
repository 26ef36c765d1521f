import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_CHILD_ERROR_CHARS, MAX_EVALUATE_GENOMES, parseChildMessage, parseParentMessage } from '../../../src/node/evaluators/messages.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'

const genome = { params: { a: 1 }, fitness: 0.5 }
const checkpoint = { jobId: 'j', island: 0, epoch: 0, population: [genome], best: [], evaluations: 1, errors: 0 }

function refused (f: () => unknown): boolean {
  try { f() } catch (err) { return isStratmeshError(err, 'EVAL_BAD_MESSAGE') }
  return false
}

test('well-formed child messages pass; the error text is capped', () => {
  assert.deepEqual(parseChildMessage({ type: 'ready' }), { type: 'ready' })
  assert.deepEqual(parseChildMessage({ type: 'progress', id: 3, index: 0, paramsKey: 'k', extra: 1 }), { type: 'progress', id: 3, index: 0, paramsKey: 'k' })
  assert.deepEqual(parseChildMessage({ type: 'progress', id: 3, index: 5, paramsKey: 'k', repeat: true }), { type: 'progress', id: 3, index: 5, paramsKey: 'k', repeat: true })
  assert.equal(parseChildMessage({ type: 'result', id: 1, checkpoint }).type, 'result')
  const e = parseChildMessage({ type: 'error', id: 1, code: 'STRATEGY_INVALID', message: 'x'.repeat(MAX_CHILD_ERROR_CHARS * 2) })
  assert.equal(e.type === 'error' && e.message.length, MAX_CHILD_ERROR_CHARS)
})

test('malformed child messages are refused: the child runs untrusted code', () => {
  const bad: unknown[] = [
    null, 'ready', { type: 'nope', id: 1 }, { type: 'progress', index: 0, paramsKey: 'k' },
    { type: 'progress', id: 1, index: -1, paramsKey: 'k' },
    { type: 'progress', id: 1, index: 0, paramsKey: 'k', repeat: 'yes' },
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
  const arrays = {}
  assert.equal(parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', engine: '', code: '', fileName: 'a.ts', candles, spec: {}, maxCacheBytes: 256 * 1024 * 1024, ...arrays }).type, 'load-job')
  assert.ok(refused(() => parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', engine: '', code: '', fileName: 'a.ts', candles, spec: {}, ...arrays })), 'maxCacheBytes is required')
  assert.ok(refused(() => parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', engine: '', code: '', fileName: 'a.ts', candles, spec: {}, maxCacheBytes: -1, ...arrays })))
  assert.ok(refused(() => parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', engine: '', code: '', fileName: 'a.ts', candles: { ...candles, close: [1, 2, 3] }, spec: {}, maxCacheBytes: 0, ...arrays })))
  assert.ok(refused(() => parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', engine: '', code: '', fileName: 'a.ts', candles: { ...candles, length: 4 }, spec: {}, maxCacheBytes: 0, ...arrays })))
  assert.equal(parseParentMessage({ type: 'run-unit', id: 2, jobKey: 'k', input: {}, skip: [['a', 'EVAL_TIMEOUT: x']] }).type, 'run-unit')
  assert.ok(refused(() => parseParentMessage({ type: 'run-unit', id: 2, jobKey: 'k', input: {}, skip: [['a']] })))
  assert.ok(refused(() => parseParentMessage({ type: 'inspect', code: '', fileName: 'a.ts' })), 'an id is required')
  const { engine: _engine, ...withoutEngine } = parseParentMessage({ type: 'load-job', id: 1, jobKey: 'k', engine: '', code: '', fileName: 'a.ts', candles, spec: {}, maxCacheBytes: 0 }) as unknown as Record<string, unknown>
  assert.ok(refused(() => parseParentMessage(withoutEngine)), 'a load-job carries the job\'s engine bundle')
  assert.equal(parseParentMessage({ type: 'fingerprint', id: 3, engine: '' }).type, 'fingerprint')
  assert.ok(refused(() => parseParentMessage({ type: 'fingerprint', id: 3 })))
})

test('use-job names the job and carries its spec; loaded says whether the child can take another job of its realm', () => {
  assert.equal(parseParentMessage({ type: 'use-job', id: 4, jobKey: 'k2', spec: {} }).type, 'use-job')
  assert.ok(refused(() => parseParentMessage({ type: 'use-job', id: 4, spec: {} })), 'a jobKey is required')
  assert.ok(refused(() => parseParentMessage({ type: 'use-job', id: 4, jobKey: 'k2', spec: [] })), 'a spec is an object')
  assert.deepEqual(parseChildMessage({ type: 'loaded', id: 4, reusable: true }), { type: 'loaded', id: 4, reusable: true })
  assert.deepEqual(parseChildMessage({ type: 'loaded', id: 4, reusable: false }), { type: 'loaded', id: 4 })
  assert.deepEqual(parseChildMessage({ type: 'loaded', id: 4 }), { type: 'loaded', id: 4 })
  assert.throws(() => parseChildMessage({ type: 'loaded', id: 4, reusable: 'yes' }))
})

test('a fingerprint answer is a sha256 hex string', () => {
  assert.deepEqual(parseChildMessage({ type: 'fingerprinted', id: 3, fingerprint: 'a'.repeat(64) }), { type: 'fingerprinted', id: 3, fingerprint: 'a'.repeat(64) })
  assert.throws(() => parseChildMessage({ type: 'fingerprinted', id: 3, fingerprint: 'A'.repeat(64) }))
  assert.throws(() => parseChildMessage({ type: 'fingerprinted', id: 3, fingerprint: 'a'.repeat(65) }))
})

test('evaluate requests and their answers are checked: a list of params within the cap, results with finite metrics', () => {
  const params = [{ fast: 5, slow: 30 }, { fast: 7, slow: 40 }]
  assert.deepEqual(parseParentMessage({ type: 'evaluate', id: 4, jobKey: 'k', params, island: 3 }), { type: 'evaluate', id: 4, jobKey: 'k', params, island: 3 })
  assert.ok(refused(() => parseParentMessage({ type: 'evaluate', id: 4, jobKey: 'k', params })), 'the unit island is required')
  assert.ok(refused(() => parseParentMessage({ type: 'evaluate', id: 4, jobKey: 'k', params: [1], island: 0 })), 'params must be objects')
  assert.ok(refused(() => parseParentMessage({ type: 'evaluate', id: 4, jobKey: 'k', params: Array.from({ length: MAX_EVALUATE_GENOMES + 1 }, () => ({ a: 1 })), island: 0 })), 'at most MAX_EVALUATE_GENOMES')
  const metrics = { totalReturn: 0.1, cagr: 0.2, sharpe: 1, sortino: 1.5, maxDrawdown: 0.05, calmar: 4, trades: 12, winRate: 0.5, profitFactor: 1.2, exposure: 0.4, bars: 100 }
  const ok = parseChildMessage({ type: 'evaluated', id: 4, results: [{ fitness: 1, inSample: { ...metrics, extra: 9 }, outOfSample: metrics }, { fitness: null, inSample: null, outOfSample: null, error: 'STRATEGY_THREW: x' }] })
  assert.deepEqual(ok, { type: 'evaluated', id: 4, results: [{ fitness: 1, inSample: metrics, outOfSample: metrics }, { fitness: null, inSample: null, outOfSample: null, error: 'STRATEGY_THREW: x' }] }, 'unknown metric fields are dropped')
  const symbols = [{ fitness: 1, inSample: metrics, outOfSample: metrics }, { fitness: 2, inSample: metrics, outOfSample: null }]
  const basket = parseChildMessage({ type: 'evaluated', id: 4, results: [{ fitness: 1.5, inSample: metrics, outOfSample: metrics, symbols }] })
  assert.deepEqual(basket, { type: 'evaluated', id: 4, results: [{ fitness: 1.5, inSample: metrics, outOfSample: metrics, symbols }] }, 'a basket genome keeps its per-symbol results')
  const bad: unknown[] = [
    { type: 'evaluated', id: 4, results: [{ fitness: 1, inSample: null, outOfSample: null, symbols: [{ fitness: NaN, inSample: null, outOfSample: null }] }] },
    { type: 'evaluated', id: 4, results: [{ fitness: 1, inSample: null, outOfSample: null, symbols: 'no' }] },
    { type: 'evaluated', id: 4, results: 'no' },
    { type: 'evaluated', id: 4, results: [{ fitness: Infinity, inSample: null, outOfSample: null }] },
    { type: 'evaluated', id: 4, results: [{ fitness: 1, inSample: { ...metrics, sharpe: NaN }, outOfSample: null }] },
    { type: 'evaluated', id: 4, results: [{ fitness: 1, inSample: null, outOfSample: null, error: 3 }] },
    { type: 'evaluated', id: 4, results: Array.from({ length: MAX_EVALUATE_GENOMES + 1 }, () => ({ fitness: null, inSample: null, outOfSample: null })) },
  ]
  for (const m of bad) assert.ok(refused(() => parseChildMessage(m)), JSON.stringify(m).slice(0, 120))
})
