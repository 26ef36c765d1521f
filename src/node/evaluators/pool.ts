/**
 * The pool of evaluator processes: the peer's only way to run strategy code. A whole GA work unit
 * runs inside one child; the pool queues units, hands each to an idle child (preferring one that
 * already holds the job's strategy and candles), watches it, and when a child hangs or dies, kills
 * and replaces it and runs the unit again with the guilty genome skipped and recorded as an error.
 * Units are deterministic, so a re-run reproduces everything before the skipped genome.
 */
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { Logger } from '@libp2p/interface'
import type { SampledGenomeDetail } from '../../engine/downsample.js'
import type { Checkpoint, JobSpec } from '../../protocol/job-spec.js'
import type { UnitInput } from '../../engine/ga.js'
import { jobId } from '../../engine/job-setup.js'
import type { ParamSpace } from '../../engine/strategy-api.js'
import type { Candles, EvalResult, ParamValues } from '../../protocol/types.js'
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import { evaluatorCacheBytes } from './cache-budget.js'
import { evaluatorLaunch, type EvaluatorLaunch } from './launch.js'
import { EvaluatorProcess } from './evaluator-process.js'
import { startReaper, type Reaper } from './reaper.js'
import { MAX_DETAIL_POINTS, MAX_DETAIL_TRADES, MAX_EVALUATE_GENOMES, type ChildMessage } from './messages.js'
import { compileStrategy } from './strategy-compiler.js'

/** Ten minutes: what users of other tools found they needed to cut off a stuck backtest, never a slow honest one. */
export const DEFAULT_EVAL_TIMEOUT_MS = 600_000
/**
 * Heap cap per evaluator. A 1M-candle job holds ~48 MB of candles and the indicator cache (see
 * cache-budget.ts), both typed arrays outside the heap this caps; 1 GiB of heap covers the GA and a
 * strategy's own arrays with room to spare, while one evaluator per core on an 8-core, 16 GB
 * laptop cannot exhaust it.
 */
export const DEFAULT_MEMORY_MB = 1024
/** Smallest heap cap accepted: Node and the engine take ~10 MB of heap before any strategy runs. */
export const MIN_MEMORY_MB = 32
/**
 * Typed arrays a strategy may make in one evaluation, as a multiple of the heap cap (the heap cap
 * does not see them; src/node/evaluators/array-budget.ts counts them): 2 GiB with the default cap, 256
 * full-length arrays of a 1M-candle job, where a strategy needs a handful.
 */
export const ARRAY_BUDGET_PER_HEAP = 2
/**
 * Evaluator restarts (timeouts, crashes) one unit may cause before it fails with EVAL_UNIT_FAILED.
 * Each costs up to evalTimeoutMs; a strategy that hangs or crashes on more genomes than this in
 * one unit is broken, and its author learns more from a failed unit than from hours of skipping.
 */
export const MAX_UNIT_RESTARTS = 8
/** Evaluators failing in a row before they were ready, after which the pool stops replacing them. */
export const MAX_START_FAILURES = 3
/** Compiled strategies kept, by job key: compiling is cheap, but units of a job arrive in bursts. */
const COMPILED_CACHE = 16
/** The window evaluations/s is measured over: long enough to smooth generation boundaries. */
export const RATE_WINDOW_MS = 10_000
/**
 * An idle checker (the evaluator that checks other members' checkpoints) is ended after this:
 * checks come in bursts as units are committed, and between jobs the checker would otherwise keep
 * a job's candles and indicator cache for nothing.
 */
export const CHECKER_IDLE_MS = 60_000

export interface EvaluatorPoolOptions {
  readonly size?: number
  readonly evalTimeoutMs?: number
  readonly memoryMb?: number
  /**
   * Bound on each evaluator's indicator cache, in MiB (0: no cache). Default: sized from the
   * machine's memory and the pool's size by evaluatorCacheBytes (cache-budget.ts).
   */
  readonly cacheMb?: number
  readonly logger?: Logger
  /** Milliseconds from any fixed origin; for evaluations/s. */
  readonly now?: () => number
}

export interface PoolJob {
  /** Identifies the job's strategy + candles + spec for caching in evaluators (e.g. the job id). */
  readonly key: string
  readonly source: string
  readonly fileName: string
  readonly candles: Candles
  readonly spec: JobSpec
}

