/**
 * Questions asked of the ledger state (src/ledger/state.ts, built by src/ledger/fold.ts): unit status and claimable
 * units at a given time, jobs and their progress, conflicts, the merged leaderboard, blob holders,
 * equivocation evidence and the state hash. Pure, and independent of the order entries arrived in:
 * every answer is sorted or chosen by a total order.
 *
 * Which commits count is the asking peer's judgement, passed as a CommitTrust: a peer checks other
 * members' checkpoints before it counts them (src/node/work/commit-verifier.ts), so a commit may be
 * trusted, still being checked, or rejected. Verdicts are a pure function of a checkpoint and its
 * job (the check re-evaluates genomes, and evaluation is deterministic), so honest peers that have
 * checked the same commits count the same ones and show the same leaderboard. Without a trust
 * argument every commit is trusted (the ledger's own view; the state hash never depends on trust).
 */
import { canonicalHash } from '../protocol/canonical.js'
import { DEFAULT_JOB_PRIORITY } from '../protocol/limits.js'
import { compareHlc, type Hlc } from '../protocol/hlc.js'
import { entryHash, type Entry } from '../protocol/entry.js'
import type { BlobKind, HelloBody } from '../protocol/entry-bodies.js'
import type { JobSpec, LeaderboardRow } from '../protocol/job-spec.js'
import { unitIslands, windowCount, windowIslands } from '../protocol/unit-layout.js'
import { mergeLeaderboard } from './leaderboard.js'
import { unitKey, type CommitRecord, type LeaseRecord, type LedgerState, type UnitRecord } from './state.js'

// Callers ask for units by key; the key belongs to the state's shape.
export { unitKey }

/** The ledger's total order on entries: hybrid logical clock, then author id. */
export function byHlcThenAuthor (a: { hlc: Hlc, author: string }, b: { hlc: Hlc, author: string }): number {
  return compareHlc(a.hlc, b.hlc) || (a.author < b.author ? -1 : a.author > b.author ? 1 : 0)
}

