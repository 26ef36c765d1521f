/**
 * The ledger's log store: every author's entries in LevelDB, under the pure admission rules and
 * fold of src/ledger (admission.ts decides what joins the ledger; this file stores it).
 *
 * Sublevels: `logs` (`<author>!<seq, 16 digits>` -> entry hash (64 hex digits) then the entry's
 * JSON: the hash is kept so reopening need not re-hash every entry), `heads` (author ->
 * {seq, hash, hlc}), `views` (job id index), `meta` (format version), `evidence` (author -> the
 * two entries proving it equivocated). Every change is ONE atomic batch across sublevels, so a
 * crash never leaves half an entry or a head that disagrees with its log. Own appends are written
 * with sync (fsync): an entry we signed and gossiped must survive a power cut, or after a restart
 * we would sign a different entry at the same seq and freeze ourselves.
 *
 * The store signs its own entries, persists what admission accepted, emits events and counts
 * rejections per sending peer. Appends and ingests run one at a time, in order.
 */
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { Level } from 'level'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { StratmeshError } from '../../protocol/errors.js'
import { entryHash, rememberEntryHash, signEntry, type Entry, type EntryOf } from '../../protocol/entry.js'
import type { EntryBodies, EntryType } from '../../protocol/entry-bodies.js'
import type { Hlc } from '../../protocol/hlc.js'
import { MAX_LOG_RANGE_ENTRIES } from '../../protocol/limits.js'
import { admissionOf, admit, nextOwnEntry, recordOwnEntry, type AdmissionState, type Rejection as AdmissionRejection } from '../../ledger/admission.js'
import type { LedgerState } from '../../ledger/state.js'

/** On-disk format of the store; a store written by a later format is refused, never misread. */
export const LOG_STORE_FORMAT = '1'
const SEQ_DIGITS = 16

export interface LogStoreOptions {
  /** The peer's data directory; the database lives in `<dataDir>/ledger`. */
  readonly dataDir?: string
  /** Or a database to use (the store opens it, and closes it on stop only if it opened it). */
  readonly db?: Level<string, string>
  readonly privateKey: PrivateKey
  /** Milliseconds since the epoch; injected so tests can move time. */
  readonly clock?: () => number
  /** fsync own appends (default true). Benchmarks may turn it off to measure the rest. */
  readonly syncAppends?: boolean
}

export interface Rejection { readonly code: string, readonly message: string, readonly author?: string, readonly seq?: number }
export interface IngestResult {
  readonly accepted: Entry[]
  readonly rejected: Rejection[]
  /** Replays of entries already stored (not rejections). */
  readonly duplicates: number
  /** Entries of this batch now waiting for a gap to fill. */
  readonly pending: number
}
export interface EntryEvent { readonly entry: Entry, readonly local: boolean, readonly from?: string }
export interface EvidenceEvent { readonly author: string, readonly seq: number, readonly entries: readonly [Entry, Entry] }

export interface LogStore {
  /** This peer's author id (its peer id string). */
  readonly author: string
  start (): Promise<void>
  stop (): Promise<void>
  /** Signs and stores the next entry of this peer's own log. */
  append<T extends EntryType> (type: T, body: EntryBodies[T]): Promise<EntryOf<T>>
  ingest (entries: readonly unknown[], from?: string): Promise<IngestResult>
  /** Highest stored seq per author. */
  heads (): Promise<Record<string, number>>
  /** Up to `limit` (at most MAX_LOG_RANGE_ENTRIES) stored entries of `author` from `fromSeq`, in order. */
  range (author: string, fromSeq: number, limit: number): Promise<Entry[]>
  get (author: string, seq: number): Promise<Entry | undefined>
  /** The current fold. A live object: read it, never mutate it. */
  state (): LedgerState
  /** Every stored evidence entry (both entries per frozen author), for replication. */
  evidenceEntries (): Entry[]
  on (event: 'entry', cb: (ev: EntryEvent) => void): () => void
  on (event: 'equivocation', cb: (ev: EvidenceEvent) => void): () => void
  /** Rejections per sending peer (the author when the sender is unknown, or for ENTRY_EQUIVOCATION) and code. */
  rejectedCounts (): Record<string, Record<string, number>>
  /** Stored entries and their bytes by entry type (evidence and the pending pool apart), for measuring ledger growth. */
  storedSize (): Record<string, StoredSize>
}