export interface StrategyInfo { readonly name: string, readonly description?: string, readonly params: ParamSpace }

export interface PoolStats {
  readonly evaluators: number
  readonly busy: number
  readonly queued: number
  readonly unitsRun: number
  readonly evaluations: number
  readonly evaluationsPerSecond: number
  readonly restarts: { readonly timeout: number, readonly crash: number, readonly outOfMemory: number }
}

export interface EvaluatorPool {
  start (): Promise<void>
  stop (): Promise<void>
  inspect (source: string, fileName: string): Promise<StrategyInfo>
  /**
   * Runs one GA unit in an evaluator. Aborting `signal` ends it at once with UNIT_CANCELLED (its
   * evaluator is killed and replaced): the unit was taken by another peer, no use finishing it.
   */
  runUnit (job: PoolJob, input: UnitInput, opts?: { onProgress?: (done: number, total: number) => void, signal?: AbortSignal }): Promise<Checkpoint>
  /**
   * Recomputes one genome of a job in detail (equity, drawdown, trades), curves sampled to at most
   * MAX_DETAIL_POINTS points. Runs in an evaluator of its own, like inspect().
   */
  detail (job: PoolJob, params: ParamValues): Promise<SampledGenomeDetail>
  /**
   * Evaluates genomes of a job (at most MAX_EVALUATE_GENOMES), for checking other members'
   * checkpoints; results in the order of `params`. Runs in the pool's checker, an evaluator of its
   * own outside the pool's size (requests one at a time), so a check never waits behind units:
   * next-epoch units wait for their inputs' checks. A genome outside the strategy's space gets an
   * error result instead of an evaluation. Fails (EVAL_TIMEOUT, EVAL_CRASHED...) when a genome
   * kills the checker: nothing is skipped, the caller decides.
   */
  evaluate (job: PoolJob, params: readonly ParamValues[]): Promise<EvalResult[]>
  /**
   * Starts the checker and loads the job into it ahead of the first check: a process start and a
   * job load (~0.3 s) would otherwise delay the first check, and with it the units that wait for it.
   */
  warmChecker (job: PoolJob): Promise<void>
  stats (): PoolStats
  /** PIDs of the live evaluator processes (for status and tests). */
  pids (): number[]
}

interface Waiter { readonly jobKey: string | null, readonly resolve: (ev: EvaluatorProcess) => void, readonly reject: (err: Error) => void }

const RESTART_REASON: Readonly<Record<string, 'timeout' | 'crash' | 'outOfMemory'>> = { EVAL_TIMEOUT: 'timeout', EVAL_CRASHED: 'crash', EVAL_OUT_OF_MEMORY: 'outOfMemory' }

/** What a genome that killed its evaluator records: stable text, the same on every peer. */
const SKIP_ERROR: Readonly<Record<string, string>> = {
  EVAL_TIMEOUT: 'EVAL_TIMEOUT: the evaluation exceeded the time limit and was stopped',
  EVAL_CRASHED: 'EVAL_CRASHED: the evaluator process died during this evaluation',
  EVAL_OUT_OF_MEMORY: 'EVAL_OUT_OF_MEMORY: the evaluation exceeded the evaluator memory limit',
}

class Pool implements EvaluatorPool {
  private readonly size: number
  private readonly evalTimeoutMs: number
  private readonly memoryMb: number
  private readonly cacheBytes: number
  private readonly log: Logger | undefined
  private readonly now: () => number
  private launch: EvaluatorLaunch | null = null
  private reaper: Reaper | null = null
  private readonly evaluators = new Set<EvaluatorProcess>()
  /** Short-lived evaluators for inspect(), outside the pool's size. */
  private readonly transient = new Set<EvaluatorProcess>()
  /** The evaluator that runs evaluate() requests (also in `transient`), ended when idle. */
  private checker: EvaluatorProcess | null = null
  private checkerIdle: ReturnType<typeof setTimeout> | undefined
  private checkerQueue: Promise<unknown> = Promise.resolve()
  /** Evaluators handed to a caller, between acquire() and release(). */
  private readonly leased = new Set<EvaluatorProcess>()
  /** Set when evaluators keep dying before they are ready: no point starting more. */
  private broken: StratmeshError | null = null
  private startFailures = 0
  private readonly waiters: Waiter[] = []
  private readonly compiled = new Map<string, string>()
  private readonly rate: Array<[number, number]> = []
  private running = false
  private unitsRun = 0
  private evaluations = 0
  private readonly restarts = { timeout: 0, crash: 0, outOfMemory: 0 }

