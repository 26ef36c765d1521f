/**
 * Short-lived evaluators outside the pool's size: one per inspect() or detail(), killed after it,
 * and the checker. They never wait behind running units and never leave a strategy behind in a
 * pooled evaluator.
 */
import type { EvaluatorProcess } from './evaluator-process.js'

export class TransientEvaluators {
  private readonly live = new Set<EvaluatorProcess>()
  private readonly startChild: () => EvaluatorProcess
  private readonly onFailure: (err: unknown) => void

  /** `startChild` throws when the pool is not running; `onFailure` sees every error of run(). */
  constructor (startChild: () => EvaluatorProcess, onFailure: (err: unknown) => void) {
    this.startChild = startChild
    this.onFailure = onFailure
  }

  /** Starts one, kept in the set until forget(); the caller kills it. */
  start (): EvaluatorProcess {
    const ev = this.startChild()
    this.live.add(ev)
    return ev
  }

  forget (ev: EvaluatorProcess): void {
    this.live.delete(ev)
  }

  all (): EvaluatorProcess[] {
    return [...this.live]
  }

  /** Runs `fn` with an evaluator of its own, killed afterwards whatever happens. */
  async run<T> (fn: (ev: EvaluatorProcess) => Promise<T>): Promise<T> {
    const ev = this.start()
    try {
      await ev.ready
      return await fn(ev)
    } catch (err) {
      this.onFailure(err)
      throw err
    } finally {
      await ev.kill()
      this.forget(ev)
    }
  }
}
