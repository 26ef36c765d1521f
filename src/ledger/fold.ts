/**
 * The ledger's state: a pure, deterministic fold over a set of verified entries. Every peer with
 * the same entries computes the same state (and the same stateHash), whatever order the entries
 * arrived in. No clock: the queries that depend on time (leases) take `nowMs`.
 *
 * Ownership: `applyEntry` and `applyEvidence` MUTATE the state they are given, which belongs to
 * whoever created it (`emptyLedger()` or `foldEntries()`). Queries never mutate. Entries must
 * have passed verifyEntry (src/protocol/entry.ts): the fold does not check signatures.
 *
 * Chains: an author's entries count from seq 1 while each continues the previous one (prev is
 * its hash, hlc increases). Equivocation: two different entries by one author at one seq freeze
 * that author from that seq on; the evidence kept is the two entries with the smallest hashes at
 * the smallest such seq, so it is a function of the entry set, not of arrival order.
 */
import { compareHlc, type Hlc } from '../protocol/hlc.js'
import { DEFAULT_JOB_PRIORITY } from '../protocol/limits.js'
import { entryHash, type Entry } from '../protocol/entry.js'
import { StratmeshError } from '../protocol/errors.js'
import { unitKey, type AuthorChain, type CancelRecord, type Evidence, type LedgerState, type PrioritySetting, type UnitRecord } from './state.js'

// The state's shapes are in state.ts so the queries can read them without the fold; they are
// re-exported here because the fold is what produces them.
export type { AuthorChain, BlobClaim, CancelRecord, CommitRecord, Evidence, JobRecord, JobSubmission, LeaseRecord, LedgerState, PrioritySetting, UnitRecord } from './state.js'

/**
 * What applyEntry did: `applied` (counted), `duplicate` (already counted), `gap` (an earlier
 * seq is missing: try again later), `broken` (does not continue the chain: wrong prev or an hlc
 * that does not increase), `equivocation` (evidence recorded, author frozen), `frozen` (the author
 * is frozen at or before this seq: ignored).
 */
export type ApplyResult = 'applied' | 'duplicate' | 'gap' | 'broken' | 'equivocation' | 'frozen'

export function emptyLedger (): LedgerState {
  return { chains: new Map(), evidence: new Map(), jobs: new Map(), units: new Map(), leased: new Map(), checkpoints: new Map(), blobs: new Map(), peers: new Map(), cancels: new Map(), priorities: new Map() }
}

function chainOf (state: LedgerState, author: string): AuthorChain {
  let chain = state.chains.get(author)
  if (chain === undefined) {
    chain = { entries: [], hashes: [], frozenAt: null }
    state.chains.set(author, chain)
  }
  return chain
}

function unitOf (state: LedgerState, jobId: string, island: number, epoch: number): UnitRecord {
  const key = unitKey(jobId, island, epoch)
  let unit = state.units.get(key)
  if (unit === undefined) {
    unit = { jobId, island, epoch, leases: new Map(), commits: [] }
    state.units.set(key, unit)
  }
  return unit
}