  constructor (opts: EvaluatorPoolOptions) {
    this.size = opts.size ?? availableParallelism()
    this.evalTimeoutMs = opts.evalTimeoutMs ?? DEFAULT_EVAL_TIMEOUT_MS
    this.memoryMb = opts.memoryMb ?? DEFAULT_MEMORY_MB
    this.cacheBytes = opts.cacheMb === undefined ? evaluatorCacheBytes(this.size) : opts.cacheMb * 1024 * 1024
    this.log = opts.logger
    this.now = opts.now ?? (() => performance.now())
    if (!Number.isInteger(this.size) || this.size < 1) throw new StratmeshError('POOL_BAD_OPTIONS', `size must be a positive integer, got ${this.size}`)
    if (!(this.evalTimeoutMs > 0)) throw new StratmeshError('POOL_BAD_OPTIONS', `evalTimeoutMs must be positive, got ${this.evalTimeoutMs}`)
    if (!Number.isInteger(this.memoryMb) || this.memoryMb < MIN_MEMORY_MB) throw new StratmeshError('POOL_BAD_OPTIONS', `memoryMb must be an integer >= ${MIN_MEMORY_MB}, got ${this.memoryMb}`)
    if (opts.cacheMb !== undefined && !(Number.isInteger(opts.cacheMb) && opts.cacheMb >= 0)) throw new StratmeshError('POOL_BAD_OPTIONS', `cacheMb must be an integer >= 0, got ${opts.cacheMb}`)
  }

  async start (): Promise<void> {
    if (this.running) return
    this.launch = evaluatorLaunch(this.memoryMb)
    if (!this.launch.sandboxed) this.log?.error('this Node has no permission model: evaluators run without file-system limits')
    this.reaper = startReaper()
    this.running = true
    const started = Array.from({ length: this.size }, () => this.spawn())
    try {
      await Promise.all(started.map(ev => ev.ready))
    } catch (err) {
      await this.stop()
      throw err
    }
  }

  async stop (): Promise<void> {
    this.running = false
    clearTimeout(this.checkerIdle)
    this.leased.clear()
    for (const w of this.waiters.splice(0)) w.reject(new StratmeshError('POOL_STOPPED', 'the evaluator pool was stopped'))
    await Promise.all([...this.evaluators, ...this.transient].map(ev => ev.kill()))
    this.evaluators.clear()
    await this.reaper?.close()
    this.reaper = null
  }

  pids (): number[] {
    return [...this.evaluators].filter(ev => ev.state !== 'dead').map(ev => ev.pid)
  }

  stats (): PoolStats {
    const live = [...this.evaluators].filter(ev => ev.state !== 'dead')
    return {
      evaluators: live.length,
      busy: live.filter(ev => ev.state === 'busy' || this.leased.has(ev)).length,
      queued: this.waiters.length,
      unitsRun: this.unitsRun,
      evaluations: this.evaluations,
      evaluationsPerSecond: this.evaluationsPerSecond(),
      restarts: { ...this.restarts },
    }
  }

  /**
   * Runs in a fresh evaluator of its own, outside the pool's size: inspection is rare (at submit)
   * and must neither wait behind running units nor leave a strategy behind in a pooled evaluator.
   */
  async inspect (source: string, fileName: string): Promise<StrategyInfo> {
    const code = compileStrategy(source, fileName)
    return await this.withTransient(async ev => {
      const m = await ev.request({ type: 'inspect', code, fileName })
      if (m.type === 'inspected') return { name: m.name, params: m.params, ...(m.description === undefined ? {} : { description: m.description }) }
      throw answerError(m, 'inspected')
    })
  }

  /**
   * In a fresh evaluator rather than a pooled one: a click on the dashboard must not wait behind
   * running units (minutes), and the detail is one evaluation, so the start-up cost is small.
   */
  async detail (job: PoolJob, params: ParamValues): Promise<SampledGenomeDetail> {
    const code = this.compile(job)
    return await this.withTransient(async ev => {
      await this.ensureLoaded(ev, job, code)
      const m = await ev.request({ type: 'detail', jobKey: job.key, params, maxPoints: MAX_DETAIL_POINTS, maxTrades: MAX_DETAIL_TRADES })
      if (m.type === 'detailed') return m.detail
      throw answerError(m, 'detailed')
    })
  }

