/**
 * Admission: whether a received entry joins the ledger, decided from what the receiver has stored
 * and its clock reading. Pure: no I/O and no clock (time is an argument); a store persists what
 * it decides (src/node/replication/log-store.ts).
 *
 * An entry is checked for size and schema (src/protocol/entry.ts), then against its author's
 * stored chain: a replay of a stored entry is a silent duplicate; the next seq must link to the
 * stored head (prev, rising hlc), lie within MAX_CLOCK_SKEW_MS of the receiver's clock and carry
 * a good signature; an entry ahead of a gap waits in the bounded pending pool until the gap
 * fills (ENTRY_GAP when it is full). Two different entries of one author at one seq are evidence:
 * the author is frozen and its entries from that seq on are refused (ENTRY_AUTHOR_FROZEN). A
 * further entry at the frozen seq is still compared with the evidence, as in the fold, so the
 * pair kept is the fold's (the two smallest hashes) in whatever order three or more arrive.
 *
 * The entry hash covers everything but the signature. A copy of a held entry (stored, waiting or
 * evidence) with another signature is a silent duplicate and nothing of it is kept; a badly
 * signed copy that arrives first is refused (ENTRY_BAD_SIGNATURE) and the original still gets
 * in. Only the receiver's rejection counters, local diagnostics, depend on which came first:
 * the state and the state hash are made of hashes, and what is held (and served to other peers)
 * is the copy whose signature was checked.
 *
 * Ownership, as in the fold: `admit` and `recordOwnEntry` MUTATE the state they are given (its
 * fold, heads, pool and clock), which belongs to whoever made it with `admissionOf`.
 */
import { StratmeshError, isStratmeshError } from '../protocol/errors.js'
import { checkEntry, checkSignature, entryHash, type Entry, type UnsignedEntry } from '../protocol/entry.js'
import type { EntryBodies, EntryType } from '../protocol/entry-bodies.js'
import { compareHlc, observe, tick, type Hlc } from '../protocol/hlc.js'
import { MAX_CLOCK_SKEW_MS } from '../protocol/limits.js'
import { applyEntry, applyEvidence, foldEntries } from './fold.js'
import { PendingPool } from './pending-pool.js'
import type { Evidence, LedgerState } from './state.js'

/** The highest stored entry of an author. */
export interface ChainHead { readonly seq: number, readonly hash: string, readonly hlc: Hlc }

export interface AdmissionState {
  /** The fold of every stored entry and evidence. */
  readonly fold: LedgerState
  /** Per author; beyond the counted chain once a freeze un-counted stored entries. */
  readonly heads: Map<string, ChainHead>
  /**
   * Stored entries a freeze took out of the counted chain, by author and seq: a replay of one
   * is still a duplicate, and another entry at its seq is still compared with it.
   */
  readonly uncounted: Map<string, Map<number, Entry>>
  readonly pool: PendingPool
  /** The receiver's hybrid logical clock: after every entry it stored, so what it signs next orders after them. */
  clock: Hlc | null
}

export interface AdmissionContext {
  /** The receiver's wall clock reading, in milliseconds since the epoch. */
  readonly nowMs: number
}

/** A refused entry: its code, and the entry when it passed the schema check. */
export interface Rejection {
  readonly code: string
  readonly message: string
  readonly author?: string
  readonly seq?: number
  readonly entry?: Entry
}

export interface Admission {
  /** Entries now stored, in the order they joined their chains. */
  readonly accepted: Entry[]
  readonly rejected: Rejection[]
  /** Replays of entries already stored, waiting or kept as evidence (not rejections). */
  readonly duplicates: number
  /** Entries of this batch now waiting in the pool for a gap to fill. */
  readonly pending: number
  /** Authors this batch froze or whose evidence it changed, each with the evidence to store. */
  readonly evidence: Evidence[]
}

type Verdict = 'admitted' | 'duplicate' | 'pending' | Evidence

/**
 * The admission state of a store holding `stored` (every author's entries, each author's in seq
 * order) and `evidence` (the entries proving equivocations). A pool may be carried over.
 */
export function admissionOf (stored: readonly Entry[], evidence: readonly Entry[], pool = new PendingPool()): AdmissionState {
  const heads = new Map<string, ChainHead>()
  for (const e of stored) heads.set(e.author, { seq: e.seq, hash: entryHash(e), hlc: e.hlc })
  const fold = foldEntries([...stored, ...evidence])
  const uncounted = new Map<string, Map<number, Entry>>()
  for (const e of stored) {
    if (e.seq > (fold.chains.get(e.author)?.entries.length ?? 0)) keepUncounted(uncounted, e)
  }
  let clock: Hlc | null = null
  for (const head of heads.values()) if (clock === null || compareHlc(head.hlc, clock) > 0) clock = head.hlc
  return { fold, heads, uncounted, pool, clock }
}

