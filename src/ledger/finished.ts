/**
 * Whether a job is over, read from the ledger's commits rather than from what this peer has
 * checked: a peer that joins a mesh with a long history must tell an old job from a running one
 * before it has checked (or fetched) anything of it, or it would fetch and check every job ever run.
 */
import { jobDatasets } from '../protocol/job-spec.js'
import { unitIslands } from '../protocol/unit-layout.js'
import { jobCancelled, TRUST_ALL, type CommitTrust } from './queries.js'
import { unitKey, type LedgerState } from './state.js'

/**
 * Every unit of the job has a commit that this peer has not rejected. Commits still waiting for
 * their check count: a unit somebody committed is not claimable, so such a job needs no work here.
 * A rejected commit makes its unit claimable again, so the job is running again until recomputed.
 * A cancelled job is over too: nobody computes its remaining units.
 */
export function isFinished (state: LedgerState, jobId: string, trust: CommitTrust = TRUST_ALL): boolean {
  const job = state.jobs.get(jobId)
  if (job === undefined) return false
  if (jobCancelled(state, jobId)) return true
  const islands = unitIslands(job.spec)
  for (let e = 0; e < job.spec.ga.epochs; e++) {
    for (let i = 0; i < islands; i++) {
      const unit = state.units.get(unitKey(jobId, i, e))
      if (unit === undefined || !unit.commits.some(c => trust(c, unit) !== 'rejected')) return false
    }
  }
  return true
}

/**
 * `author` submitted the job, committed one of its units, or announced one of its datasets (it
 * fetched the job's inputs, to run units or check them, while the job ran; a basket job's peer may
 * hold the other symbols before the first).
 */
export function tookPart (state: LedgerState, jobId: string, author: string): boolean {
  const job = state.jobs.get(jobId)
  if (job === undefined) return false
  if (job.submissions.some(s => s.author === author)) return true
  if (jobDatasets(job.spec).some(d => state.blobs.get(d.hash)?.has(author) === true)) return true
  const islands = unitIslands(job.spec)
  for (let e = 0; e < job.spec.ga.epochs; e++) {
    for (let i = 0; i < islands; i++) {
      if (state.units.get(unitKey(jobId, i, e))?.commits.some(c => c.author === author) === true) return true
    }
  }
  return false
}