export interface StoredSize { entries: number, bytes: number }

interface Head { seq: number, hash: string, hlc: Hlc }
type Op = { type: 'put', key: string, value: string, sublevel: Level<string, string> | ReturnType<Level<string, string>['sublevel']> }

function logKey (author: string, seq: number): string {
  return `${author}!${String(seq).padStart(SEQ_DIGITS, '0')}`
}

const HASH_CHARS = 64

function encodeStored (e: Entry): string {
  return entryHash(e) + JSON.stringify(e)
}

/** Our own disk is trusted: entries were verified before they were written. */
function decodeStored (value: string): Entry {
  const e = JSON.parse(value.slice(HASH_CHARS)) as Entry
  rememberEntryHash(e, value.slice(0, HASH_CHARS))
  return e
}

function isLocked (err: unknown): boolean {
  for (let e = err as { code?: unknown, cause?: unknown } | undefined; e !== undefined && e !== null; e = e.cause as typeof e) {
    if (e.code === 'LEVEL_LOCKED') return true
  }
  return /lock/i.test(String((err as Error)?.message ?? ''))
}

class LevelLogStore implements LogStore {
  readonly author: string
  private readonly privateKey: PrivateKey
  private readonly clock: () => number
  private readonly sync: boolean
  private readonly ownsDb: boolean
  private readonly location: string
  private db: Level<string, string> | undefined
  private subs!: { logs: Level<string, string>, heads: Level<string, string>, views: Level<string, string>, meta: Level<string, string>, evidence: Level<string, string> }
  private admission: AdmissionState = admissionOf([], [])
  private queue: Promise<unknown> = Promise.resolve()
  private readonly listeners = { entry: new Set<(ev: EntryEvent) => void>(), equivocation: new Set<(ev: EvidenceEvent) => void>() }
  private readonly rejections = new Map<string, Map<string, number>>()
  private started = false
  private sizes = new Map<string, StoredSize>()

  constructor (options: LogStoreOptions) {
    if (options.db === undefined && options.dataDir === undefined) throw new StratmeshError('LOG_STORE_OPTIONS', 'a log store needs a dataDir or a db')
    this.privateKey = options.privateKey
    this.author = peerIdFromPrivateKey(options.privateKey).toString()
    this.clock = options.clock ?? Date.now
    this.sync = options.syncAppends ?? true
    this.ownsDb = options.db === undefined
    this.location = options.dataDir ?? options.db?.location ?? ''
    this.db = options.db
  }

  async start (): Promise<void> {
    if (this.started) return
    if (this.db === undefined) {
      await mkdir(this.location, { recursive: true, mode: 0o700 })
      this.db = new Level<string, string>(join(this.location, 'ledger'), { valueEncoding: 'utf8' })
    }
    try {
      await this.db.open()
    } catch (err) {
      if (isLocked(err)) throw new StratmeshError('DATA_DIR_LOCKED', `another peer is already running with data dir ${this.location}`, { cause: err, details: { dataDir: this.location } })
      throw new StratmeshError('LOG_STORE_OPEN', `cannot open the ledger in ${this.location}: ${(err as Error).message}`, { cause: err })
    }
    const sub = (name: string): Level<string, string> => this.db!.sublevel<string, string>(name, { valueEncoding: 'utf8' }) as unknown as Level<string, string>
    this.subs = { logs: sub('logs'), heads: sub('heads'), views: sub('views'), meta: sub('meta'), evidence: sub('evidence') }
    const format = await this.subs.meta.get('format')
    if (format === undefined) await this.subs.meta.put('format', LOG_STORE_FORMAT)
    else if (format !== LOG_STORE_FORMAT) throw new StratmeshError('LOG_STORE_FORMAT', `the ledger in ${this.location} has format ${format}; this peer reads format ${LOG_STORE_FORMAT}`)
    await this.rebuild()
    this.started = true
  }

