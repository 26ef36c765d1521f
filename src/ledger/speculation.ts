/**
 * Speculation: a unit may start before its inputs' checks end. A remote commit waits for this
 * peer's check before it counts (commit-verifier), and with it every unit of the next epoch that
 * needs it as an input; on a mesh of two hosts with one evaluator each that wait sat on the
 * critical path between epochs. Evaluation is deterministic, so a unit computed from a checkpoint
 * that is later trusted gives the same bytes as one started after the verdict: the unit may run
 * at once on the commit its check is about, as long as its own checkpoint is committed only once
 * that input counts (the scheduler holds the result until then, and drops it if another
 * checkpoint counts for the input instead).
 *
 * Pure, like the other queries: trust is the asking peer's argument.
 */
import { unitInputs, unitIslands } from '../protocol/unit-layout.js'
import { byHlcThenAuthor, leaseHolder, TRUST_ALL, type CommitTrust } from './queries.js'
import { unitKey, type CommitRecord, type LedgerState, type UnitRecord } from './state.js'

/**
 * The commit a unit's successors may start from: the counted one, or else the one that will count
 * if its check passes (the smallest (hlc, author) of those still being checked, which is the
 * counted commit's rule applied to trusted-or-pending). Null while there is neither.
 */
export function inputCommit (unit: UnitRecord | undefined, trust: CommitTrust): { commit: CommitRecord, trusted: boolean } | null {
  if (unit === undefined) return null
  let trusted: CommitRecord | null = null
  let pending: CommitRecord | null = null
  for (const c of unit.commits) {
    const verdict = trust(c, unit)
    if (verdict === 'trusted' && (trusted === null || byHlcThenAuthor(c, trusted) < 0)) trusted = c
    if (verdict === 'pending' && (pending === null || byHlcThenAuthor(c, pending) < 0)) pending = c
  }
  if (trusted !== null) return { commit: trusted, trusted: true }
  return pending === null ? null : { commit: pending, trusted: false }
}

/** A unit that may start now; `speculative` when one of its inputs is still being checked. */
export interface StartableUnit { readonly island: number, readonly epoch: number, readonly speculative: boolean }

/**
 * claimableUnits plus the units whose inputs are committed but not all trusted yet:
 * neither committed, nor being checked, nor leased, each input with an inputCommit. Ordered by
 * (epoch, island); an unknown job has none.
 */
export function startableUnits (state: LedgerState, jobId: string, nowMs: number, trust: CommitTrust): StartableUnit[] {
  const job = state.jobs.get(jobId)
  if (job === undefined) return []
  const { islands: ring, epochs } = job.spec.ga
  const islands = unitIslands(job.spec)
  const out: StartableUnit[] = []
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let island = 0; island < islands; island++) {
      const need = unitInputs(ring, island, epoch)
      const inputs = [need.previous, need.migrants].filter(n => n !== null).map(([i, e]) => inputCommit(state.units.get(unitKey(jobId, i, e)), trust))
      if (inputs.some(c => c === null)) continue
      const unit = state.units.get(unitKey(jobId, island, epoch))
      // Every commit (if any) rejected: neither counted nor being checked.
      const open = unit === undefined || unit.commits.every(c => trust(c, unit) === 'rejected')
      if (open && leaseHolder(unit, nowMs) === null) out.push({ island, epoch, speculative: inputs.some(c => c?.trusted === false) })
    }
  }
  return out
}

/**
 * Units of a job that may be claimed at `nowMs`: neither committed, nor being checked, nor leased,
 * with their inputs committed (epoch 0 always; epoch e needs (i, e-1) and the previous island of its ring at e-1:
 * the ring). A unit whose only commits were rejected is claimable: it must be computed honestly.
 * Ordered by (epoch, island); an unknown job has none. They are the startable units none of whose
 * inputs is still being checked: one loop decides both.
 */
export function claimableUnits (state: LedgerState, jobId: string, nowMs: number, trust: CommitTrust = TRUST_ALL): { island: number, epoch: number }[] {
  return startableUnits(state, jobId, nowMs, trust).filter(u => !u.speculative).map(({ island, epoch }) => ({ island, epoch }))
}

/** Where a speculative unit stands: every input it started from counts, one is still being checked, or another checkpoint counts (or none can). */
export type InputsStanding = 'trusted' | 'pending' | 'changed'

/** The standing of the inputs a unit started from (`used`: the checkpoint hash of each input unit, by unit key). */
export function inputsStanding (state: LedgerState, used: ReadonlyMap<string, string>, trust: CommitTrust): InputsStanding {
  let pending = false
  for (const [key, hash] of used) {
    const now = inputCommit(state.units.get(key), trust)
    if (now === null || now.commit.checkpointHash !== hash) {
      // A pending commit of the same checkpoint by another author still vouches for nothing yet.
      const unit = state.units.get(key)
      const sameStillChecked = unit?.commits.some(c => c.checkpointHash === hash && trust(c, unit) === 'pending') === true
      if (now?.trusted === true || !sameStillChecked) return 'changed'
      pending = true
      continue
    }
    if (!now.trusted) pending = true
  }
  return pending ? 'pending' : 'trusted'
}
