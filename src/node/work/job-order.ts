/**
 * Which job the scheduler takes its next unit from. Higher priority first; among jobs of equal
 * priority, the one with the fewest units leased mesh-wide, so equal jobs share the mesh instead of
 * the first-submitted one starving the rest; ties broken by a hash of this peer and the job, so
 * peers spread over tied jobs rather than all taking the same one.
 */
import { sha256Hex } from '../../protocol/canonical.js'
import { jobs, leasedUnitCount, type CommitTrust, type JobView } from '../../ledger/queries.js'
import type { LedgerState } from '../../ledger/fold.js'

/** Unfinished, uncancelled jobs in the order their units are claimed. */
export function jobsToClaim (state: LedgerState, trust: CommitTrust, nowMs: number, self: string): JobView[] {
  const open = jobs(state, trust).filter(j => !j.done && !j.cancelled)
  const keyed = open.map(job => ({ job, leased: leasedUnitCount(state, job.id, nowMs), tie: sha256Hex(`${self}/${job.id}`) }))
  keyed.sort((a, b) => b.job.priority - a.job.priority || a.leased - b.leased || (a.tie < b.tie ? -1 : a.tie > b.tie ? 1 : 0))
  return keyed.map(k => k.job)
}
