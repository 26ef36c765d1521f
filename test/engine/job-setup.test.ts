import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createJobSpec, evalSetupFor, jobId, splitIndex, type JobOptions } from '../../src/engine/job-setup.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const base: JobOptions = {
  engine: ENGINE_FIXTURE,
  strategy: { hash: 'a'.repeat(64), name: 's' },
  dataset: { hash: 'b'.repeat(64), name: 'd', bars: 1000 },
}

test('a job id is the hash of the description: stable, and changed by any setting', () => {
  assert.equal(jobId(createJobSpec(base)), jobId(createJobSpec({ ...base })))
  assert.notEqual(jobId(createJobSpec(base)), jobId(createJobSpec({ ...base, seed: 2 })))
  assert.notEqual(jobId(createJobSpec(base)), jobId(createJobSpec({ ...base, ga: { population: 40 } })))
})

test('a job is built only within the bounds of the wire format', () => {
  assert.throws(() => createJobSpec({ ...base, fee: 0.5 }), (err: unknown) => isStratmeshError(err, 'JOB_INVALID') && err.details?.field === 'fee')
})

test('the split keeps the last oosFraction of bars out of sample', () => {
  const spec = createJobSpec({ ...base, oosFraction: 0.25 })
  assert.equal(splitIndex(spec, 1000), 750)
  const t = Float64Array.from({ length: 1000 }, (_, i) => i * 60_000)
  const candles = { length: 1000, time: t, open: t, high: t, low: t, close: t, volume: t }
  assert.equal(evalSetupFor(spec, candles).split, 750)
  assert.throws(() => evalSetupFor(spec, { ...candles, length: 999 }), /expects 1000 bars/)
})