  async evaluate (job: PoolJob, params: readonly ParamValues[]): Promise<EvalResult[]> {
    if (params.length > MAX_EVALUATE_GENOMES) throw new StratmeshError('POOL_BAD_OPTIONS', `at most ${MAX_EVALUATE_GENOMES} genomes per request, got ${params.length}`)
    const code = this.compile(job)
    const run = this.checkerQueue.then(async () => await this.evaluateOnChecker(job, code, params))
    this.checkerQueue = run.catch(() => {})
    return await run
  }

  async warmChecker (job: PoolJob): Promise<void> {
    await this.evaluate(job, [])
  }

  private async evaluateOnChecker (job: PoolJob, code: string, params: readonly ParamValues[]): Promise<EvalResult[]> {
    for (let attempt = 0; ; attempt++) {
      const ev = await this.checkerFor(job.key)
      clearTimeout(this.checkerIdle)
      try {
        await this.ensureLoaded(ev, job, code)
        const m = await ev.request({ type: 'evaluate', jobKey: job.key, params }, () => { this.countEvaluation() })
        if (m.type !== 'evaluated') throw answerError(m, 'evaluated')
        if (m.results.length !== params.length) throw new StratmeshError('EVAL_BAD_MESSAGE', `evaluator returned ${m.results.length} results for ${params.length} genomes`)
        return [...m.results]
      } catch (err) {
        // Died while idle, before the request began: start another (bounded).
        if (isStratmeshError(err, 'EVAL_GONE') && attempt < MAX_UNIT_RESTARTS) continue
        if (isStratmeshError(err) && err.code in RESTART_REASON) this.restarts[RESTART_REASON[err.code]]++
        throw err
      } finally {
        // A job's candles and cache are not kept in an idle checker for long.
        clearTimeout(this.checkerIdle)
        this.checkerIdle = setTimeout(() => { void this.retireChecker() }, CHECKER_IDLE_MS)
        this.checkerIdle.unref()
      }
    }
  }

  /** The checker for a job: the current one if it is alive and holds this job (or none yet), else a new one. */
  private async checkerFor (jobKey: string): Promise<EvaluatorProcess> {
    if (!this.running || this.launch === null) throw new StratmeshError(this.launch === null ? 'POOL_NOT_STARTED' : 'POOL_STOPPED', 'the evaluator pool is not running')
    const current = this.checker
    if (current !== null && current.state !== 'dead' && current.state !== 'stopping' && (!current.used || current.job === jobKey)) {
      await current.ready
      return current
    }
    // One strategy per process lifetime: a checker that ran another job is replaced.
    await this.retireChecker()
    const ev = this.startChild(this.launch)
    this.transient.add(ev)
    this.checker = ev
    void ev.exited.then(() => {
      this.transient.delete(ev)
      if (this.checker === ev) this.checker = null
    })
    await ev.ready
    return ev
  }

  private async retireChecker (): Promise<void> {
    const ev = this.checker
    this.checker = null
    if (ev === null) return
    await ev.kill()
    this.transient.delete(ev)
  }

  /** Runs `fn` with a short-lived evaluator outside the pool's size, killed afterwards whatever happens. */
  private async withTransient<T> (fn: (ev: EvaluatorProcess) => Promise<T>): Promise<T> {
    if (!this.running || this.launch === null) throw new StratmeshError(this.launch === null ? 'POOL_NOT_STARTED' : 'POOL_STOPPED', 'the evaluator pool is not running')
    const ev = this.startChild(this.launch)
    this.transient.add(ev)
    try {
      await ev.ready
      return await fn(ev)
    } catch (err) {
      if (isStratmeshError(err) && err.code in RESTART_REASON) this.restarts[RESTART_REASON[err.code]]++
      throw err
    } finally {
      await ev.kill()
      this.transient.delete(ev)
    }
  }

