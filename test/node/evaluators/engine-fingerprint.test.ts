/**
 * Engine bundles handed to evaluators with a job: the runtime fingerprint of a bundle, kept by its
 * hash; a bundle of another isolate interface is refused with the reason.
 */
import { after, before, test } from 'node:test'
import assert from 'node:assert/strict'
import { performance } from 'node:perf_hooks'
import { createEvaluatorPool, type EvaluatorPool } from '../../../src/node/evaluators/pool.js'
import { ISOLATE_INTERFACE_VERSION } from '../../../src/engine/isolate/interface.js'
import { runtimeFingerprint } from '../../../src/engine/runtime-fingerprint.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { engineScript } from '../../helpers/engine-script.js'
import { commentedEngine, engineOfInterface, engineOfUnstableFingerprint } from '../../helpers/engine-variants.js'

let pool: EvaluatorPool
before(async () => {
  pool = createEvaluatorPool({ size: 1, memoryMb: 128, cacheMb: 0 })
  await pool.start()
})
after(async () => { await pool.stop() })

test('the fingerprint of a bundle is the same in the isolate as in this process, and the same for a bundle that differs by a comment; it is cheap', async t => {
  const started = performance.now()
  const inProcess = runtimeFingerprint()
  const batteryMs = performance.now() - started
  const first = performance.now()
  const own = await pool.fingerprint(engineScript())
  const isolateMs = performance.now() - first
  t.diagnostic(`battery ${batteryMs.toFixed(1)} ms in this process; ${isolateMs.toFixed(0)} ms in a fresh evaluator, its start included`)
  assert.match(own, /^[0-9a-f]{64}$/)
  assert.equal(own, inProcess)
  assert.equal(await pool.fingerprint(commentedEngine()), own)
  assert.ok(batteryMs < 500, `the battery took ${batteryMs} ms`)
  assert.ok(isolateMs < 5_000, `a fingerprint took ${isolateMs} ms`)
})

test('fingerprints are kept by bundle hash: a bundle is fingerprinted once per pool', async () => {
  const unstable = engineOfUnstableFingerprint()
  const a = await pool.fingerprint(unstable)
  assert.equal(await pool.fingerprint(unstable), a)
  assert.notEqual(a, await pool.fingerprint(engineScript()))
})

test('a bundle of another isolate interface is refused, with the reason', async () => {
  await assert.rejects(pool.fingerprint(engineOfInterface(ISOLATE_INTERFACE_VERSION + 1)), err => {
    assert.ok(isStratmeshError(err, 'ENGINE_INTERFACE_UNSUPPORTED'))
    assert.equal(err.message, `the engine bundle speaks isolate interface ${ISOLATE_INTERFACE_VERSION + 1}; this peer's evaluators speak ${ISOLATE_INTERFACE_VERSION}`)
    return true
  })
  await assert.rejects(pool.fingerprint('/* not an engine */'), err => isStratmeshError(err, 'ENGINE_INTERFACE_UNSUPPORTED'))
})
