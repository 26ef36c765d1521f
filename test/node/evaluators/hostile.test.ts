// Every hostile strategy in test/fixtures/hostile, run through a real pool: each fails its genomes
// or its job with its code, writes nothing, and leaves the pool's evaluator healthy.
import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { join } from 'node:path'
import { createEvaluatorPool, type EvaluatorPool, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { PACKAGE_ROOT } from '../../../src/node/evaluators/launch.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import type { ErrorCode } from '../../../src/protocol/error-codes.js'
import { isAlive, randomCandles, readFixture, specFor } from '../../fixtures/strategies/harness.js'
import { engineScript } from '../../helpers/engine-script.js'

const HOSTILE = fileURLToPath(new URL('../../fixtures/hostile/', import.meta.url))
const BARS = 300
const candles = randomCandles(BARS)

/** What each fixture's genomes record (a unit completes), or the code its job fails with. */
const GENOME_ERRORS: Readonly<Record<string, RegExp>> = {
  'stdout-socket.js': /^STRATEGY_THREW: process is not defined$/,
  'stdin-fs.js': /^STRATEGY_THREW: process is not defined$/,
  'forged-progress.js': /^STRATEGY_THREW: process is not defined$/,
  'huge-message.js': /^STRATEGY_THREW: process is not defined$/,
  'date-prototype.js': /^STRATEGY_THREW: .*now is not a function$/,
  'date-constructor.js': /^STRATEGY_THREW: STRATEGY_NONDETERMINISTIC: strategies must be deterministic \(new Date\(\) is not available\)$/,
  'performance-origin.js': /^STRATEGY_THREW: performance is not defined$/,
  'crypto-random.js': /^STRATEGY_THREW: crypto is not defined$/,
  'intl-clock.js': /^STRATEGY_THREW: Intl is not defined$/,
  'timers-after-return.js': /^STRATEGY_THREW: AbortSignal is not defined$/,
  'atomics-wait.js': /^STRATEGY_THREW: SharedArrayBuffer is not defined$/,
  'buffer-alloc.js': /^STRATEGY_THREW: Buffer is not defined$/,
  'wasm-memory.js': /^STRATEGY_THREW: WebAssembly is not defined$/,
  'typed-array-hoard.js': /^EVAL_OUT_OF_MEMORY: the evaluation exceeded the evaluator memory limit$/,
  'function-this.js': /^STRATEGY_THREW: Cannot read properties of undefined \(reading 'exit'\)$/,
  'eval-process.js': /^STRATEGY_THREW: process is not defined$/,
  'stack-frames.js': /^STRATEGY_THREW: no engine function reachable$/,
  'engine-global.js': /^STRATEGY_THREW: Cannot read properties of undefined \(reading 'runUnit'\)$/,
  'dynamic-import.js': /^STRATEGY_THREW: the module loader gave function$/,
}
const JOB_ERRORS: Readonly<Record<string, ErrorCode>> = {
  'huge-result.js': 'EVAL_BAD_MESSAGE',
  'wrong-shape.js': 'EVAL_UNIT_FAILED',
}
/** Checked through evaluate(): a genome that hangs after returning is a timeout, not a way around it. */
const EVALUATE_ERRORS: Readonly<Record<string, ErrorCode>> = {
  'promise-after-return.js': 'EVAL_TIMEOUT',
}

function jobOf (fileName: string): PoolJob {
  const source = readFileSync(join(HOSTILE, fileName), 'utf8')
  const spec = specFor(source, fileName, BARS, { population: 4, generations: 1 })
  return { key: `${fileName}:${canonicalHash(spec)}`, engine: engineScript(), source, fileName, candles, spec }
}

function unitOf (job: PoolJob): { spec: PoolJob['spec'], island: number, epoch: number, previous: null, migrants: null } {
  return { spec: job.spec, island: 0, epoch: 0, previous: null, migrants: null }
}

describe('hostile strategies', () => {
  let pool: EvaluatorPool

  before(async () => {
    pool = createEvaluatorPool({ size: 1, evalTimeoutMs: 3000, memoryMb: 64, cacheMb: 8 })
    await pool.start()
  })

  after(async () => {
    await pool.stop()
  })

  test('every fixture in the folder has an expected outcome', () => {
    const listed = [...Object.keys(GENOME_ERRORS), ...Object.keys(JOB_ERRORS), ...Object.keys(EVALUATE_ERRORS)].sort()
    assert.deepEqual(readdirSync(HOSTILE).sort(), listed)
  })

  for (const [fileName, re] of Object.entries(GENOME_ERRORS)) {
    test(`${fileName}: every genome fails with its code`, async () => {
      const job = jobOf(fileName)
      const cp = await pool.runUnit(job, unitOf(job))
      assert.ok(cp.evaluations > 0)
      for (const g of cp.population) assert.match(g.error ?? '', re)
    })
  }

  for (const [fileName, code] of Object.entries(JOB_ERRORS)) {
    test(`${fileName}: the job fails with ${code}`, async () => {
      const job = jobOf(fileName)
      await assert.rejects(pool.runUnit(job, unitOf(job)), (err: unknown) => isStratmeshError(err, code) || assert.fail(String(err)))
    })
  }

  for (const [fileName, code] of Object.entries(EVALUATE_ERRORS)) {
    test(`${fileName}: the check fails with ${code}, the genomes without the fault do not`, async () => {
      const job = jobOf(fileName)
      await assert.rejects(pool.evaluate(job, [{ x: 1 }]), (err: unknown) => isStratmeshError(err, code) || assert.fail(String(err)))
      assert.deepEqual((await pool.evaluate(job, [{ x: 0 }, { x: 2 }])).map(r => r.error), [undefined, undefined])
    })
  }

  test('afterwards the pool is healthy, computes correctly and nothing was written', async () => {
    const pids = pool.pids()
    assert.equal(pids.length, 1)
    assert.ok(pids.every(isAlive))
    const source = readFixture('good-sma.ts')
    const spec = specFor(source, 'good-sma.ts', BARS)
    const cp = await pool.runUnit({ key: 'good', engine: engineScript(), source, fileName: 'good-sma.ts', candles, spec }, { spec, island: 0, epoch: 0, previous: null, migrants: null })
    assert.equal(cp.errors, 0)
    assert.equal(existsSync(join(PACKAGE_ROOT, 'hostile-import-wrote-this')), false)
    assert.equal(existsSync('hostile-import-wrote-this'), false)
  })
})
