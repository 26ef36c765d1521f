/**
 * The pool of evaluator processes: the peer's only way to run strategy code. A whole GA work unit
 * runs inside one child; the pool queues units, hands each to an idle child (preferring one that
 * holds the job, then one holding its strategy and candles), watches it, and when a child hangs or
 * dies, kills and replaces it and runs the unit again with the guilty genome skipped and recorded
 * as an error. Units are deterministic, so a re-run reproduces everything before that genome.
 */
import { readFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { performance } from 'node:perf_hooks'
import type { Logger } from '@libp2p/interface'
import type { BacktestRange, EvaluatorMemory, EvaluatorPool, EvaluatorPoolOptions, OwnEngine, PoolJob, PoolStats, RangeBacktest, StrategyInfo } from './pool-types.js'
import { unpackRangeSeries } from '../../engine/backtest-series.js'
import type { SampledGenomeDetail } from '../../engine/downsample.js'
import type { Checkpoint } from '../../protocol/job-spec.js'
import type { UnitInput } from '../../engine/ga.js'
import type { WalkForwardResult, WindowWinner } from '../../engine/walk-forward-result.js'
import type { JobStatistics, StatisticsInput } from '../../engine/stats/job-statistics.js'
import { jobId } from '../../engine/job-setup.js'
import { sha256Hex } from '../../protocol/canonical.js'
import type { EvalResult, ParamValues } from '../../protocol/types.js'
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import { evaluatorCacheBytes } from './memory-plan.js'
import { evaluatorLaunch, type EvaluatorLaunch } from './launch.js'
import { EvaluatorProcess } from './evaluator-process.js'
import { startReaper, type Reaper } from './reaper.js'
import { MAX_DETAIL_POINTS, MAX_DETAIL_TRADES, MAX_EVALUATE_GENOMES } from './messages.js'
import { compileStrategy } from './strategy-compiler.js'
import { KeptEvaluator, CHECKER_IDLE_MS } from './kept-evaluator.js'
import { EvaluationRate } from './evaluation-rate.js'
import { evaluatorMemory } from './evaluator-memory.js'
import { answerError, restartReason, SKIP_ERROR } from './evaluator-failures.js'
import { JobLoader } from './job-loader.js'
import { TransientEvaluators } from './transient-evaluators.js'
import { DEFAULT_EVAL_TIMEOUT_MS, DEFAULT_MEMORY_MB, MIN_MEMORY_MB, MAX_UNIT_RESTARTS, MAX_START_FAILURES, RATE_WINDOW_MS } from './pool-limits.js'
export { DEFAULT_EVAL_TIMEOUT_MS, DEFAULT_MEMORY_MB, MIN_MEMORY_MB, MAX_UNIT_RESTARTS, MAX_START_FAILURES, RATE_WINDOW_MS } from './pool-limits.js'
export type { BacktestRange, EvaluatorMemory, EvaluatorPool, EvaluatorPoolOptions, OwnEngine, PoolJob, PoolStats, RangeBacktest, StrategyInfo } from './pool-types.js'

interface Waiter { readonly jobKey: string, readonly realm: string | null, readonly resolve: (ev: EvaluatorProcess) => void, readonly reject: (err: Error) => void }

class Pool implements EvaluatorPool {
  private readonly size: number
  private readonly evalTimeoutMs: number
  private readonly memoryMb: number
  private readonly log: Logger | undefined
  private readonly engineBundleFile: string | undefined
  private launch: EvaluatorLaunch | null = null
  private own: OwnEngine | null = null
  /** Fingerprints by bundle hash: a bundle computes the same one on this machine every time. */
  private readonly fingerprints = new Map<string, Promise<string>>()
  private reaper: Reaper | null = null
  private readonly evaluators = new Set<EvaluatorProcess>()
  /** Evaluators outside the pool's size: short-lived ones for inspect() and detail(), and the kept ones. */
  private readonly transient: TransientEvaluators
  /** Kept evaluators (ended when idle): the checker runs evaluate(), the background one statistics(). */
  private readonly checker: KeptEvaluator
  private readonly background: KeptEvaluator
  private readonly jobs: JobLoader
  /** Evaluators handed to a caller, between acquire() and release(). */
  private readonly leased = new Set<EvaluatorProcess>()
  /** Set when evaluators keep dying before they are ready: no point starting more. */
  private broken: StratmeshError | null = null
  private startFailures = 0
  private readonly waiters: Waiter[] = []
  private readonly rate: EvaluationRate
  private running = false
  private unitsRun = 0
  private evaluations = 0
  private readonly restarts = { timeout: 0, crash: 0, outOfMemory: 0 }

  constructor (opts: EvaluatorPoolOptions) {
    this.size = opts.size ?? availableParallelism()
    this.evalTimeoutMs = opts.evalTimeoutMs ?? DEFAULT_EVAL_TIMEOUT_MS
    this.memoryMb = opts.memoryMb ?? DEFAULT_MEMORY_MB
    const cacheBytes = opts.cacheMb === undefined ? evaluatorCacheBytes(this.size) : opts.cacheMb * 1024 * 1024
    this.log = opts.logger
    this.engineBundleFile = opts.engineBundleFile
    this.rate = new EvaluationRate(RATE_WINDOW_MS, opts.now ?? (() => performance.now()))
    if (!Number.isInteger(this.size) || this.size < 1) throw new StratmeshError('POOL_BAD_OPTIONS', `size must be a positive integer, got ${this.size}`)
    if (!(this.evalTimeoutMs > 0)) throw new StratmeshError('POOL_BAD_OPTIONS', `evalTimeoutMs must be positive, got ${this.evalTimeoutMs}`)
    if (!Number.isInteger(this.memoryMb) || this.memoryMb < MIN_MEMORY_MB) throw new StratmeshError('POOL_BAD_OPTIONS', `memoryMb must be an integer >= ${MIN_MEMORY_MB}, got ${this.memoryMb}`)
    if (opts.cacheMb !== undefined && !(Number.isInteger(opts.cacheMb) && opts.cacheMb >= 0)) throw new StratmeshError('POOL_BAD_OPTIONS', `cacheMb must be an integer >= 0, got ${opts.cacheMb}`)
    this.jobs = new JobLoader(cacheBytes)
    this.transient = new TransientEvaluators(() => this.startChild(this.runningLaunch()), err => { this.countRestart(err) })
    const kept = {
      assertRunning: () => { this.runningLaunch() },
      transient: this.transient,
      load: async (ev: EvaluatorProcess, job: PoolJob, code: string) => { await this.jobs.load(ev, job, code) },
      fits: (ev: EvaluatorProcess, job: PoolJob) => this.jobs.fits(ev, job),
      countEvaluation: () => { this.countEvaluation() },
      countRestart: (err: unknown) => { this.countRestart(err) },
    }
    this.checker = new KeptEvaluator(kept, { idleMs: CHECKER_IDLE_MS, maxRestarts: MAX_UNIT_RESTARTS })
    this.background = new KeptEvaluator(kept, { idleMs: CHECKER_IDLE_MS, maxRestarts: MAX_UNIT_RESTARTS, background: true })
  }

  async start (): Promise<void> {
    if (this.running) return
    this.launch = evaluatorLaunch(this.memoryMb, this.engineBundleFile)
    const script = readFileSync(this.launch.args[0], 'utf8')
    this.own = { script, hash: sha256Hex(script) }
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
    this.checker.stop()
    this.background.stop()
    this.leased.clear()
    for (const w of this.waiters.splice(0)) w.reject(new StratmeshError('POOL_STOPPED', 'the evaluator pool was stopped'))
    await Promise.all([...this.evaluators, ...this.transient.all()].map(ev => ev.kill()))
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
      evaluationsPerSecond: this.rate.perSecond(),
      restarts: { ...this.restarts },
    }
  }

  memory (): EvaluatorMemory[] {
    return evaluatorMemory(this.evaluators, { checker: this.checker.process(), statistics: this.background.process() }, performance.now())
  }

  engine (): OwnEngine {
    if (this.own === null) throw new StratmeshError('POOL_NOT_STARTED', 'the evaluator pool is not started')
    return this.own
  }

  /** In a fresh evaluator of its own, like inspect(): a bundle is fingerprinted once per machine. */
  async fingerprint (engine: string): Promise<string> {
    const hash = sha256Hex(engine)
    let fp = this.fingerprints.get(hash)
    if (fp === undefined) {
      fp = this.transient.run(async ev => {
        const m = await ev.request({ type: 'fingerprint', engine })
        if (m.type === 'fingerprinted') return m.fingerprint
        throw answerError(m, 'fingerprinted')
      })
      this.fingerprints.set(hash, fp)
      // A failed run may be this machine's passing trouble (an evaluator that died): asked again, it runs again.
      fp.catch(() => { this.fingerprints.delete(hash) })
    }
    return await fp
  }

  /**
   * Runs in a fresh evaluator of its own, outside the pool's size: inspection is rare (at submit)
   * and must neither wait behind running units nor leave a strategy behind in a pooled evaluator.
   */
  async inspect (source: string, fileName: string): Promise<StrategyInfo> {
    const code = compileStrategy(source, fileName)
    return await this.transient.run(async ev => {
      const m = await ev.request({ type: 'inspect', code, fileName })
      if (m.type === 'inspected') return { name: m.name, params: m.params, ...(m.description === undefined ? {} : { description: m.description }) }
      throw answerError(m, 'inspected')
    })
  }

  /**
   * In a fresh evaluator rather than a pooled one: a click on the dashboard must not wait behind
   * running units (minutes), and the detail is one evaluation, so the start-up cost is small.
   */
  async detail (job: PoolJob, params: ParamValues, island = 0): Promise<SampledGenomeDetail> {
    return await this.inFreshEvaluator(job, async ev => {
      const m = await ev.request({ type: 'detail', jobKey: job.key, params, maxPoints: MAX_DETAIL_POINTS, maxTrades: MAX_DETAIL_TRADES, island })
      if (m.type === 'detailed') return m.detail
      throw answerError(m, 'detailed')
    })
  }

  /** In a fresh evaluator, as detail(): one run, and it must not wait behind units. */
  async backtest (job: PoolJob, params: ParamValues, range: BacktestRange): Promise<RangeBacktest> {
    return await this.inFreshEvaluator(job, async ev => {
      const m = await ev.request({ type: 'backtest', jobKey: job.key, params, range })
      if (m.type !== 'backtested') throw answerError(m, 'backtested')
      return { metrics: m.metrics, fitness: m.fitness, ...unpackRangeSeries(m.series, range.from, range.to, m.tradeCount) }
    })
  }

  /** In a fresh evaluator, like detail(): a walk-forward result is a few evaluations, computed once per job. */
  async walkForward (job: PoolJob, winners: readonly WindowWinner[]): Promise<WalkForwardResult> {
    return await this.inFreshEvaluator(job, async ev => {
      const m = await ev.request({ type: 'walk-forward', jobKey: job.key, winners, maxPoints: MAX_DETAIL_POINTS })
      if (m.type === 'walked-forward') return m.result
      throw answerError(m, 'walked-forward')
    })
  }

  /** The job loaded in a fresh evaluator, for one request that must not wait behind running units. */
  private async inFreshEvaluator<T> (job: PoolJob, ask: (ev: EvaluatorProcess) => Promise<T>): Promise<T> {
    const code = this.jobs.compile(job)
    return await this.transient.run(async ev => {
      await this.jobs.load(ev, job, code)
      return await ask(ev)
    })
  }

  /**
   * In an evaluator of its own, never in a unit's way, in the background (every peer computes them
   * when a job ends, as the next job's units start), kept for the next job of the same strategy
   * and candles: a fresh one paid its start and a cold cache for every job.
   */
  async statistics (job: PoolJob, input: StatisticsInput): Promise<JobStatistics> {
    return await this.background.request(job, this.jobs.compile(job), async ev => {
      const m = await ev.request({ type: 'statistics', jobKey: job.key, input })
      if (m.type === 'statistics-computed') return m.statistics
      throw answerError(m, 'statistics-computed')
    })
  }

  async evaluate (job: PoolJob, params: readonly ParamValues[], island = 0): Promise<EvalResult[]> {
    if (params.length > MAX_EVALUATE_GENOMES) throw new StratmeshError('POOL_BAD_OPTIONS', `at most ${MAX_EVALUATE_GENOMES} genomes per request, got ${params.length}`)
    return await this.checker.evaluate(job, this.jobs.compile(job), params, island)
  }

  async lookAhead (job: PoolJob, island: number, epoch: number, population: ReadonlyArray<{ readonly params: ParamValues, readonly fitness: number | null }>): Promise<void> {
    if (population.length > MAX_EVALUATE_GENOMES) throw new StratmeshError('POOL_BAD_OPTIONS', `at most ${MAX_EVALUATE_GENOMES} genomes per request, got ${population.length}`)
    await this.checker.lookAhead(job, this.jobs.compile(job), island, epoch, population)
  }

  /** In a fresh evaluator, like detail(): a submit must not wait behind running units. */
  async preflight (job: PoolJob): Promise<void> {
    await this.inFreshEvaluator(job, async ev => {
      const m = await ev.request({ type: 'preflight', jobKey: job.key })
      if (m.type !== 'checked') throw answerError(m, 'checked')
    })
  }

  async warmChecker (job: PoolJob): Promise<void> {
    await this.evaluate(job, [])
  }

  async runUnit (job: PoolJob, input: UnitInput, opts: { onProgress?: (done: number, total: number) => void, signal?: AbortSignal } = {}): Promise<Checkpoint> {
    const code = this.jobs.compile(job)
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
      const ev = await this.acquire(job)
      if (aborted()) { this.release(ev); throw cancelled() }
      if (!this.jobs.fits(ev, job)) {
        // It ran another strategy or candles: replace it rather than let this job run in that realm.
        await this.recycle(ev)
        continue
      }
      const onAbort = (): void => { void ev.kill() }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      try {
        await this.jobs.load(ev, job, code)
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
        const reason = restartReason(err)
        if (reason === undefined || !isStratmeshError(err)) throw err
        this.restarts[reason]++
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

  /** The launch of a running pool; throws POOL_NOT_STARTED or POOL_STOPPED otherwise. */
  private runningLaunch (): EvaluatorLaunch {
    if (!this.running || this.launch === null) throw new StratmeshError(this.launch === null ? 'POOL_NOT_STARTED' : 'POOL_STOPPED', 'the evaluator pool is not running')
    return this.launch
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

  private acquire (job: PoolJob): Promise<EvaluatorProcess> {
    if (this.broken !== null) return Promise.reject(this.broken)
    if (!this.running) return Promise.reject(new StratmeshError(this.launch === null ? 'POOL_NOT_STARTED' : 'POOL_STOPPED', 'the evaluator pool is not running'))
    return new Promise((resolve, reject) => {
      this.waiters.push({ jobKey: job.key, realm: this.jobs.realm(job), resolve, reject })
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
      // Best one holding the job, then its strategy and candles, then a fresh one (others are replaced).
      const ev = idle.find(e => e.job === w.jobKey) ?? idle.find(e => w.realm !== null && e.realm === w.realm) ?? idle.find(e => !e.used) ?? idle[0]
      this.leased.add(ev)
      w.resolve(ev)
    }
  }

  private countEvaluation (): void {
    this.evaluations++
    this.rate.count()
  }

  private countRestart (err: unknown): void {
    const reason = restartReason(err)
    if (reason !== undefined) this.restarts[reason]++
  }
}

export function createEvaluatorPool (opts: EvaluatorPoolOptions = {}): EvaluatorPool {
  return new Pool(opts)
}
