/**
 * An evaluator kept between requests, outside the pool's size, for work that must not wait behind
 * units: the checker, which evaluates genomes of other members' checkpoints (next-epoch units wait
 * for their inputs' checks), and the statistics evaluator, which computes a finished job's
 * overfitting statistics in the background. Requests run one at a time; it holds one strategy and
 * its candles in its lifetime (for one job, or jobs that share them: job-loader.ts) and is ended
 * when idle.
 */
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import type { EvalResult, ParamValues } from '../../protocol/types.js'
import type { EvaluatorProcess } from './evaluator-process.js'
import { answerError } from './evaluator-failures.js'
import type { PoolJob } from './pool-types.js'
import type { TransientEvaluators } from './transient-evaluators.js'

/**
 * An idle checker (the evaluator that checks other members' checkpoints) or statistics evaluator
 * is ended after this: checks come in bursts as units are committed, statistics when jobs end, and
 * a job that follows soon finds it warm; left longer, it would keep a job's candles and indicator
 * cache for nothing.
 */
export const CHECKER_IDLE_MS = 60_000

/** What a kept evaluator uses of its pool. */
export interface KeptEvaluatorHost {
  /** Throws unless the pool is running. */
  assertRunning (): void
  readonly transient: TransientEvaluators
  load (ev: EvaluatorProcess, job: PoolJob, code: string): Promise<void>
  /** Whether `ev` can take `job` (fresh, holding it, or holding its strategy and candles). */
  fits (ev: EvaluatorProcess, job: PoolJob): boolean
  countEvaluation (): void
  countRestart (err: unknown): void
}

export interface KeptEvaluatorLimits {
  /** An idle one is ended after this. */
  readonly idleMs: number
  /** Processes found dead before a request began that are replaced before giving up. */
  readonly maxRestarts: number
  /** Started at a lower CPU priority (transient-evaluators.ts BACKGROUND_NICENESS): work nobody waits for. */
  readonly background?: boolean
}

export class KeptEvaluator {
  private readonly host: KeptEvaluatorHost
  private readonly limits: KeptEvaluatorLimits
  private current: EvaluatorProcess | null = null
  private idle: ReturnType<typeof setTimeout> | undefined
  private queue: Promise<unknown> = Promise.resolve()

  constructor (host: KeptEvaluatorHost, limits: KeptEvaluatorLimits) {
    this.host = host
    this.limits = limits
  }

  /** Its process while it is alive (for its memory in `peer status`). */
  process (): EvaluatorProcess | null {
    const ev = this.current
    return ev === null || ev.state === 'dead' ? null : ev
  }

  /** The checker's request: evaluates `params` after the requests before it; results in their order. */
  async evaluate (job: PoolJob, code: string, params: readonly ParamValues[], island: number): Promise<EvalResult[]> {
    return await this.request(job, code, async ev => {
      const m = await ev.request({ type: 'evaluate', jobKey: job.key, params, island }, () => { this.host.countEvaluation() })
      if (m.type !== 'evaluated') throw answerError(m, 'evaluated')
      if (m.results.length !== params.length) throw new StratmeshError('EVAL_BAD_MESSAGE', `evaluator returned ${m.results.length} results for ${params.length} genomes`)
      return [...m.results]
    })
  }

  /** The checker's request: the look-ahead sample of unit (island, epoch) with this population; throws STRATEGY_LOOKAHEAD when it looks ahead. */
  async lookAhead (job: PoolJob, code: string, island: number, epoch: number, population: ReadonlyArray<{ readonly params: ParamValues, readonly fitness: number | null }>): Promise<void> {
    await this.request(job, code, async ev => {
      const m = await ev.request({ type: 'look-ahead', jobKey: job.key, island, epoch, population })
      if (m.type !== 'checked') throw answerError(m, 'checked')
    })
  }

  /** Runs `ask` with the job loaded, after the requests before it. */
  async request<T> (job: PoolJob, code: string, ask: (ev: EvaluatorProcess) => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => await this.requestNow(job, code, ask))
    this.queue = run.catch(() => {})
    return await run
  }

  /** Ends the idle timer; the pool kills the process with its other transient evaluators. */
  stop (): void {
    clearTimeout(this.idle)
  }

  private async requestNow<T> (job: PoolJob, code: string, ask: (ev: EvaluatorProcess) => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const ev = await this.processFor(job)
      clearTimeout(this.idle)
      try {
        await this.host.load(ev, job, code)
        return await ask(ev)
      } catch (err) {
        // Died while idle, before the request began: start another (bounded).
        if (isStratmeshError(err, 'EVAL_GONE') && attempt < this.limits.maxRestarts) continue
        this.host.countRestart(err)
        throw err
      } finally {
        // A job's candles and cache are not kept in an idle process for long.
        clearTimeout(this.idle)
        this.idle = setTimeout(() => { void this.retire() }, this.limits.idleMs)
        this.idle.unref()
      }
    }
  }

  /**
   * The process for a job: the current one if it is alive and fits the job (holds it, or its
   * strategy and candles, or none yet), else a new one.
   */
  private async processFor (job: PoolJob): Promise<EvaluatorProcess> {
    this.host.assertRunning()
    const current = this.current
    if (current !== null && current.state !== 'dead' && current.state !== 'stopping' && this.host.fits(current, job)) {
      await current.ready
      return current
    }
    // One strategy per process lifetime: one that ran another strategy is replaced.
    await this.retire()
    const ev = this.host.transient.start(this.limits.background === true)
    this.current = ev
    void ev.exited.then(() => {
      this.host.transient.forget(ev)
      if (this.current === ev) this.current = null
    })
    await ev.ready
    return ev
  }

  private async retire (): Promise<void> {
    const ev = this.current
    this.current = null
    if (ev === null) return
    await ev.kill()
    this.host.transient.forget(ev)
  }
}