  /** Rebuilds heads and the fold from the stored entries and evidence; the pending pool is kept. */
  private async rebuild (): Promise<void> {
    const stored: Entry[] = []
    this.sizes = new Map()
    for await (const value of this.subs.logs.values()) {
      const entry = decodeStored(value)
      stored.push(entry)
      this.tally(entry, value)
    }
    const evidence: Entry[] = []
    for await (const value of this.subs.evidence.values()) evidence.push(...(JSON.parse(value) as Entry[]))
    const admission = admissionOf(stored, evidence, this.admission.pool)
    for await (const [author, value] of this.subs.heads.iterator()) {
      const head = admission.heads.get(author)
      const recorded = JSON.parse(value) as Head
      if (head === undefined || head.seq !== recorded.seq || head.hash !== recorded.hash) {
        throw new StratmeshError('LOG_STORE_CORRUPT', `the stored head of ${author} (seq ${recorded.seq}) disagrees with its log (seq ${head?.seq ?? 0})`)
      }
    }
    this.admission = admission
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.queue.catch(() => {})
    this.admission.pool.clear()
    if (this.ownsDb) await this.db?.close()
  }

  private serial<T> (fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(async () => {
      if (!this.started) throw new StratmeshError('LOG_STORE_STOPPED', 'the log store is not started')
      return await fn()
    })
    this.queue = run.catch(() => {})
    return run
  }

  append<T extends EntryType> (type: T, body: EntryBodies[T]): Promise<EntryOf<T>> {
    return this.serial(async () => {
      const entry = await signEntry(this.privateKey, nextOwnEntry(this.admission, this.author, type, body, this.clock()))
      await this.write(this.opsFor(entry), this.sync)
      this.tally(entry)
      recordOwnEntry(this.admission, entry)
      this.emit('entry', { entry, local: true })
      return entry as EntryOf<T>
    })
  }

  private opsFor (e: Entry): Op[] {
    const ops: Op[] = [
      { type: 'put', key: logKey(e.author, e.seq), value: encodeStored(e), sublevel: this.subs.logs },
      { type: 'put', key: e.author, value: JSON.stringify({ seq: e.seq, hash: entryHash(e), hlc: e.hlc }), sublevel: this.subs.heads }
    ]
    // A job index, so the jobs a ledger knows can be listed without folding it.
    if (e.type === 'job') ops.push({ type: 'put', key: `job!${e.body.id}!${e.author}`, value: String(e.seq), sublevel: this.subs.views })
    return ops
  }

  private async write (ops: Op[], sync: boolean): Promise<void> {
    if (ops.length === 0) return
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- classic-level's sync option is not in level's union type
    await this.db!.batch(ops as any, { sync } as any)
  }

  ingest (entries: readonly unknown[], from?: string): Promise<IngestResult> {
    return this.serial(async () => {
      const { accepted, rejected, duplicates, pending, evidence } = await admit(this.admission, entries, { nowMs: this.clock() })
      for (const r of rejected) this.count(r, from)
      const ops = accepted.flatMap(e => this.opsFor(e))
      for (const ev of evidence) ops.push({ type: 'put', key: ev.author, value: JSON.stringify(ev.entries), sublevel: this.subs.evidence })
      try {
        await this.write(ops, false)
      } catch (err) {
        // Admission ran ahead of the disk: put it back as the disk has it.
        await this.rebuild()
        throw new StratmeshError('LOG_STORE_WRITE', `could not store ingested entries: ${(err as Error).message}`, { cause: err })
      }
      for (const entry of accepted) this.tally(entry)
      for (const entry of accepted) this.emit('entry', { entry, local: false, from })
      for (const ev of evidence) this.emit('equivocation', { author: ev.author, seq: ev.seq, entries: ev.entries })
      return { accepted, rejected: rejected.map(({ code, message, author, seq }) => ({ code, message, author, seq })), duplicates, pending }
    })
  }