  async runUnit (job: PoolJob, input: UnitInput, opts: { onProgress?: (done: number, total: number) => void, signal?: AbortSignal } = {}): Promise<Checkpoint> {
    const code = this.compile(job)
    const id = jobId(input.spec)
    // A function, not a property read, so the compiler does not narrow it between awaits.
    const aborted = (): boolean => opts.signal?.aborted === true
    const cancelled = (cause?: unknown): StratmeshError => new StratmeshError('UNIT_CANCELLED', `unit (${input.island}, ${input.epoch}) of job ${id.slice(0, 12)} was cancelled`, { cause })
    // An estimate: the GA skips genomes it has already seen and re-evaluates a few inherited ones.
    const total = input.spec.ga.population * (input.spec.ga.generations + 1)
    const skip = new Map<string, string>()
    let restarts = 0
    for (;;) {
      if (aborted()) throw cancelled()
      const ev = await this.acquire(job.key)
      if (aborted()) { this.release(ev); throw cancelled() }
      if (ev.used && ev.job !== job.key) {
        // It ran another strategy: replace it rather than let this job run in that realm.
        await this.recycle(ev)
        continue
      }
      const onAbort = (): void => { void ev.kill() }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      try {
        await this.ensureLoaded(ev, job, code)
        const m = await ev.request({ type: 'run-unit', jobKey: job.key, input, skip: [...skip] }, (index, _key, repeat) => {
          if (repeat) return
          this.countEvaluation()
          opts.onProgress?.(Math.min(index + 1, total), total)
        })
        if (m.type !== 'result') throw answerError(m, 'result')
        const cp = m.checkpoint
        if (cp.jobId !== id || cp.island !== input.island || cp.epoch !== input.epoch) {
          throw new StratmeshError('EVAL_BAD_MESSAGE', `evaluator returned unit (${cp.island}, ${cp.epoch}) of job ${cp.jobId.slice(0, 12)} for unit (${input.island}, ${input.epoch})`)
        }
        this.unitsRun++
        return cp
      } catch (err) {
        if (aborted()) throw cancelled(err)
        // Died while idle, before this unit began: try another evaluator (bounded like restarts).
        if (isStratmeshError(err, 'EVAL_GONE') && restarts++ < MAX_UNIT_RESTARTS) continue
        if (!isStratmeshError(err) || !(err.code in RESTART_REASON)) throw err
        this.restarts[RESTART_REASON[err.code]]++
        const key = err.details?.paramsKey
        const unit = `unit (${input.island}, ${input.epoch}) of job ${id.slice(0, 12)}`
        if (typeof key !== 'string' || skip.has(key)) {
          // Nothing to blame (the strategy's load or the GA itself): a re-run would do the same.
          throw new StratmeshError('EVAL_UNIT_FAILED', `${unit} failed outside any evaluation: ${err.code}: ${err.message}`, { cause: err })
        }
        if (++restarts > MAX_UNIT_RESTARTS) {
          throw new StratmeshError('EVAL_UNIT_FAILED', `${unit} failed: its evaluator was restarted ${restarts} times (last: ${err.code})`, { cause: err })
        }
        this.log?.('%s: genome %s -> %s; re-running the unit without it', unit, key, err.code)
        skip.set(key, SKIP_ERROR[err.code])
      } finally {
        opts.signal?.removeEventListener('abort', onAbort)
        this.release(ev)
      }
    }
  }

  private compile (job: PoolJob): string {
    let code = this.compiled.get(job.key)
    if (code === undefined) {
      code = compileStrategy(job.source, job.fileName)
      if (this.compiled.size >= COMPILED_CACHE) this.compiled.delete(this.compiled.keys().next().value as string)
      this.compiled.set(job.key, code)
    }
    return code
  }

  /** Sends the job to a fresh child (one strategy per child lifetime, see evaluators/child.ts). */
  private async ensureLoaded (ev: EvaluatorProcess, job: PoolJob, code: string): Promise<void> {
    if (ev.job === job.key) return
    ev.used = true
    const m = await ev.request({ type: 'load-job', jobKey: job.key, code, fileName: job.fileName, candles: job.candles, spec: job.spec, maxCacheBytes: this.cacheBytes, maxArrayBytes: this.memoryMb * ARRAY_BUDGET_PER_HEAP * 1024 * 1024 })
    if (m.type !== 'loaded') throw answerError(m, 'loaded')
    ev.job = job.key
  }