/** The next entry of the receiver's own log, unsigned: next seq, linked to its head, timed after all it stored. */
export function nextOwnEntry<T extends EntryType> (state: AdmissionState, author: string, type: T, body: EntryBodies[T], nowMs: number): UnsignedEntry {
  if ((state.fold.chains.get(author)?.frozenAt ?? null) !== null) {
    throw new StratmeshError('LOG_AUTHOR_FROZEN', `this peer's identity ${author} signed two different entries at one seq and is frozen; start with a new identity`)
  }
  const head = state.heads.get(author)
  const hlc = tick(state.clock, nowMs)
  return { v: 1, author, seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? null, hlc, type, body } as UnsignedEntry
}

/** Records an own entry (from nextOwnEntry, signed) once it is stored. */
export function recordOwnEntry (state: AdmissionState, entry: Entry): void {
  state.clock = entry.hlc
  state.heads.set(entry.author, { seq: entry.seq, hash: entryHash(entry), hlc: entry.hlc })
  const result = applyEntry(state.fold, entry)
  if (result !== 'applied') throw new StratmeshError('LOG_STORE_CORRUPT', `own entry seq ${entry.seq} did not apply (${result})`)
}

/**
 * Admits a batch of received entries. Entries are taken by (author, seq, hash), so a batch's
 * order does not matter; the entries an admitted one unblocks in the pool follow it. Every
 * equivocation found is also a rejection (ENTRY_EQUIVOCATION, naming the second entry of the
 * evidence), after the others.
 */
export async function admit (state: AdmissionState, entries: readonly unknown[], context: AdmissionContext): Promise<Admission> {
  const rejected: Rejection[] = []
  const valid: Entry[] = []
  for (const raw of entries) {
    try { valid.push(checkEntry(raw)) } catch (err) { rejected.push(rejection(err, raw)) }
  }
  valid.sort(compareEntries)
  const accepted: Entry[] = []
  const evidence: Evidence[] = []
  let duplicates = 0
  // The hash does not cover the signature: keyed by hash alone, a badly signed copy sorted ahead
  // of its original would make the original a duplicate, and the batch's state depend on its order.
  const seen = new Set<string>()
  for (const e of valid) {
    const copy = entryHash(e) + e.sig
    if (seen.has(copy)) { duplicates++; continue }
    seen.add(copy)
    try {
      const verdict = await admitOne(state, e, context.nowMs)
      if (verdict === 'duplicate') duplicates++
      else if (verdict === 'admitted') {
        accepted.push(e)
        await admitWaiting(state, e, context.nowMs, accepted, rejected)
      } else if (verdict !== 'pending') evidence.push(verdict)
    } catch (err) { rejected.push(rejection(err, e, e)) }
  }
  for (const ev of evidence) {
    const err = new StratmeshError('ENTRY_EQUIVOCATION', `${ev.author} signed two different entries at seq ${ev.seq}: frozen from that seq on`)
    rejected.push(rejection(err, ev.entries[1], ev.entries[1]))
  }
  // Some entries of the batch may have waited and then been taken by later ones.
  const pending = valid.filter(e => state.pool.holds(e)).length
  return { accepted, rejected, duplicates, pending, evidence: lastPerAuthor(evidence) }
}

/** A fork of three or more entries can change an author's evidence twice in one batch: only the last is kept. */
function lastPerAuthor (evidence: readonly Evidence[]): Evidence[] {
  return [...new Map(evidence.map(ev => [ev.author, ev])).values()]
}

/** Admits the entries that waited for `e`, in seq order, until one is missing or refused. */
async function admitWaiting (state: AdmissionState, e: Entry, nowMs: number, accepted: Entry[], rejected: Rejection[]): Promise<void> {
  for (let next = state.pool.take(e.author, e.seq + 1); next !== undefined; next = state.pool.take(e.author, next.seq + 1)) {
    try {
      if (await admitOne(state, next, nowMs) === 'admitted') accepted.push(next)
      else break
    } catch (err) { rejected.push(rejection(err, next, next)); break }
  }
}