function compareStrings (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** How a peer regards one commit: counted, waiting for its check, or failed its check. */
export type CommitVerdict = 'trusted' | 'pending' | 'rejected'
export type CommitTrust = (commit: CommitRecord, unit: UnitRecord) => CommitVerdict
/** Every commit counts: the ledger's own view, and a peer that checks nothing. */
export const TRUST_ALL: CommitTrust = () => 'trusted'

/** The commit that counts for a unit: the smallest (hlc, author) among the trusted ones. */
export function countedCommit (unit: UnitRecord | undefined, trust: CommitTrust = TRUST_ALL): CommitRecord | null {
  if (unit === undefined) return null
  let best: CommitRecord | null = null
  for (const c of unit.commits) {
    if (trust(c, unit) !== 'trusted') continue
    if (best === null || byHlcThenAuthor(c, best) < 0) best = c
  }
  return best
}

/** The lease holding a unit at `nowMs`: the active lease with the smallest (claim hlc, author). */
export function leaseHolder (unit: UnitRecord | undefined, nowMs: number): LeaseRecord | null {
  if (unit === undefined) return null
  let holder: LeaseRecord | null = null
  for (const lease of unit.leases.values()) {
    if (lease.until <= nowMs) continue
    if (holder === null || byHlcThenAuthor({ hlc: lease.claimHlc, author: lease.author }, { hlc: holder.claimHlc, author: holder.author }) < 0) holder = lease
  }
  return holder
}

export type UnitStatus =
  | { readonly status: 'free', readonly conflict: boolean }
  | { readonly status: 'leased', readonly by: string, readonly until: number, readonly conflict: boolean }
  | { readonly status: 'checking', readonly conflict: boolean }
  | { readonly status: 'committed', readonly by: string, readonly checkpointHash: string, readonly conflict: boolean }

export function unitStatus (state: LedgerState, jobId: string, island: number, epoch: number, nowMs: number, trust: CommitTrust = TRUST_ALL): UnitStatus {
  const unit = state.units.get(unitKey(jobId, island, epoch))
  const counted = countedCommit(unit, trust)
  // A conflict is a commit that differs from the counted one.
  const conflict = counted !== null && (unit as UnitRecord).commits.some(c => c.checkpointHash !== counted.checkpointHash)
  if (counted !== null) return { status: 'committed', by: counted.author, checkpointHash: counted.checkpointHash, conflict }
  // Finished by nobody it trusts yet, but with a commit still being checked: wait for the check.
  if (unit !== undefined && unit.commits.some(c => trust(c, unit) === 'pending')) return { status: 'checking', conflict }
  const holder = leaseHolder(unit, nowMs)
  if (holder !== null) return { status: 'leased', by: holder.author, until: holder.until, conflict }
  return { status: 'free', conflict }
}

function isCommitted (state: LedgerState, jobId: string, island: number, epoch: number, trust: CommitTrust): boolean {
  return countedCommit(state.units.get(unitKey(jobId, island, epoch)), trust) !== null
}


export interface JobView {
  readonly id: string
  readonly spec: JobSpec
  /** The author of the earliest (hlc, author) submission. */
  readonly submitter: string
  readonly submittedAt: Hlc
  readonly committed: number
  readonly total: number
  /** committed / total, in [0, 1]. */
  readonly progress: number
  readonly done: boolean
  /** Some member cancelled it: no unit of it is claimed or committed any more. */
  readonly cancelled: boolean
  readonly priority: number
}

/** Every known job, in submission order (hlc, then id). */
export function jobs (state: LedgerState, trust: CommitTrust = TRUST_ALL): JobView[] {
  const out: JobView[] = []
  for (const job of state.jobs.values()) {
    const first = job.submissions.reduce((a, b) => byHlcThenAuthor(b, a) < 0 ? b : a)
    const { epochs } = job.spec.ga
    const islands = unitIslands(job.spec)
    let committed = 0
    for (let e = 0; e < epochs; e++) for (let i = 0; i < islands; i++) if (isCommitted(state, job.id, i, e, trust)) committed++
    const total = islands * epochs
    out.push({ id: job.id, spec: job.spec, submitter: first.author, submittedAt: first.hlc, committed, total, progress: committed / total, done: committed === total, cancelled: jobCancelled(state, job.id), priority: jobPriority(state, job.id) })
  }
  return out.sort((a, b) => compareHlc(a.submittedAt, b.submittedAt) || compareStrings(a.id, b.id))
}

/** Whether any counted cancel names the job. */
export function jobCancelled (state: LedgerState, jobId: string): boolean {
  return (state.cancels.get(jobId)?.size ?? 0) > 0
}

/** The job's priority: from its job or priority entry with the greatest (hlc, author). */
export function jobPriority (state: LedgerState, jobId: string): number {
  return state.priorities.get(jobId)?.priority ?? DEFAULT_JOB_PRIORITY
}

/** The units of a job that some peer holds a lease on at `nowMs` and nobody has committed. */
export function leasedUnitCount (state: LedgerState, jobId: string, nowMs: number): number {
  const job = state.jobs.get(jobId)
  if (job === undefined) return 0
  // The job's own units by key, not a scan of every unit of every job the ledger ever held: the
  // scheduler asks this for each open job whenever it looks for work.
  const islands = unitIslands(job.spec)
  let n = 0
  for (let e = 0; e < job.spec.ga.epochs; e++) {
    for (let i = 0; i < islands; i++) {
      const unit = state.units.get(unitKey(jobId, i, e))
      if (unit !== undefined && unit.commits.length === 0 && leaseHolder(unit, nowMs) !== null) n++
    }
  }
  return n
}

/**
 * Each author's active leases at `nowMs`, across every job (a commit or release ends one). Read
 * from the units that hold a lease (`leased`), not every unit: units without one add nothing, and
 * a ledger of hundreds of finished jobs holds few of them.
 */
export function activeLeaseCounts (state: Pick<LedgerState, 'leased'>, nowMs: number): Map<string, number> {
  const counts = new Map<string, number>()
  for (const unit of state.leased.values()) {
    for (const lease of unit.leases.values()) if (lease.until > nowMs) counts.set(lease.author, (counts.get(lease.author) ?? 0) + 1)
  }
  return counts
}

/**
 * The authors whose evaluators are all taken at `nowMs`: as many active leases as the cores of
 * their latest hello, or at least one lease without a hello (one core, the least a peer runs). A
 * held result (speculation) keeps its lease while its evaluator runs another unit, so a peer may
 * look busy a little longer than it is, never the other way round.
 */
export function busyPeers (state: Pick<LedgerState, 'leased' | 'peers'>, nowMs: number): Set<string> {
  const busy = new Set<string>()
  for (const [author, leases] of activeLeaseCounts(state, nowMs)) {
    if (leases >= (state.peers.get(author)?.cores ?? 1)) busy.add(author)
  }
  return busy
}

export interface Conflict {
  readonly jobId: string
  readonly island: number
  readonly epoch: number
  readonly counted: { readonly author: string, readonly checkpointHash: string }
  readonly other: { readonly author: string, readonly checkpointHash: string }
  /** This peer checked the other checkpoint and found it wrong (not merely different). */
  readonly rejected: boolean
}

/** Every commit whose checkpoint differs from the one counted for its unit: never resolved silently. */
export function conflicts (state: LedgerState, trust: CommitTrust = TRUST_ALL): Conflict[] {
  const out: Conflict[] = []
  for (const key of [...state.units.keys()].sort()) {
    const unit = state.units.get(key) as UnitRecord
    const counted = countedCommit(unit, trust)
    if (counted === null) continue
    const seen = new Set<string>()
    for (const c of [...unit.commits].sort(byHlcThenAuthor)) {
      const id = `${c.author} ${c.checkpointHash}`
      if (c.checkpointHash === counted.checkpointHash || seen.has(id)) continue
      seen.add(id)
      out.push({
        jobId: unit.jobId, island: unit.island, epoch: unit.epoch,
        counted: { author: counted.author, checkpointHash: counted.checkpointHash },
        other: { author: c.author, checkpointHash: c.checkpointHash },
        rejected: trust(c, unit) === 'rejected',
      })
    }
  }
  return out
}

export interface RejectedCommit {
  readonly jobId: string
  readonly island: number
  readonly epoch: number
  readonly author: string
  readonly seq: number
  readonly checkpointHash: string
}

/** Every commit this peer checked and found wrong, by unit and then (hlc, author). */
export function rejectedCommits (state: LedgerState, trust: CommitTrust): RejectedCommit[] {
  const out: RejectedCommit[] = []
  for (const key of [...state.units.keys()].sort()) {
    const unit = state.units.get(key) as UnitRecord
    for (const c of [...unit.commits].sort(byHlcThenAuthor)) {
      if (trust(c, unit) === 'rejected') out.push({ jobId: unit.jobId, island: unit.island, epoch: unit.epoch, author: c.author, seq: c.seq, checkpointHash: c.checkpointHash })
    }
  }
  return out
}

/** The job's leaderboard from its counted commits (units within the job's bounds). */
export function leaderboard (state: LedgerState, jobId: string, top: number, trust: CommitTrust = TRUST_ALL): LeaderboardRow[] {
  const job = state.jobs.get(jobId)
  if (job === undefined) return []
  return leaderboardOfIslands(state, jobId, job.spec.ga.epochs, 0, unitIslands(job.spec), top, trust)
}

/**
 * The leaderboard of one walk-forward window (window 0 of a plain job is its whole leaderboard):
 * the window's genomes ranked by their fitness on its train range.
 */
export function windowLeaderboard (state: LedgerState, jobId: string, window: number, top: number, trust: CommitTrust = TRUST_ALL): LeaderboardRow[] {
  const job = state.jobs.get(jobId)
  if (job === undefined || window < 0 || window >= windowCount(job.spec)) return []
  const { first, end } = windowIslands(job.spec, window)
  return leaderboardOfIslands(state, jobId, job.spec.ga.epochs, first, end, top, trust)
}

function leaderboardOfIslands (state: LedgerState, jobId: string, epochs: number, first: number, end: number, top: number, trust: CommitTrust): LeaderboardRow[] {
  const items = []
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let island = first; island < end; island++) {
      const counted = countedCommit(state.units.get(unitKey(jobId, island, epoch)), trust)
      const checkpoint = counted === null ? undefined : state.checkpoints.get(counted.checkpointHash)
      if (counted !== null && checkpoint !== undefined) items.push({ island, epoch, peer: counted.author, best: checkpoint.best })
    }
  }
  return mergeLeaderboard(items, top)
}