/** Adds one counted entry to the views. Views only ever hold order-free facts (sets, maxima). */
function project (state: LedgerState, e: Entry): void {
  switch (e.type) {
    case 'hello':
      state.peers.set(e.author, { ...e.body, seq: e.seq })
      return
    case 'job': {
      let job = state.jobs.get(e.body.id)
      if (job === undefined) {
        job = { id: e.body.id, spec: e.body.spec, submissions: [] }
        state.jobs.set(e.body.id, job)
      }
      job.submissions.push({ author: e.author, hlc: e.hlc, seq: e.seq })
      setPriority(state, e.body.id, { author: e.author, hlc: e.hlc, priority: e.body.priority ?? DEFAULT_JOB_PRIORITY })
      return
    }
    case 'cancel':
      cancelJob(state, e.body.jobId, { author: e.author, hlc: e.hlc, seq: e.seq })
      return
    case 'priority':
      setPriority(state, e.body.jobId, { author: e.author, hlc: e.hlc, priority: e.body.priority })
      return
    case 'claim': {
      const b = e.body
      const unit = unitOf(state, b.jobId, b.island, b.epoch)
      unit.leases.set(e.author, { author: e.author, claimHlc: e.hlc, seq: e.seq, until: e.hlc[0] + b.ttlMs })
      state.leased.set(unitKey(b.jobId, b.island, b.epoch), unit)
      return
    }
    case 'renew': {
      const b = e.body
      const until = e.hlc[0] + b.ttlMs
      for (const u of 'units' in b ? b.units : [b]) {
        const lease = state.units.get(unitKey(u.jobId, u.island, u.epoch))?.leases.get(e.author)
        if (lease !== undefined) lease.until = Math.max(lease.until, until)
      }
      return
    }
    case 'release': {
      const b = e.body
      endLease(state, unitKey(b.jobId, b.island, b.epoch), e.author)
      return
    }
    case 'commit': {
      const b = e.body
      const unit = unitOf(state, b.jobId, b.island, b.epoch)
      unit.commits.push({ author: e.author, hlc: e.hlc, seq: e.seq, checkpointHash: b.checkpointHash })
      endLease(state, unitKey(b.jobId, b.island, b.epoch), e.author)
      if (!state.checkpoints.has(b.checkpointHash)) state.checkpoints.set(b.checkpointHash, b.checkpoint)
      return
    }
    case 'blob-have':
      for (const blob of e.body.blobs) {
        let holders = state.blobs.get(blob.hash)
        if (holders === undefined) {
          holders = new Map()
          state.blobs.set(blob.hash, holders)
        }
        holders.set(e.author, { size: blob.size, kind: blob.kind })
      }
  }
}

/** The author's lease on the unit ends (a release or commit); the unit leaves `leased` with its last lease. */
function endLease (state: LedgerState, key: string, author: string): void {
  const unit = state.units.get(key)
  if (unit === undefined) return
  unit.leases.delete(author)
  if (unit.leases.size === 0) state.leased.delete(key)
}

/** Keeps the greater (hlc, author): a maximum, so the order entries arrive in does not matter. */
function setPriority (state: LedgerState, jobId: string, setting: PrioritySetting): void {
  const held = state.priorities.get(jobId)
  if (held === undefined || laterSetting(setting.hlc, setting.author, held.hlc, held.author)) state.priorities.set(jobId, setting)
}

function laterSetting (hlc: Hlc, author: string, heldHlc: Hlc, heldAuthor: string): boolean {
  const c = compareHlc(hlc, heldHlc)
  return c > 0 || (c === 0 && author > heldAuthor)
}

/** A set of cancels (one per author, its earliest): cancelled is whether the set is non-empty. */
function cancelJob (state: LedgerState, jobId: string, record: CancelRecord): void {
  let byAuthor = state.cancels.get(jobId)
  if (byAuthor === undefined) {
    byAuthor = new Map()
    state.cancels.set(jobId, byAuthor)
  }
  const held = byAuthor.get(record.author)
  if (held === undefined || record.seq < held.seq) byAuthor.set(record.author, record)
}

/** Recomputes every view from the counted chains (after a freeze un-counts entries). */
function reproject (state: LedgerState): void {
  state.jobs.clear(); state.units.clear(); state.leased.clear(); state.checkpoints.clear(); state.blobs.clear(); state.peers.clear()
  state.cancels.clear(); state.priorities.clear()
  for (const chain of state.chains.values()) for (const e of chain.entries) project(state, e)
}

/** The two entries with the smallest hashes, in hash order. */
function smallestPair (entries: readonly Entry[]): readonly [Entry, Entry] {
  const byHash = new Map<string, Entry>()
  for (const e of entries) byHash.set(entryHash(e), e)
  const sorted = [...byHash.keys()].sort()
  return [byHash.get(sorted[0]) as Entry, byHash.get(sorted[1]) as Entry]
}

function freeze (state: LedgerState, author: string, seq: number, candidates: readonly Entry[]): void {
  const chain = chainOf(state, author)
  chain.frozenAt = seq
  state.evidence.set(author, { author, seq, entries: smallestPair(candidates) })
  if (chain.entries.length >= seq) {
    chain.entries.length = seq - 1
    chain.hashes.length = seq - 1
    reproject(state)
  }
}

