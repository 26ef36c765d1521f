import { after, before, describe, test } from 'node:test'
import assert from 'node:assert/strict'
import { createEvaluatorPool, MIN_MEMORY_MB, type EvaluatorPool, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { compileStrategy } from '../../../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../../../src/node/evaluators/strategy-module.js'
import { FITNESS_SEARCH_MIN_EVALUATIONS, runUnit, type UnitInput } from '../../../src/engine/ga.js'
import { evaluateGenome } from '../../../src/engine/evaluate.js'
import { evalSetupFor } from '../../../src/engine/job-setup.js'
import { createStrategyContext } from '../../../src/engine/strategy-context.js'
import type { Checkpoint, JobSpec } from '../../../src/protocol/job-spec.js'
import type { Candles } from '../../../src/protocol/types.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { spawnSync } from 'node:child_process'
import { evaluatorLaunch } from '../../../src/node/evaluators/launch.js'
import { isAlive, randomCandles, readFixture, specFor } from '../../fixtures/strategies/harness.js'
import type { ErrorCode } from '../../../src/protocol/error-codes.js'
import { engineScript } from '../../helpers/engine-script.js'

const BARS = 300
const candles = randomCandles(BARS)

function jobOf (fixture: string, source = readFixture(fixture), ga = {}): PoolJob {
  const spec = specFor(source, fixture, BARS, ga)
  return { key: `${fixture}:${canonicalHash(spec)}`, engine: engineScript(), source, fileName: fixture, candles, spec }
}

function unit (spec: JobSpec, island: number, epoch: number, previous: Checkpoint | null = null, migrants: Checkpoint | null = null): UnitInput {
  return { spec, island, epoch, previous, migrants }
}

/** The same unit run in this process, the way the child runs it. */
function inProcess (job: PoolJob, input: UnitInput, c: Candles = candles): Checkpoint {
  const def = instantiateStrategy(compileStrategy(job.source, job.fileName), job.fileName)
  const ctx = createStrategyContext(c)
  const setup = evalSetupFor(job.spec, c)
  return runUnit(input, { def, evaluate: p => evaluateGenome(def, ctx, p, setup) })
}

async function rejectsWith (p: Promise<unknown>, code: ErrorCode): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isStratmeshError(err, code), `expected ${code}, got ${String(err)}`)
    return true
  })
}

