/**
 * Evaluators outside the pool's size: short-lived ones, one per inspect() or detail(), killed
 * after it, and the kept ones (the checker and the statistics evaluator, kept-evaluator.ts). They
 * never wait behind running units and never leave a strategy behind in a pooled evaluator.
 */
import { setPriority } from 'node:os'
import type { EvaluatorProcess } from './evaluator-process.js'

/**
 * The niceness of an evaluator doing background work (a finished job's statistics): a lower
 * priority. The pool has as many evaluators as cores; at the same priority, statistics computed
 * when a job ends (on every peer, for seconds) took a core's share from the next job's units, on
 * every host at once. At 5 they get about a third of a unit's share while the cores are full. Not
 * the lowest (19): on a saturated machine that starved them for minutes (30 peers on 2 cores), so
 * a peer's leaderboard lacked its DSR long after the others had theirs.
 */
export const BACKGROUND_NICENESS = 5

export class TransientEvaluators {
  private readonly live = new Set<EvaluatorProcess>()
  private readonly startChild: () => EvaluatorProcess
  private readonly onFailure: (err: unknown) => void

  /** `startChild` throws when the pool is not running; `onFailure` sees every error of run(). */
  constructor (startChild: () => EvaluatorProcess, onFailure: (err: unknown) => void) {
    this.startChild = startChild
    this.onFailure = onFailure
  }

  /**
   * Starts one, kept in the set until forget(); the caller kills it. `background`: at a lower CPU
   * priority, from its start (threads it creates inherit it).
   */
  start (background = false): EvaluatorProcess {
    const ev = this.startChild()
    this.live.add(ev)
    if (background) lowerPriority(ev.pid)
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

function lowerPriority (pid: number): void {
  try {
    setPriority(pid, BACKGROUND_NICENESS)
  } catch {
    // Where the OS refuses, it runs at the normal priority: in the units' way, never wrong.
  }
}
