/**
 * The ledger's log store: every author's entries in LevelDB, the fold over them in memory.
 *
 * Sublevels: `logs` (`<author>!<seq, 16 digits>` -> entry hash (64 hex digits) then the entry's
 * JSON: the hash is kept so reopening need not re-hash every entry), `heads` (author ->
 * {seq, hash, hlc}), `views` (job id index), `meta` (format version), `evidence` (author -> the
 * two entries proving it equivocated). Every change is ONE atomic batch across sublevels, so a
 * crash never leaves half an entry or a head that disagrees with its log. Own appends are written
 * with sync (fsync): an entry we signed and gossiped must survive a power cut, or after a restart
 * we would sign a different entry at the same seq and freeze ourselves.
 *
 * Ingest verifies size, schema, author key, signature, seq continuity, prev and hlc against what
 * is stored. Entries ahead of a gap wait in a bounded in-memory pool (MAX_PENDING_ENTRIES) until
 * the gap fills; beyond the bound they are refused with ENTRY_GAP for the replicator to fetch
 * again. Replays of stored entries are silent duplicates. Two different entries of one author at
 * one seq are recorded as evidence and freeze the author (ENTRY_EQUIVOCATION); the author's
 * entries from that seq on are refused (ENTRY_AUTHOR_FROZEN). Appends and ingests run one at a
 * time, in order.
 */
import { join } from 'node:path'
import { mkdir } from 'node:fs/promises'
import { Level } from 'level'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import { checkEntry, checkSignature, entryHash, rememberEntryHash, signEntry, type Entry, type EntryOf, type UnsignedEntry } from '../../protocol/entry.js'
import type { EntryBodies, EntryType } from '../../protocol/entry-bodies.js'
import { compareHlc, observe, tick, type Hlc } from '../../protocol/hlc.js'
import { MAX_CLOCK_SKEW_MS, MAX_LOG_RANGE_ENTRIES, MAX_PENDING_BYTES, MAX_PENDING_ENTRIES, MAX_PENDING_PER_AUTHOR } from '../../protocol/limits.js'
import { applyEntry, applyEvidence, foldEntries, type ApplyResult, type LedgerState } from '../../ledger/fold.js'

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
}

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

function wireBytes (e: Entry): number {
  return Buffer.byteLength(JSON.stringify(e), 'utf8')
}