/**
 * Records that `a` and `b` (different entries, same author, same seq) were both signed: the
 * author is frozen from that seq on. Used for conflicting entries that do not reach the chain
 * (both ahead of a gap). Returns 'equivocation' if the state changed, else 'frozen'.
 */
export function applyEvidence (state: LedgerState, a: Entry, b: Entry): ApplyResult {
  if (a.author !== b.author || a.seq !== b.seq || entryHash(a) === entryHash(b)) {
    throw new StratmeshError('LEDGER_BAD_EVIDENCE', 'evidence must be two different entries of one author at one seq')
  }
  const chain = chainOf(state, a.author)
  const seq = a.seq
  if (chain.frozenAt !== null && chain.frozenAt < seq) return 'frozen'
  const candidates: Entry[] = [a, b]
  if (chain.frozenAt === seq) candidates.push(...(state.evidence.get(a.author) as Evidence).entries)
  else if (chain.entries.length >= seq) candidates.push(chain.entries[seq - 1])
  const before = state.evidence.get(a.author)
  freeze(state, a.author, seq, candidates)
  const after = state.evidence.get(a.author) as Evidence
  const same = before !== undefined && before.seq === after.seq &&
    entryHash(before.entries[0]) === entryHash(after.entries[0]) && entryHash(before.entries[1]) === entryHash(after.entries[1])
  return same ? 'frozen' : 'equivocation'
}

/** Applies one verified entry (mutating `state`); see ApplyResult. */
export function applyEntry (state: LedgerState, e: Entry): ApplyResult {
  const chain = state.chains.get(e.author) ?? { entries: [], hashes: [], frozenAt: null }
  const hash = entryHash(e)
  if (chain.frozenAt !== null && e.seq >= chain.frozenAt) {
    if (e.seq !== chain.frozenAt) return 'frozen'
    const ev = state.evidence.get(e.author) as Evidence
    if (ev.entries.some(x => entryHash(x) === hash)) return 'duplicate'
    return applyEvidence(state, ev.entries[0], e)
  }
  const have = chain.entries.length
  if (e.seq <= have) {
    if (chain.hashes[e.seq - 1] === hash) return 'duplicate'
    return applyEvidence(state, chain.entries[e.seq - 1], e)
  }
  if (e.seq > have + 1) return 'gap'
  if (have > 0 && (e.prev !== chain.hashes[have - 1] || compareHlc(e.hlc, chain.entries[have - 1].hlc) <= 0)) return 'broken'
  if (have === 0) state.chains.set(e.author, chain)
  chain.entries.push(e)
  chain.hashes.push(hash)
  project(state, e)
  return 'applied'
}

/**
 * The state of a set of verified entries: duplicates ignored, each author's chain applied while
 * contiguous, the smallest seq holding two different entries of one author frozen.
 */
export function foldEntries (entries: Iterable<Entry>): LedgerState {
  const state = emptyLedger()
  const byAuthor = new Map<string, Map<number, Map<string, Entry>>>()
  for (const e of entries) {
    let seqs = byAuthor.get(e.author)
    if (seqs === undefined) { seqs = new Map(); byAuthor.set(e.author, seqs) }
    let variants = seqs.get(e.seq)
    if (variants === undefined) { variants = new Map(); seqs.set(e.seq, variants) }
    variants.set(entryHash(e), e)
  }
  for (const author of [...byAuthor.keys()].sort()) {
    const seqs = byAuthor.get(author) as Map<number, Map<string, Entry>>
    const forks = [...seqs.entries()].filter(([, v]) => v.size > 1).map(([seq]) => seq)
    if (forks.length > 0) {
      const seq = Math.min(...forks)
      const [a, b] = smallestPair([...(seqs.get(seq) as Map<string, Entry>).values()])
      applyEvidence(state, a, b)
    }
    for (let seq = 1; ; seq++) {
      const variants = seqs.get(seq)
      if (variants === undefined || variants.size !== 1) break
      if (applyEntry(state, variants.values().next().value as Entry) !== 'applied') break
    }
  }
  return state
}
