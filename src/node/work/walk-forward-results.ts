/**
 * The result of each finished walk-forward job, computed once on this peer and kept in memory:
 * the winners come from the counted checkpoints (each window's leaderboard), the rest is a pure
 * function of them run in an evaluator (src/engine/walk-forward-result.ts), so every peer that
 * counts the same commits gets the same bits. A job still running shows its windows and their
 * leaders so far, without a stitched result.
 */
import { windowLeaderboard, type CommitTrust, type JobView } from '../../ledger/queries.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { LeaderboardRow } from '../../protocol/job-spec.js'
import type { WalkForwardResult } from '../../engine/walk-forward-result.js'
import type { EvaluatorPool } from '../evaluators/index.js'
import type { JobLibrary } from './job-library.js'

/** Finished jobs whose result is kept; older ones are computed again when asked for. */
export const WALK_FORWARD_RESULTS_KEPT = 16

export interface WalkForwardView {
  readonly mode: 'rolling' | 'anchored'
  /** Each window's ranges and its best genome so far (ranked on its train range); null before any. */
  readonly windows: ReadonlyArray<{ readonly trainFrom: number, readonly trainTo: number, readonly testTo: number, readonly leader: LeaderboardRow | null }>
  /** Once every unit is committed: the winners on their test ranges, stitched. */
  readonly result: WalkForwardResult | null
  /** Why there is no result although the job is done (this peer cannot load the job), if so. */
  readonly unavailable?: string
}

export interface WalkForwardResults {
  view (job: JobView): Promise<WalkForwardView | undefined>
  /** Drops the job's stitched result (`peer forget`). */
  forget (jobId: string): void
}

interface Components {
  readonly state: () => LedgerState
  readonly trust: CommitTrust
  readonly pool: Pick<EvaluatorPool, 'walkForward'>
  readonly library: Pick<JobLibrary, 'readiness'>
}

export function createWalkForwardResults (components: Components): WalkForwardResults {
  const results = new Map<string, Promise<WalkForwardResult>>()
  return {
    forget (jobId) { results.delete(jobId) },
    async view (job) {
      const wf = job.spec.walkForward
      if (wf === undefined) return undefined
      const windows = wf.windows.map((w, k) => ({ ...w, leader: windowLeaderboard(components.state(), job.id, k, 1, components.trust)[0] ?? null }))
      const base = { mode: wf.mode, windows }
      if (!job.done) return { ...base, result: null }
      const ready = components.library.readiness(job.id, job.spec)
      if (!ready.ready) return { ...base, result: null, unavailable: ready.reason }
      let result = results.get(job.id)
      if (result === undefined) {
        result = components.pool.walkForward(ready.job, windows.map(w => w.leader === null ? null : { params: w.leader.params, fitness: w.leader.fitness }))
        results.set(job.id, result)
        // A failed computation is not kept: the next request tries again.
        result.catch(() => { if (results.get(job.id) === result) results.delete(job.id) })
        while (results.size > WALK_FORWARD_RESULTS_KEPT) results.delete(results.keys().next().value as string)
      }
      return { ...base, result: await result }
    },
  }
}