  /** Starts an evaluator child, registered with the reaper until it exits. */
  private startChild (launch: EvaluatorLaunch): EvaluatorProcess {
    const ev = new EvaluatorProcess({ launch, evalTimeoutMs: this.evalTimeoutMs, ...(this.log === undefined ? {} : { log: this.log }) })
    this.reaper?.watch(ev.pid)
    void ev.exited.then(() => this.reaper?.unwatch(ev.pid))
    return ev
  }

  private async recycle (ev: EvaluatorProcess): Promise<void> {
    await ev.kill()
    this.release(ev)
  }

  private spawn (): EvaluatorProcess {
    if (this.launch === null) throw new StratmeshError('POOL_NOT_STARTED', 'the evaluator pool is not started')
    const ev = this.startChild(this.launch)
    this.evaluators.add(ev)
    let readied = false
    ev.ready.then(() => { readied = true; this.startFailures = 0; this.dispatch() }, () => { /* handled on exit */ })
    void ev.exited.then(async () => {
      this.evaluators.delete(ev)
      this.leased.delete(ev)
      if (!this.running) return
      if (!readied) {
        const err = await ev.ready.then(() => null, (e: StratmeshError) => e)
        if (++this.startFailures >= MAX_START_FAILURES) {
          // A child that cannot start will not start next time either (bad flags, missing files).
          this.broken = err ?? new StratmeshError('EVAL_START_FAILED', 'evaluators keep failing to start')
          this.log?.error('evaluators keep failing to start: %s', this.broken.message)
          for (const w of this.waiters.splice(0)) w.reject(this.broken)
          return
        }
      }
      if (this.running) this.spawn()
    })
    return ev
  }

  private acquire (jobKey: string | null): Promise<EvaluatorProcess> {
    if (this.broken !== null) return Promise.reject(this.broken)
    if (!this.running) return Promise.reject(new StratmeshError(this.launch === null ? 'POOL_NOT_STARTED' : 'POOL_STOPPED', 'the evaluator pool is not running'))
    return new Promise((resolve, reject) => {
      this.waiters.push({ jobKey, resolve, reject })
      this.dispatch()
    })
  }

  private release (ev: EvaluatorProcess): void {
    this.leased.delete(ev)
    // A dead child is replaced by its exit handler; an idle one takes the next waiter.
    if (ev.state === 'idle') this.dispatch()
  }

  /** Hands idle evaluators to waiters in arrival order, preferring one that holds the waiter's job. */
  private dispatch (): void {
    while (this.waiters.length > 0) {
      const idle = [...this.evaluators].filter(ev => ev.state === 'idle' && !this.leased.has(ev))
      if (idle.length === 0) return
      const w = this.waiters.shift() as Waiter
      // Best an evaluator holding the job, then a fresh one; one that ran another job gets replaced.
      const ev = idle.find(e => w.jobKey !== null && e.job === w.jobKey) ?? idle.find(e => !e.used) ?? idle[0]
      this.leased.add(ev)
      w.resolve(ev)
    }
  }

  private countEvaluation (): void {
    this.evaluations++
    const t = this.now()
    const last = this.rate[this.rate.length - 1]
    // Buckets of a tenth of the window keep the list short at thousands of evaluations per second.
    if (last !== undefined && t - last[0] < RATE_WINDOW_MS / 10) last[1]++
    else this.rate.push([t, 1])
    while (this.rate.length > 0 && t - this.rate[0][0] > RATE_WINDOW_MS) this.rate.shift()
  }

  private evaluationsPerSecond (): number {
    const t = this.now()
    while (this.rate.length > 0 && t - this.rate[0][0] > RATE_WINDOW_MS) this.rate.shift()
    if (this.rate.length === 0) return 0
    const count = this.rate.reduce((s, [, n]) => s + n, 0)
    const span = Math.max(t - this.rate[0][0], RATE_WINDOW_MS / 10)
    return count / (span / 1000)
  }
}

function answerError (m: ChildMessage, expected: string): StratmeshError {
  if (m.type === 'error') return new StratmeshError(m.code, m.message)
  return new StratmeshError('EVAL_BAD_MESSAGE', `evaluator answered ${m.type}, expected ${expected}`)
}

export function createEvaluatorPool (opts: EvaluatorPoolOptions = {}): EvaluatorPool {
  return new Pool(opts)
}