function compareEntries (a: Entry, b: Entry): number {
  if (a.author !== b.author) return a.author < b.author ? -1 : 1
  if (a.seq !== b.seq) return a.seq - b.seq
  const ha = entryHash(a); const hb = entryHash(b)
  return ha < hb ? -1 : ha > hb ? 1 : 0
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
  private fold: LedgerState = foldEntries([])
  private readonly headMap = new Map<string, Head>()
  private readonly pool = new Map<string, Map<number, Entry>>()
  private poolSize = 0
  private poolBytes = 0
  private clockHlc: Hlc | null = null
  private queue: Promise<unknown> = Promise.resolve()
  private readonly listeners = { entry: new Set<(ev: EntryEvent) => void>(), equivocation: new Set<(ev: EvidenceEvent) => void>() }
  private readonly rejections = new Map<string, Map<string, number>>()
  private started = false

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

  /** Rebuilds heads and the fold from the stored entries and evidence. */
  private async rebuild (): Promise<void> {
    const entries: Entry[] = []
    this.headMap.clear()
    for await (const value of this.subs.logs.values()) {
      const e = decodeStored(value)
      entries.push(e)
      this.headMap.set(e.author, { seq: e.seq, hash: entryHash(e), hlc: e.hlc })
    }
    for await (const [author, value] of this.subs.heads.iterator()) {
      const stored = JSON.parse(value) as Head
      const head = this.headMap.get(author)
      if (head === undefined || head.seq !== stored.seq || head.hash !== stored.hash) {
        throw new StratmeshError('LOG_STORE_CORRUPT', `the stored head of ${author} (seq ${stored.seq}) disagrees with its log (seq ${head?.seq ?? 0})`)
      }
    }
    for await (const value of this.subs.evidence.values()) entries.push(...(JSON.parse(value) as Entry[]))
    this.fold = foldEntries(entries)
    this.clockHlc = null
    for (const head of this.headMap.values()) if (this.clockHlc === null || compareHlc(head.hlc, this.clockHlc) > 0) this.clockHlc = head.hlc
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.queue.catch(() => {})
    this.pool.clear()
    this.poolSize = 0
    this.poolBytes = 0
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
      if ((this.fold.chains.get(this.author)?.frozenAt ?? null) !== null) {
        throw new StratmeshError('LOG_AUTHOR_FROZEN', `this peer's identity ${this.author} signed two different entries at one seq and is frozen; start with a new identity`)
      }
      const head = this.headMap.get(this.author)
      const hlc = tick(this.clockHlc, this.clock())
      const unsigned = { v: 1, author: this.author, seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? null, hlc, type, body } as UnsignedEntry
      const entry = await signEntry(this.privateKey, unsigned)
      await this.write(this.opsFor(entry), this.sync)
      this.clockHlc = hlc
      this.headMap.set(this.author, { seq: entry.seq, hash: entryHash(entry), hlc })
      const result = applyEntry(this.fold, entry)
      if (result !== 'applied') throw new StratmeshError('LOG_STORE_CORRUPT', `own entry seq ${entry.seq} did not apply (${result})`)
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
      const rejected: Rejection[] = []
      const reject = (err: unknown, e?: { author?: unknown, seq?: unknown }): void => {
        const code = isStratmeshError(err) ? err.code : 'ENTRY_BAD_SCHEMA'
        const author = typeof e?.author === 'string' ? e.author : undefined
        const seq = typeof e?.seq === 'number' ? e.seq : undefined
        rejected.push({ code, message: (err as Error).message, author, seq })
        // Equivocation is the author's offence; the peer relaying the proof did nothing wrong.
        const who = (code === 'ENTRY_EQUIVOCATION' ? author : from ?? author) ?? 'unknown'
        let counts = this.rejections.get(who)
        if (counts === undefined) { counts = new Map(); this.rejections.set(who, counts) }
        counts.set(code, (counts.get(code) ?? 0) + 1)
      }
      const valid: Entry[] = []
      for (const raw of entries) {
        try { valid.push(checkEntry(raw)) } catch (err) { reject(err, raw as Record<string, unknown>) }
      }
      valid.sort(compareEntries)
      const accepted: Entry[] = []
      const evidence: EvidenceEvent[] = []
      let duplicates = 0
      const ops: Op[] = []
      const now = this.clock()
      const hasHash = new Set<string>()
      for (const e of valid) {
        const hash = entryHash(e)
        if (hasHash.has(hash)) { duplicates++; continue }
        hasHash.add(hash)
        try {
          const outcome = await this.consider(e, hash, now, ops)
          if (outcome === 'duplicate') duplicates++
          else if (outcome === 'pending') continue
          else if (outcome === 'accepted') {
            accepted.push(e)
            for (let next = this.takePooled(e.author, e.seq + 1); next !== undefined; next = this.takePooled(e.author, next.seq + 1)) {
              try {
                if (await this.consider(next, entryHash(next), now, ops) === 'accepted') accepted.push(next)
                else break
              } catch (err) { reject(err, next); break }
            }
          } else evidence.push(outcome)
        } catch (err) { reject(err, e) }
      }
      for (const ev of evidence) {
        ops.push({ type: 'put', key: ev.author, value: JSON.stringify(ev.entries), sublevel: this.subs.evidence })
        reject(new StratmeshError('ENTRY_EQUIVOCATION', `${ev.author} signed two different entries at seq ${ev.seq}: frozen from that seq on`), ev.entries[1])
      }
      try {
        await this.write(ops, false)
      } catch (err) {
        // The fold and heads ran ahead of the disk: put them back as the disk has them.
        await this.rebuild()
        throw new StratmeshError('LOG_STORE_WRITE', `could not store ingested entries: ${(err as Error).message}`, { cause: err })
      }
      // Entries of this batch still waiting in the pool (some may have been taken by later ones).
      const pending = valid.filter(e => this.pool.get(e.author)?.get(e.seq) === e).length
      for (const entry of accepted) this.emit('entry', { entry, local: false, from })
      for (const ev of evidence) this.emit('equivocation', ev)
      return { accepted, rejected, duplicates, pending }
    })
  }

  private takePooled (author: string, seq: number): Entry | undefined {
    const byseq = this.pool.get(author)
    const e = byseq?.get(seq)
    if (e === undefined) return undefined
    byseq!.delete(seq)
    if (byseq!.size === 0) this.pool.delete(author)
    this.poolSize--
    this.poolBytes -= wireBytes(e)
    return e
  }

  private async storedAt (author: string, seq: number): Promise<Entry | undefined> {
    const chain = this.fold.chains.get(author)
    if (chain !== undefined && seq <= chain.entries.length) return chain.entries[seq - 1]
    const value = await this.subs.logs.get(logKey(author, seq))
    return value === undefined ? undefined : decodeStored(value)
  }

  /** Applies evidence to the fold; returns the event to persist, or throws when nothing changed. */
  private equivocation (a: Entry, b: Entry): EvidenceEvent {
    const result: ApplyResult = applyEvidence(this.fold, a, b)
    const ev = this.fold.evidence.get(a.author)
    if (result !== 'equivocation' || ev === undefined) throw new StratmeshError('ENTRY_AUTHOR_FROZEN', `${a.author} is already frozen at seq ${ev?.seq}`)
    return { author: ev.author, seq: ev.seq, entries: ev.entries }
  }

  /** Decides one validated entry against the store; stages its writes in `ops`. */
  private async consider (e: Entry, hash: string, now: number, ops: Op[]): Promise<'accepted' | 'duplicate' | 'pending' | EvidenceEvent> {
    const ev = this.fold.evidence.get(e.author)
    if (ev !== undefined && ev.entries.some(x => entryHash(x) === hash)) return 'duplicate'
    const head = this.headMap.get(e.author)
    const headSeq = head?.seq ?? 0
    if (e.seq <= headSeq) {
      const stored = await this.storedAt(e.author, e.seq)
      if (stored !== undefined && entryHash(stored) === hash) return 'duplicate'
      await checkSignature(e)
      return this.equivocation(stored as Entry, e)
    }
    const frozenAt = this.fold.chains.get(e.author)?.frozenAt ?? null
    if (frozenAt !== null && e.seq >= frozenAt) throw new StratmeshError('ENTRY_AUTHOR_FROZEN', `${e.author} is frozen from seq ${frozenAt}`)
    if (e.seq > headSeq + 1) {
      await checkSignature(e)
      const pooled = this.pool.get(e.author)?.get(e.seq)
      if (pooled !== undefined) {
        if (entryHash(pooled) === hash) return 'duplicate'
        return this.equivocation(pooled, e)
      }
      const mine = this.pool.get(e.author)
      const bytes = wireBytes(e)
      if (this.poolSize >= MAX_PENDING_ENTRIES || (mine?.size ?? 0) >= MAX_PENDING_PER_AUTHOR || this.poolBytes + bytes > MAX_PENDING_BYTES) {
        throw new StratmeshError('ENTRY_GAP', `${e.author} seq ${e.seq} is ahead of the stored head ${headSeq} and the pending pool is full`)
      }
      if (mine === undefined) this.pool.set(e.author, new Map([[e.seq, e]]))
      else mine.set(e.seq, e)
      this.poolSize++
      this.poolBytes += bytes
      return 'pending'
    }
    if (head !== undefined && e.prev !== head.hash) throw new StratmeshError('ENTRY_BAD_PREV', `${e.author} seq ${e.seq}: prev does not match the stored entry ${headSeq}`)
    if (head !== undefined && compareHlc(e.hlc, head.hlc) <= 0) throw new StratmeshError('ENTRY_BAD_HLC', `${e.author} seq ${e.seq}: hlc does not increase`)
    if (e.hlc[0] > now + MAX_CLOCK_SKEW_MS) throw new StratmeshError('ENTRY_CLOCK_SKEW', `${e.author} seq ${e.seq}: hlc is ${e.hlc[0] - now} ms ahead of local time (limit ${MAX_CLOCK_SKEW_MS} ms)`)
    await checkSignature(e)
    const result = applyEntry(this.fold, e)
    if (result !== 'applied') throw new StratmeshError('LOG_STORE_CORRUPT', `${e.author} seq ${e.seq} continues the stored chain but the fold says ${result}`)
    this.headMap.set(e.author, { seq: e.seq, hash, hlc: e.hlc })
    this.clockHlc = observe(this.clockHlc, e.hlc, now)
    ops.push(...this.opsFor(e))
    return 'accepted'
  }

  async heads (): Promise<Record<string, number>> {
    const out: Record<string, number> = {}
    for (const author of [...this.headMap.keys()].sort()) out[author] = (this.headMap.get(author) as Head).seq
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
    return this.fold
  }

  evidenceEntries (): Entry[] {
    return [...this.fold.evidence.values()].flatMap(ev => [...ev.entries])
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