export interface BlobHolder { readonly author: string, readonly size: number, readonly kind: BlobKind }

/** The authors who announced a blob, by author id. */
export function blobHolders (state: LedgerState, hash: string): BlobHolder[] {
  const holders = state.blobs.get(hash)
  if (holders === undefined) return []
  return [...holders.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([author, c]) => ({ author, size: c.size, kind: c.kind }))
}

/** The latest hello of each author, by author id. */
export function peers (state: LedgerState): (HelloBody & { author: string, seq: number })[] {
  return [...state.peers.entries()].sort(([a], [b]) => compareStrings(a, b)).map(([author, h]) => ({ author, ...h }))
}

/** Proof of every frozen author (both signed entries), by author id: replicate these entries as they are. */
export function equivocationEvidence (state: LedgerState): { author: string, seq: number, entries: readonly [Entry, Entry] }[] {
  return [...state.evidence.values()].sort((a, b) => compareStrings(a.author, b.author))
}

/** Is this author frozen at or before `seq`? */
export function isFrozen (state: LedgerState, author: string, seq = Number.MAX_SAFE_INTEGER): boolean {
  const at = state.chains.get(author)?.frozenAt ?? null
  return at !== null && seq >= at
}

/**
 * The hash of a canonical serialisation of the whole state: counted chains (by their head
 * hashes), evidence and every view, each sorted. Two peers with the same state have the same hash.
 */