/** Decides one checked entry; throws a StratmeshError whose code is the rejection's. */
async function admitOne (state: AdmissionState, e: Entry, nowMs: number): Promise<Verdict> {
  const hash = entryHash(e)
  const ev = state.fold.evidence.get(e.author)
  if (ev !== undefined && ev.entries.some(x => entryHash(x) === hash)) return 'duplicate'
  const head = state.heads.get(e.author)
  const headSeq = head?.seq ?? 0
  if (e.seq <= headSeq) {
    const stored = storedAt(state, e.author, e.seq)
    if (stored !== undefined && entryHash(stored) === hash) return 'duplicate'
    await checkSignature(e)
    return equivocation(state, stored as Entry, e)
  }
  const frozenAt = state.fold.chains.get(e.author)?.frozenAt ?? null
  if (frozenAt !== null && e.seq >= frozenAt) return await atFrozenSeq(state, e, hash, frozenAt)
  if (e.seq > headSeq + 1) return await wait(state, e, hash, headSeq)
  if (head !== undefined && e.prev !== head.hash) throw new StratmeshError('ENTRY_BAD_PREV', `${e.author} seq ${e.seq}: prev does not match the stored entry ${headSeq}`)
  if (head !== undefined && compareHlc(e.hlc, head.hlc) <= 0) throw new StratmeshError('ENTRY_BAD_HLC', `${e.author} seq ${e.seq}: hlc does not increase`)
  if (e.hlc[0] > nowMs + MAX_CLOCK_SKEW_MS) {
    throw new StratmeshError('ENTRY_CLOCK_SKEW', `${e.author} seq ${e.seq}: hlc is ${e.hlc[0] - nowMs} ms ahead of local time (limit ${MAX_CLOCK_SKEW_MS} ms)`)
  }
  await checkSignature(e)
  const result = applyEntry(state.fold, e)
  if (result !== 'applied') throw new StratmeshError('LOG_STORE_CORRUPT', `${e.author} seq ${e.seq} continues the stored chain but the fold says ${result}`)
  state.heads.set(e.author, { seq: e.seq, hash, hlc: e.hlc })
  state.clock = observe(state.clock, e.hlc, nowMs)
  return 'admitted'
}

/**
 * An entry of a frozen author at or after its frozen seq that no stored entry is at. At the
 * frozen seq it is one more fork of it: compared with the evidence, as the fold would, or the
 * evidence kept would depend on which of three or more entries met first. It is refused
 * (ENTRY_AUTHOR_FROZEN) unless its hash is among the two smallest, so the signature is checked
 * only for an entry that changes the evidence.
 */
async function atFrozenSeq (state: AdmissionState, e: Entry, hash: string, frozenAt: number): Promise<Verdict> {
  const ev = state.fold.evidence.get(e.author) as Evidence
  if (e.seq > frozenAt || hash > entryHash(ev.entries[1])) throw new StratmeshError('ENTRY_AUTHOR_FROZEN', `${e.author} is frozen from seq ${frozenAt}`)
  await checkSignature(e)
  return equivocation(state, ev.entries[0], e)
}

/** An entry ahead of a gap: pooled, or evidence against the one already waiting at its seq. */
async function wait (state: AdmissionState, e: Entry, hash: string, headSeq: number): Promise<Verdict> {
  await checkSignature(e)
  const pooled = state.pool.get(e.author, e.seq)
  if (pooled !== undefined) {
    if (entryHash(pooled) === hash) return 'duplicate'
    return equivocation(state, pooled, e)
  }
  if (!state.pool.add(e)) {
    throw new StratmeshError('ENTRY_GAP', `${e.author} seq ${e.seq} is ahead of the stored head ${headSeq} and the pending pool is full`)
  }
  return 'pending'
}

/** The stored entry of `author` at `seq` (at most its head): counted, or un-counted by a freeze. */
function storedAt (state: AdmissionState, author: string, seq: number): Entry | undefined {
  const chain = state.fold.chains.get(author)
  if (chain !== undefined && seq <= chain.entries.length) return chain.entries[seq - 1]
  return state.uncounted.get(author)?.get(seq)
}

/** Applies evidence to the fold; returns the evidence to store, or throws when nothing changed. */
function equivocation (state: AdmissionState, a: Entry, b: Entry): Evidence {
  // The counted entries a freeze at a.seq would un-count; they stay stored.
  const counted = state.fold.chains.get(a.author)?.entries.slice(a.seq - 1) ?? []
  const result = applyEvidence(state.fold, a, b)
  const countedNow = state.fold.chains.get(a.author)?.entries.length ?? 0
  for (const e of counted) if (e.seq > countedNow) keepUncounted(state.uncounted, e)
  const ev = state.fold.evidence.get(a.author)
  if (result !== 'equivocation' || ev === undefined) throw new StratmeshError('ENTRY_AUTHOR_FROZEN', `${a.author} is already frozen at seq ${ev?.seq}`)
  return { author: ev.author, seq: ev.seq, entries: ev.entries }
}

function keepUncounted (uncounted: Map<string, Map<number, Entry>>, e: Entry): void {
  let byseq = uncounted.get(e.author)
  if (byseq === undefined) { byseq = new Map(); uncounted.set(e.author, byseq) }
  byseq.set(e.seq, e)
}

function rejection (err: unknown, e: unknown, entry?: Entry): Rejection {
  const fields = e as { author?: unknown, seq?: unknown } | undefined
  return {
    code: isStratmeshError(err) ? err.code : 'ENTRY_BAD_SCHEMA',
    message: (err as Error).message,
    author: typeof fields?.author === 'string' ? fields.author : undefined,
    seq: typeof fields?.seq === 'number' ? fields.seq : undefined,
    entry
  }
}

function compareEntries (a: Entry, b: Entry): number {
  if (a.author !== b.author) return a.author < b.author ? -1 : 1
  if (a.seq !== b.seq) return a.seq - b.seq
  const ha = entryHash(a); const hb = entryHash(b)
  return ha < hb ? -1 : ha > hb ? 1 : 0
}