  private tally (e: Entry, stored = encodeStored(e)): void {
    const size = this.sizes.get(e.type) ?? { entries: 0, bytes: 0 }
    size.entries++
    size.bytes += Buffer.byteLength(stored, 'utf8')
    this.sizes.set(e.type, size)
  }

  storedSize (): Record<string, StoredSize> {
    return Object.fromEntries([...this.sizes].map(([type, size]) => [type, { ...size }]))
  }

  /** Counts a rejection against the peer that sent it (against the author for an equivocation). */
  private count (r: AdmissionRejection, from: string | undefined): void {
    // Equivocation is the author's offence; the peer relaying the proof did nothing wrong.
    const who = (r.code === 'ENTRY_EQUIVOCATION' ? r.author : from ?? r.author) ?? 'unknown'
    let counts = this.rejections.get(who)
    if (counts === undefined) { counts = new Map(); this.rejections.set(who, counts) }
    counts.set(r.code, (counts.get(r.code) ?? 0) + 1)
  }

  async heads (): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    const heads = this.admission.heads
    for (const author of [...heads.keys()].sort()) out[author] = (heads.get(author) as Head).seq
    return out
  }

  async range (author: string, fromSeq: number, limit: number): Promise<Entry[]> {
    if (!this.started) throw new StratmeshError('LOG_STORE_STOPPED', 'the log store is not started')
    if (!Number.isSafeInteger(fromSeq) || fromSeq < 1 || !Number.isSafeInteger(limit) || limit < 1) {
      throw new StratmeshError('LOG_BAD_RANGE', `range needs fromSeq >= 1 and limit >= 1, got ${fromSeq} and ${limit}`)
    }
    const out: Entry[] = []
    const it = this.subs.logs.values({ gte: logKey(author, fromSeq), lt: `${author}"`, limit: Math.min(limit, MAX_LOG_RANGE_ENTRIES) })
    for await (const value of it) out.push(decodeStored(value))
    return out
  }

  async get (author: string, seq: number): Promise<Entry | undefined> {
    if (!this.started) throw new StratmeshError('LOG_STORE_STOPPED', 'the log store is not started')
    const value = await this.subs.logs.get(logKey(author, seq))
    return value === undefined ? undefined : decodeStored(value)
  }

  state (): LedgerState {
    return this.admission.fold
  }

  evidenceEntries (): Entry[] {
    return [...this.admission.fold.evidence.values()].flatMap(ev => [...ev.entries])
  }

  on (event: 'entry' | 'equivocation', cb: ((ev: EntryEvent) => void) | ((ev: EvidenceEvent) => void)): () => void {
    const set = this.listeners[event] as Set<typeof cb>
    set.add(cb)
    return () => { set.delete(cb) }
  }

  private emit (event: 'entry', ev: EntryEvent): void
  private emit (event: 'equivocation', ev: EvidenceEvent): void
  private emit (event: 'entry' | 'equivocation', ev: EntryEvent | EvidenceEvent): void {
    for (const cb of this.listeners[event] as Set<(ev: EntryEvent | EvidenceEvent) => void>) {
      // A listener's failure is its own: the entry is stored either way, and other listeners still run.
      try { cb(ev) } catch { /* ignored by design */ }
    }
  }

  rejectedCounts (): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {}
    for (const [peer, counts] of this.rejections) out[peer] = Object.fromEntries(counts)
    return out
  }
}

export function createLogStore (options: LogStoreOptions): LogStore {
  return new LevelLogStore(options)
}