export function stateHash (state: LedgerState): string {
  return canonicalHash({
    chains: sortedKeys(state.chains).map(a => {
      const c = state.chains.get(a)
      return [a, c?.entries.length, c?.hashes.at(-1) ?? null, c?.frozenAt ?? null]
    }),
    evidence: equivocationEvidence(state).map(ev => [ev.author, ev.seq, entryHash(ev.entries[0]), entryHash(ev.entries[1])]),
    jobs: sortedKeys(state.jobs).map(id => {
      const job = state.jobs.get(id)
      return [id, (job?.submissions ?? []).map(s => [s.author, s.seq, [...s.hlc]]).sort(compareJson)]
    }),
    units: sortedKeys(state.units).map(k => {
      const u = state.units.get(k) as UnitRecord
      const leases = sortedKeys(u.leases).map(a => { const l = u.leases.get(a) as LeaseRecord; return [a, l.seq, [...l.claimHlc], l.until] })
      return [k, leases, u.commits.map(c => [c.author, c.seq, [...c.hlc], c.checkpointHash]).sort(compareJson)]
    }),
    checkpoints: sortedKeys(state.checkpoints),
    blobs: sortedKeys(state.blobs).map(h => [h, blobHolders(state, h).map(x => [x.author, x.size, x.kind])]),
    peers: peers(state).map(p => [p.author, p.seq, p.fingerprint, p.isolateInterface, p.cores, p.name]),
    ...jobControlHashPart(state)
  })
}

/**
 * Cancels and priorities. Absent while no job is cancelled and every priority is the default, so a
 * ledger without job control hashes as it did before job control existed.
 */
function jobControlHashPart (state: LedgerState): { cancels?: unknown, priorities?: unknown } {
  const cancels = sortedKeys(state.cancels).map(id => {
    const byAuthor = state.cancels.get(id) as Map<string, { seq: number }>
    return [id, sortedKeys(byAuthor).map(a => [a, byAuthor.get(a)?.seq])]
  })
  const explicit = [...state.priorities.values()].some(p => p.priority !== DEFAULT_JOB_PRIORITY)
  if (cancels.length === 0 && !explicit) return {}
  const priorities = sortedKeys(state.priorities).map(id => {
    const p = state.priorities.get(id) as { author: string, hlc: Hlc, priority: number }
    return [id, p.author, [...p.hlc], p.priority]
  })
  return { cancels, priorities }
}
function sortedKeys<V> (m: Map<string, V>): string[] {
  return [...m.keys()].sort()
}

function compareJson (a: unknown, b: unknown): number {
  return compareStrings(JSON.stringify(a), JSON.stringify(b))
}

/**
 * A job's true number of trials: the evaluations its counted checkpoints record (each unit counts
 * every genome it evaluated, once), which the Deflated Sharpe Ratio needs.
 */
export function jobTrials (state: LedgerState, jobId: string, trust: CommitTrust = TRUST_ALL): number {
  const job = state.jobs.get(jobId)
  if (job === undefined) return 0
  let trials = 0
  for (let epoch = 0; epoch < job.spec.ga.epochs; epoch++) {
    for (let island = 0; island < job.spec.ga.islands; island++) {
      const counted = countedCommit(state.units.get(unitKey(jobId, island, epoch)), trust)
      const checkpoint = counted === null ? undefined : state.checkpoints.get(counted.checkpointHash)
      if (checkpoint !== undefined) trials += checkpoint.evaluations
    }
  }
  return trials
}