describe('evaluator pool', () => {
  let pool: EvaluatorPool
  const started: EvaluatorPool[] = []
  const secret = 'fake-secret-' + process.pid

  before(async () => {
    process.env.STRATMESH_SECRET = secret
    pool = createEvaluatorPool({ size: 2, evalTimeoutMs: 20_000, memoryMb: 256 })
    started.push(pool)
    await pool.start()
  })

  after(async () => {
    delete process.env.STRATMESH_SECRET
    for (const p of started) await p.stop()
  })

  test('inspect returns the declared space; load and compile errors keep their codes', async () => {
    const info = await pool.inspect(readFixture('good-sma.ts'), 'good-sma.ts')
    assert.equal(info.name, 'good-sma')
    assert.equal(info.description, 'long when SMA(fast) > SMA(slow)')
    assert.deepEqual(info.params, { fast: { kind: 'int', min: 2, max: 20, step: 1 }, slow: { kind: 'int', min: 10, max: 60, step: 2 } })
    await rejectsWith(pool.inspect(readFixture('imports-fs.ts'), 'imports-fs.ts'), 'STRATEGY_FORBIDDEN_IMPORT')
    await rejectsWith(pool.inspect(readFixture('syntax-error.txt'), 'syntax-error.ts'), 'STRATEGY_SYNTAX')
    await rejectsWith(pool.inspect(readFixture('invalid.ts'), 'invalid.ts'), 'STRATEGY_INVALID')
    await rejectsWith(pool.inspect('throw new Error("at load")', 'top.js'), 'STRATEGY_LOAD_FAILED')
  })

  test('the isolate: nothing of Node, no timers, no shared memory or WebAssembly, no clocks or randomness', async () => {
    const info = await pool.inspect(readFixture('probes.ts'), 'probes.ts')
    const seen = JSON.parse(info.description ?? '{}') as Record<string, string> & { globals: Record<string, string> }
    assert.ok(!JSON.stringify(seen).includes(secret), 'the parent secret is not visible')
    for (const [name, type] of Object.entries(seen.globals)) assert.equal(type, 'undefined', name)
    assert.doesNotMatch(seen.functionThis, /process|require|stratmeshEngine/, 'Function(\'return this\') is the bare global')
    for (const k of ['random', 'dateNow', 'newDate', 'dateCall']) assert.match(seen[k], /^denied:STRATEGY_NONDETERMINISTIC:STRATEGY_NONDETERMINISTIC: strategies must be deterministic/, k)
    assert.equal(seen.protoNow, 'ok:undefined', 'Date\'s prototype chain leads to Function, not to the real Date')
    assert.match(seen.realDate, /^denied:STRATEGY_NONDETERMINISTIC:/, 'the constructor found through a date is the guarded one')
    assert.equal(seen.dateFromTime, 'ok:1970-01-01T00:00:00.000Z', 'dates from a timestamp still work')
    assert.equal(seen.dateStatic, 'ok:true', 'Date.UTC, Date.parse and instanceof Date still work')
    assert.equal(seen.patchSort, 'ok:undefined', 'built-ins can be patched: hence one strategy per isolate')
  })

  test('under the evaluator launch flags, reading a file outside the allowed paths fails', () => {
    const launch = evaluatorLaunch(64)
    assert.ok(launch.execArgv.includes('--permission'), 'evaluators run under the permission model')
    const probe = (file: string): string => spawnSync(process.execPath, [...launch.execArgv, '-e', `
      try { require('fs').readFileSync(${JSON.stringify(file)}); console.log('read') } catch (e) { console.log(e.code) }
    `], { env: {}, encoding: 'utf8' }).stdout.trim()
    assert.equal(probe('/etc/passwd'), 'ERR_ACCESS_DENIED')
    assert.equal(probe(launch.modulePath), 'read', 'its own code stays readable')
  })

  test('units run in a child equal the same units run in-process, byte for byte, across epochs', async () => {
    const job = jobOf('good-sma.ts')
    const progress: Array<[number, number]> = []
    const a0 = await pool.runUnit(job, unit(job.spec, 0, 0), { onProgress: (d, t) => progress.push([d, t]) })
    const b0 = await pool.runUnit(job, unit(job.spec, 1, 0))
    const a1 = await pool.runUnit(job, unit(job.spec, 0, 1, a0, b0))
    assert.equal(canonicalHash(a0), canonicalHash(inProcess(job, unit(job.spec, 0, 0))))
    assert.equal(canonicalHash(b0), canonicalHash(inProcess(job, unit(job.spec, 1, 0))))
    assert.equal(canonicalHash(a1), canonicalHash(inProcess(job, unit(job.spec, 0, 1, a0, b0))))
    assert.notEqual(canonicalHash(a0), canonicalHash(b0))
    assert.ok(a0.best.length > 0 && a0.best[0].fitness !== null)
    assert.equal(progress.length, a0.evaluations, 'one progress report per evaluation')
    assert.ok(progress.every(([d, t], i) => d === Math.min(i + 1, t) && t === 8 * 3))
    // A unit large enough to search by fitness alone (its best genomes evaluated again at the end).
    const big = jobOf('good-sma.ts', undefined, { population: 20, generations: 4 })
    assert.ok(big.spec.ga.population * (big.spec.ga.generations + 1) >= FITNESS_SEARCH_MIN_EVALUATIONS)
    const bigProgress: number[] = []
    const c0 = await pool.runUnit(big, unit(big.spec, 0, 0), { onProgress: d => bigProgress.push(d) })
    assert.equal(canonicalHash(c0), canonicalHash(inProcess(big, unit(big.spec, 0, 0))))
    assert.equal(bigProgress.length, c0.evaluations, 'the repeats are not reported as evaluations')
    assert.ok(c0.best.length > 0 && c0.best.every(b => b.outOfSample !== null))
  })

  test('the indicator cache bound changes no result: a pool without a cache gives the same bytes; bad bounds are refused', async () => {
    for (const cacheMb of [-1, 1.5]) {
      assert.throws(() => createEvaluatorPool({ size: 1, cacheMb }), (e: unknown) => isStratmeshError(e, 'POOL_BAD_OPTIONS'))
    }
    const job = jobOf('good-sma.ts')
    const uncached = createEvaluatorPool({ size: 1, memoryMb: 128, cacheMb: 0 })
    started.push(uncached)
    await uncached.start()
    const a = await uncached.runUnit(job, unit(job.spec, 1, 0))
    await uncached.stop()
    assert.equal(canonicalHash(a), canonicalHash(await pool.runUnit(job, unit(job.spec, 1, 0))))
  })

  test('a throwing strategy, bad positions and nondeterminism become recorded errors; the unit completes', async () => {
    const expected: Record<string, RegExp> = {
      throw: /^STRATEGY_THREW: boom from the strategy/,
      short: /^STRATEGY_BAD_POSITIONS: positions\(\) returned 299 values for 300 bars/,
      nan: /^STRATEGY_BAD_POSITIONS: position at bar 5 is NaN/,
      random: /^STRATEGY_THREW: STRATEGY_NONDETERMINISTIC: .*Math\.random/,
      clock: /^STRATEGY_THREW: STRATEGY_NONDETERMINISTIC: .*Date\.now/,
    }
    const all = readFixture('misbehaves.ts')
    for (const [mode, re] of Object.entries(expected)) {
      const source = all.replace(/choice\(\[[^\]]*\]\)/, `choice(['${mode}'])`)
      const job = jobOf('misbehaves.ts', source, { population: 4, generations: 1 })
      const cp = await pool.runUnit(job, unit(job.spec, 0, 0))
      assert.ok(cp.evaluations > 0)
      assert.equal(cp.errors, cp.evaluations, `${mode}: every evaluation failed`)
      assert.equal(cp.best.length, 0)
      for (const g of cp.population) {
        assert.equal(g.fitness, null)
        assert.match(g.error ?? '', re, mode)
      }
    }
    const ok = jobOf('misbehaves.ts', all.replace(/choice\(\[[^\]]*\]\)/, "choice(['ok'])"), { population: 4, generations: 1 })
    const cp = await pool.runUnit(ok, unit(ok.spec, 0, 0))
    assert.equal(cp.errors, 0, 'the same strategy without the fault evaluates cleanly')
  })

  test('units queue when every evaluator is busy; a job switch replaces the evaluator; stats count', async () => {
    let now = 0
    const p = createEvaluatorPool({ size: 2, memoryMb: 128, now: () => now })
    started.push(p)
    await p.start()
    const job = jobOf('good-sma.ts', undefined, { islands: 4 })
    const runs = [0, 1, 2, 3].map(i => p.runUnit(job, unit(job.spec, i, 0)))
    const during = p.stats()
    assert.deepEqual([during.busy, during.queued], [2, 2], 'two run, two wait')
    const cps = await Promise.all(runs)
    assert.deepEqual(cps.map(c => c.island), [0, 1, 2, 3])
    let s = p.stats()
    assert.equal(s.unitsRun, 4)
    assert.equal(s.evaluations, cps.reduce((n, c) => n + c.evaluations, 0))
    assert.equal(s.evaluationsPerSecond, s.evaluations, 'all within the first second of the fake clock')
    now = 20_000
    assert.equal(p.stats().evaluationsPerSecond, 0, 'nothing in the last window')
    assert.deepEqual([s.evaluators, s.busy, s.queued], [2, 0, 0])
    // Both evaluators ran good-sma: another job gets fresh processes, never a used realm.
    const before = p.pids()
    const other = jobOf('misbehaves.ts', readFixture('misbehaves.ts').replace(/choice\(\[[^\]]*\]\)/, "choice(['ok'])"), { population: 4, generations: 1 })
    const cp = await p.runUnit(other, unit(other.spec, 0, 0))
    assert.equal(cp.errors, 0)
    assert.ok(p.pids().some(pid => !before.includes(pid)), 'a new evaluator ran the other job')
    s = p.stats()
    assert.deepEqual(s.restarts, { timeout: 0, crash: 0, outOfMemory: 0 }, 'a job switch is not a restart')
    await p.stop()
  })

  test('another job of the same strategy and candles runs in the same evaluator and checker, with the bytes a fresh one gives; other candles get a fresh one', async () => {
    const p = createEvaluatorPool({ size: 1, memoryMb: 128 })
    started.push(p)
    await p.start()
    const a = jobOf('good-sma.ts')
    await p.runUnit(a, unit(a.spec, 0, 0))
    const [first] = p.pids()
    // Another seed and other costs: the ranges and costs the isolate scores with must be the new job's.
    const spec = { ...specFor(a.source, 'good-sma.ts', BARS, {}, 11), costs: { fee: 0.004, slippage: 0.002 } }
    const b: PoolJob = { ...a, key: `good-sma.ts:${canonicalHash(spec)}`, spec }
    const b1 = await p.runUnit(b, unit(b.spec, 1, 0))
    assert.deepEqual(p.pids(), [first], 'the evaluator that ran job a ran job b')
    assert.equal(canonicalHash(b1), canonicalHash(inProcess(b, unit(b.spec, 1, 0))), 'job b as a fresh process computes it')
    assert.notEqual(canonicalHash(b1), canonicalHash(inProcess(a, unit(a.spec, 1, 0))))
    const params = [{ fast: 3, slow: 20 }, { fast: 9, slow: 44 }]
    await p.evaluate(a, params)
    const checker = p.memory().find(m => m.role === 'checker')?.pid
    const checked = await p.evaluate(b, params)
    assert.equal(p.memory().find(m => m.role === 'checker')?.pid, checker, 'the checker of job a checked job b')
    const def = instantiateStrategy(compileStrategy(b.source, b.fileName), b.fileName)
    assert.deepEqual(checked, params.map(q => evaluateGenome(def, createStrategyContext(candles), q, evalSetupFor(b.spec, candles))))
    // The same bars in another object are not known to be the same: a fresh evaluator, and its own bytes.
    const otherCandles = randomCandles(BARS, 7)
    const c: PoolJob = { ...b, key: 'other-candles', candles: otherCandles }
    const c1 = await p.runUnit(c, unit(c.spec, 1, 0))
    assert.notDeepEqual(p.pids(), [first], 'other candles: a fresh evaluator')
    assert.equal(canonicalHash(c1), canonicalHash(inProcess(c, unit(c.spec, 1, 0), otherCandles)))
    assert.deepEqual(p.stats().restarts, { timeout: 0, crash: 0, outOfMemory: 0 })
    await p.stop()
  })

  test('a bundle without the useSpec operation (one built before it) gets a fresh evaluator for each job, as before', async () => {
    const p = createEvaluatorPool({ size: 1, memoryMb: 128 })
    started.push(p)
    await p.start()
    const older = engineScript().replace('useSpec: (specJson) =>', 'notUseSpec: (specJson) =>')
    assert.notEqual(older, engineScript(), 'the operation was taken out of the bundle')
    const a: PoolJob = { ...jobOf('good-sma.ts'), engine: older }
    await p.runUnit(a, unit(a.spec, 0, 0))
    const [first] = p.pids()
    const spec = specFor(a.source, 'good-sma.ts', BARS, {}, 12)
    const b: PoolJob = { ...a, key: `older:${canonicalHash(spec)}`, spec }
    const b1 = await p.runUnit(b, unit(b.spec, 1, 0))
    assert.notDeepEqual(p.pids(), [first], 'job b ran in a fresh evaluator')
    assert.equal(canonicalHash(b1), canonicalHash(inProcess(b, unit(b.spec, 1, 0))))
    await p.stop()
  })

  test('an evaluation that never ends is killed, recorded as EVAL_TIMEOUT, and the pool lives on', async () => {
    const small = createEvaluatorPool({ size: 1, evalTimeoutMs: 1500, memoryMb: 128 })
    started.push(small)
    await small.start()
    const [first] = small.pids()
    const job = jobOf('loops.js')
    const cp = await small.runUnit(job, unit(job.spec, 0, 0))
    const s = small.stats()
    assert.ok(s.restarts.timeout >= 1, 'at least one genome hung (x === 3 is sampled with this seed)')
    assert.ok(cp.errors >= s.restarts.timeout)
    for (const g of cp.population) {
      if (g.params.x === 3) assert.match(g.error ?? '', /^EVAL_TIMEOUT: /)
      else assert.equal(g.error, undefined)
    }
    assert.equal(isAlive(first), false, 'the looping child is gone')
    assert.equal(small.pids().length, 1)
    assert.notEqual(small.pids()[0], first, 'and replaced')
    const good = jobOf('good-sma.ts')
    const after = await small.runUnit(good, unit(good.spec, 0, 0))
    assert.equal(canonicalHash(after), canonicalHash(inProcess(good, unit(good.spec, 0, 0))))
    // A strategy whose top level never ends has no genome to blame: inspect and the unit fail.
    const hangs = "import { defineStrategy, int } from 'stratmesh/strategy'\nwhile (true) {}\nexport default defineStrategy({ name: 'h', params: { x: int(0, 1) }, positions: c => c.output() })\n"
    await rejectsWith(small.inspect(hangs, 'hangs.ts'), 'EVAL_TIMEOUT')
    const hangJob = jobOf('hangs.ts', hangs)
    await rejectsWith(small.runUnit(hangJob, unit(hangJob.spec, 0, 0)), 'EVAL_UNIT_FAILED')
    const pids = small.pids()
    assert.equal(pids.length, 1, 'the pool still has its evaluator')
    await small.stop()
    assert.ok(pids.every(p => !isAlive(p)), 'stop() leaves no evaluator alive')
  })

  test('typed arrays a strategy hoards stop at the isolate\'s memory limit (EVAL_OUT_OF_MEMORY) without a restart; what the engine caches for it fits', async () => {
    // The smallest memory cap; 100 SMAs of 100k bars are 80 MB the engine makes (its cache bound is added to the limit).
    const small = createEvaluatorPool({ size: 1, evalTimeoutMs: 20_000, memoryMb: MIN_MEMORY_MB, cacheMb: 16 })
    started.push(small)
    await small.start()
    const bars = 100_000
    const source = readFixture('hoards.ts')
    const spec = specFor(source, 'hoards.ts', bars)
    const job: PoolJob = { key: 'hoards', engine: engineScript(), source, fileName: 'hoards.ts', candles: randomCandles(bars), spec }
    const cp = await small.runUnit(job, unit(spec, 0, 0))
    for (const g of cp.population) {
      if (g.params.mode === 0) assert.equal(g.error, undefined, `mode 0 (period ${String(g.params.period)}) runs`)
      else assert.equal(g.error, 'EVAL_OUT_OF_MEMORY: the evaluation exceeded the evaluator memory limit', `mode ${String(g.params.mode)}`)
    }
    assert.ok(cp.population.some(g => g.params.mode === 0) && cp.population.some(g => g.params.mode !== 0), 'the unit met both kinds')
    // Each route by itself, through the checker's evaluator (its own process, the same limit).
    const each = await small.evaluate(job, [0, 1, 2, 3, 4].map(mode => ({ mode, period: 5 })))
    assert.equal(each[0].error, undefined)
    for (const r of each.slice(1)) assert.match(r.error ?? '', /^EVAL_OUT_OF_MEMORY: /)
    assert.deepEqual(small.stats().restarts, { timeout: 0, crash: 0, outOfMemory: 0 }, 'no evaluator was replaced')
    assert.equal(canonicalHash(await small.runUnit(job, unit(spec, 0, 0))), canonicalHash(cp))
    await small.stop()
  })

  test('unbounded allocation hits the memory cap (EVAL_OUT_OF_MEMORY) and process.exit is not there; units complete', async () => {
    // A small indicator cache: its bound is added to the isolate's limit, and the heap must reach the limit quickly.
    const small = createEvaluatorPool({ size: 1, evalTimeoutMs: 20_000, memoryMb: 48, cacheMb: 8 })
    started.push(small)
    await small.start()
    const job = jobOf('allocates.ts')
    const cp = await small.runUnit(job, unit(job.spec, 0, 0))
    const s = small.stats()
    assert.ok(s.restarts.outOfMemory >= 1, `restarts: ${JSON.stringify(s.restarts)}`)
    for (const g of cp.population) {
      if (g.params.big === 1) assert.match(g.error ?? '', /^EVAL_OUT_OF_MEMORY: /)
      else assert.equal(g.error, undefined)
    }
    // A strategy cannot end its process: there is no process in its isolate.
    const exits = readFixture('allocates.ts').replace('if (p.big === 1) {', 'if (p.big === 1) (globalThis as unknown as { process: { exit (c: number): void } }).process.exit(3)\n    if (p.big === -1) {')
    assert.notEqual(exits, readFixture('allocates.ts'))
    const exitJob = jobOf('exits.ts', exits)
    const crashesBefore = small.stats().restarts.crash
    const cp2 = await small.runUnit(exitJob, unit(exitJob.spec, 0, 0))
    assert.equal(small.stats().restarts.crash, crashesBefore)
    for (const g of cp2.population) {
      if (g.params.big === 1) assert.match(g.error ?? '', /^STRATEGY_THREW: Cannot read properties of undefined \(reading 'exit'\)/)
      else assert.equal(g.error, undefined)
    }
    await small.stop()
  })

  test('a cancelled unit ends at once with UNIT_CANCELLED; its evaluator is replaced and the pool runs the next unit', async () => {
    const p = createEvaluatorPool({ size: 1, memoryMb: 128 })
    started.push(p)
    await p.start()
    // Still running when cancelled: a slow strategy whose float parameter gives the GA new
    // genomes for all of its 400 generations (minutes of work).
    const job = jobOf('slow-sma.ts', undefined, { population: 64, generations: 400 })
    const controller = new AbortController()
    let progressed = 0
    const run = p.runUnit(job, unit(job.spec, 0, 0), { signal: controller.signal, onProgress: done => { progressed = done } })
    const pidsBefore = p.pids()
    const until = Date.now() + 20_000
    while (progressed === 0 && Date.now() < until) await new Promise(resolve => setTimeout(resolve, 20))
    assert.ok(progressed > 0, 'the unit was running')
    const cancelledAt = Date.now()
    controller.abort()
    await rejectsWith(run, 'UNIT_CANCELLED')
    assert.ok(Date.now() - cancelledAt < 5_000, 'cancellation does not wait for the unit')
    assert.deepEqual(p.stats().restarts, { timeout: 0, crash: 0, outOfMemory: 0 }, 'a cancel is not a crash of the strategy')
    const small = jobOf('good-sma.ts')
    const cp = await p.runUnit(small, unit(small.spec, 0, 0))
    assert.deepEqual(cp, inProcess(small, unit(small.spec, 0, 0)), 'the replacement evaluator computes correctly')
    assert.ok(p.pids().every(pid => !pidsBefore.includes(pid)), 'the cancelled evaluator is gone')
    // Already aborted: refused before any work.
    await rejectsWith(p.runUnit(small, unit(small.spec, 0, 0), { signal: AbortSignal.abort() }), 'UNIT_CANCELLED')
    await p.stop()
  })

  test('evaluate (checks of others\' checkpoints) runs in a checker of its own: it does not wait for a busy pool, equals in-process evaluation, and a hanging genome is EVAL_TIMEOUT', async () => {
    const p = createEvaluatorPool({ size: 1, evalTimeoutMs: 1500, memoryMb: 128 })
    started.push(p)
    await p.start()
    // Minutes of work (see the cancel test), so the pooled evaluator is busy throughout.
    const long = jobOf('slow-sma.ts', undefined, { population: 64, generations: 400 })
    const controller = new AbortController()
    const busy = p.runUnit(long, unit(long.spec, 0, 0), { signal: controller.signal }).catch(() => null)
    const job = jobOf('good-sma.ts')
    const params = [{ fast: 3, slow: 20 }, { fast: 9, slow: 44 }, { fast: 99, slow: 20 }]
    const results = await p.evaluate(job, params)
    assert.ok(p.stats().busy === 1, 'the pooled evaluator was still on its unit')
    const def = instantiateStrategy(compileStrategy(job.source, job.fileName), job.fileName)
    const ctx = createStrategyContext(candles)
    const setup = evalSetupFor(job.spec, candles)
    assert.deepEqual(results.slice(0, 2), params.slice(0, 2).map(q => evaluateGenome(def, ctx, q, setup)), 'the same results as in-process')
    assert.match(results[2].error ?? '', /^GENOME_OUTSIDE_SPACE: /, 'a genome outside the space is not run')
    controller.abort()
    await busy
    const loops = jobOf('loops.js')
    await rejectsWith(p.evaluate(loops, [{ x: 3, period: 5 }]), 'EVAL_TIMEOUT')
    assert.deepEqual((await p.evaluate(loops, [{ x: 1, period: 5 }])).map(r => r.error), [undefined], 'a new checker after the hang')
    await p.stop()
  })

  test('stop() kills every evaluator and refuses further work', async () => {
    const p = createEvaluatorPool({ size: 2, memoryMb: 64 })
    started.push(p)
    await p.start()
    const pids = p.pids()
    assert.equal(pids.length, 2)
    assert.ok(pids.every(isAlive))
    await p.stop()
    assert.deepEqual(p.pids(), [])
    assert.ok(pids.every(pid => !isAlive(pid)))
    await rejectsWith(p.inspect(readFixture('good-sma.ts'), 'good-sma.ts'), 'POOL_STOPPED')
  })
})
