import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { createLogStore, type LogStore, type EntryEvent } from '../../../src/node/replication/log-store.js'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../../src/protocol/entry.js'
import { MAX_CLOCK_SKEW_MS, MAX_ENTRY_BYTES, MAX_PENDING_PER_AUTHOR } from '../../../src/protocol/limits.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import type { HelloBody } from '../../../src/protocol/entry-bodies.js'
import { foldEntries } from '../../../src/ledger/fold.js'
import { stateHash, equivocationEvidence } from '../../../src/ledger/queries.js'
import { tempDir } from '../../helpers/temp-dir.js'

const T0 = 1_700_000_000_000
const HASH = 'ab'.repeat(32)

async function openStore (path: string, privateKey?: PrivateKey, clock: () => number = () => T0): Promise<LogStore> {
  const store = createLogStore({ dataDir: path, privateKey: privateKey ?? await generateKeyPair('Ed25519'), clock, syncAppends: false })
  await store.start()
  return store
}

async function fresh (clock?: () => number): Promise<LogStore> {
  return await openStore((await tempDir()).path, undefined, clock)
}

function hello (n: number): HelloBody {
  return { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: n, name: `peer-${n}` }
}

/** Signs an entry by hand: for the entries a correct store never writes (forks, bad links). */
async function forge (key: PrivateKey, over: Partial<UnsignedEntry>): Promise<Entry> {
  return await signEntry(key, { v: 1, author: peerIdFromPrivateKey(key).toString(), seq: 1, prev: null, hlc: [T0, 0], type: 'hello', body: hello(1), ...over } as UnsignedEntry)
}

test('append chains own entries: seq from 1, prev links, rising hlc, heads, range, get, events', async () => {
  let now = T0
  const a = await fresh(() => now)
  const seen: EntryEvent[] = []
  a.on('entry', ev => { seen.push(ev) })
  const e1 = await a.append('hello', hello(4))
  const e2 = await a.append('blob-have', { blobs: [{ hash: HASH, size: 10, kind: 'strategy' }] })
  now -= 5000 // the wall clock goes back: the hlc must not
  const e3 = await a.append('hello', hello(8))
  assert.deepEqual([e1.seq, e2.seq, e3.seq], [1, 2, 3])
  assert.equal(e1.prev, null)
  assert.equal(e2.prev, entryHash(e1))
  assert.equal(e3.prev, entryHash(e2))
  assert.deepEqual(e1.hlc, [T0, 0])
  assert.deepEqual(e2.hlc, [T0, 1])
  assert.deepEqual(e3.hlc, [T0, 2])
  assert.deepEqual(await a.heads(), { [a.author]: 3 })
  assert.deepEqual(await a.range(a.author, 2, 10), [e2, e3])
  assert.deepEqual(await a.range(a.author, 1, 1), [e1])
  assert.deepEqual(await a.range(a.author, 4, 10), [])
  assert.deepEqual(await a.get(a.author, 3), e3)
  assert.equal(await a.get(a.author, 4), undefined)
  assert.deepEqual(seen.map(ev => [ev.entry.seq, ev.local]), [[1, true], [2, true], [3, true]])
  assert.equal(a.state().peers.get(a.author)?.cores, 8)
  await assert.rejects(a.range(a.author, 0, 10), err => isStratmeshError(err, 'LOG_BAD_RANGE'))
  await assert.rejects(a.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: -1, name: 'x' }), err => isStratmeshError(err, 'ENTRY_BAD_SCHEMA'))
  assert.deepEqual(await a.heads(), { [a.author]: 3 }, 'a refused append writes nothing')
  await a.stop()
})

test('ingest stores a peer\'s entries once; replays are silent duplicates; both peers fold the same state', async () => {
  const a = await fresh()
  const b = await fresh()
  for (let i = 1; i <= 5; i++) await a.append('hello', hello(i))
  const entries = await a.range(a.author, 1, 100)
  const events: EntryEvent[] = []
  b.on('entry', ev => { events.push(ev) })
  const shuffled = [entries[3], entries[0], entries[4], entries[2], entries[1]]
  const r = await b.ingest(shuffled, 'peer-a')
  assert.deepEqual(r.accepted.map(e => e.seq), [1, 2, 3, 4, 5], 'out of order within a batch is fine')
  assert.deepEqual(r.rejected, [])
  assert.deepEqual(events.map(ev => [ev.entry.seq, ev.local, ev.from]), [1, 2, 3, 4, 5].map(s => [s, false, 'peer-a']))
  const before = stateHash(b.state())
  const replay = await b.ingest([...entries, ...entries], 'peer-a')
  assert.deepEqual(replay.accepted, [])
  assert.deepEqual(replay.rejected, [])
  assert.equal(replay.duplicates, 10)
  assert.deepEqual(b.rejectedCounts(), {})
  assert.equal(stateHash(b.state()), before)
  assert.equal(stateHash(b.state()), stateHash(a.state()))
  assert.deepEqual(await b.heads(), { [a.author]: 5 })
  await a.stop(); await b.stop()
})

test('entries ahead of a gap wait in the pool and are stored once the gap fills', async () => {
  const a = await fresh()
  const b = await fresh()
  for (let i = 1; i <= 4; i++) await a.append('hello', hello(i))
  const [e1, e2, e3, e4] = await a.range(a.author, 1, 10)
  let r = await b.ingest([e1, e3, e4])
  assert.deepEqual(r.accepted.map(e => e.seq), [1])
  assert.equal(r.pending, 2)
  assert.deepEqual(await b.heads(), { [a.author]: 1 })
  r = await b.ingest([e2])
  assert.deepEqual(r.accepted.map(e => e.seq), [2, 3, 4])
  assert.equal(r.pending, 0)
  assert.deepEqual(await b.heads(), { [a.author]: 4 })
  assert.deepEqual(b.rejectedCounts(), {})
  await a.stop(); await b.stop()
})

test('every bad entry is rejected with its code, counted per peer, and changes nothing', async () => {
  const key = await generateKeyPair('Ed25519')
  const author = peerIdFromPrivateKey(key).toString()
  const b = await fresh()
  const e1 = await forge(key, {})
  assert.equal((await b.ingest([e1], 'p')).accepted.length, 1)
  const before = stateHash(b.state())
  const heads = await b.heads()
  const next = { seq: 2, prev: entryHash(e1), hlc: [T0, 1] as const }
  const good2 = await forge(key, { ...next, body: hello(2) })
  const other = await generateKeyPair('Ed25519')
  const cases: [unknown, string][] = [
    [{ ...good2, sig: (await forge(key, { ...next, body: hello(3) })).sig }, 'ENTRY_BAD_SIGNATURE'],
    [{ ...good2, body: hello(9) }, 'ENTRY_BAD_SIGNATURE'],
    [{ ...(await forge(other, next)), author }, 'ENTRY_BAD_SIGNATURE'],
    [{ ...good2, pad: 'x'.repeat(MAX_ENTRY_BYTES) }, 'ENTRY_TOO_LARGE'],
    [{ ...good2, body: { ...hello(2), cores: 'many' } }, 'ENTRY_BAD_SCHEMA'],
    [{ ...good2, author: 'nobody' }, 'ENTRY_BAD_AUTHOR'],
    [await forge(key, { ...next, prev: HASH }), 'ENTRY_BAD_PREV'],
    [await forge(key, { ...next, hlc: [T0, 0] }), 'ENTRY_BAD_HLC'],
    [await forge(key, { ...next, hlc: [T0 + MAX_CLOCK_SKEW_MS + 1, 0] }), 'ENTRY_CLOCK_SKEW'],
    ['not an entry', 'ENTRY_BAD_SCHEMA']
  ]
  for (const [entry, code] of cases) {
    const r = await b.ingest([entry], 'mallory')
    assert.deepEqual(r.accepted, [], code)
    assert.deepEqual(r.rejected.map(x => x.code), [code])
    assert.equal(stateHash(b.state()), before, `${code} leaves the state unchanged`)
    assert.deepEqual(await b.heads(), heads)
  }
  const counts = b.rejectedCounts().mallory
  assert.deepEqual(counts, {
    ENTRY_BAD_SIGNATURE: 3, ENTRY_TOO_LARGE: 1, ENTRY_BAD_SCHEMA: 2, ENTRY_BAD_AUTHOR: 1, ENTRY_BAD_PREV: 1, ENTRY_BAD_HLC: 1, ENTRY_CLOCK_SKEW: 1
  })
  assert.deepEqual((await b.ingest([good2], 'p')).accepted, [good2], 'the good entry still goes in')
  await b.stop()
})

test('equivocation freezes the author with the same evidence and state whichever entry came first, and survives reopening', async () => {
  const key = await generateKeyPair('Ed25519')
  const x1 = await forge(key, {})
  const link = { seq: 2, prev: entryHash(x1), hlc: [T0, 1] as const }
  const x2 = await forge(key, { ...link, body: hello(2) })
  const y2 = await forge(key, { ...link, body: hello(3) })
  const x3 = await forge(key, { seq: 3, prev: entryHash(x2), hlc: [T0, 2], body: hello(4) })
  const y3 = await forge(key, { seq: 3, prev: entryHash(y2), hlc: [T0, 2], body: hello(5) })

  const d1 = await tempDir()
  const s1 = await openStore(d1.path)
  const frozen: unknown[] = []
  s1.on('equivocation', ev => { frozen.push(ev) })
  await s1.ingest([x1, x2, x3], 'p')
  const r1 = await s1.ingest([y2], 'q')
  assert.deepEqual(r1.rejected.map(x => x.code), ['ENTRY_EQUIVOCATION'])
  assert.equal(frozen.length, 1)

  const s2 = await fresh()
  await s2.ingest([x1, y2, y3], 'q')
  await s2.ingest([x2, x3], 'p')

  const s3 = await fresh()
  await s3.ingest([x2], 'p') // ahead of a gap: pooled
  await s3.ingest([y2], 'q') // conflicts with the pooled entry: evidence
  await s3.ingest([x1], 'p')

  const expected = foldEntries([x1, x2, y2, x3, y3])
  const pair = [x2, y2].sort((a, b) => entryHash(a) < entryHash(b) ? -1 : 1)
  for (const s of [s1, s2, s3]) {
    assert.equal(stateHash(s.state()), stateHash(expected))
    assert.deepEqual(equivocationEvidence(s.state()).map(ev => [ev.seq, ...ev.entries]), [[2, ...pair]])
    assert.equal(s.state().chains.get(x1.author)?.entries.length, 1, 'only seq 1 still counts')
    assert.equal(s.state().peers.get(x1.author)?.cores, 1, 'views come from the counted entries only')
    assert.deepEqual(s.evidenceEntries().map(entryHash).sort(), pair.map(entryHash))
    const later = await s.ingest([await forge(key, { seq: 4, prev: entryHash(x3), hlc: [T0, 3] })], 'p')
    assert.deepEqual(later.rejected.map(x => x.code), ['ENTRY_AUTHOR_FROZEN'])
    const again = await s.ingest([x1, x2, y2], 'p')
    assert.deepEqual([again.accepted.length, again.rejected.length, again.duplicates], [0, 0, 3], 'replayed evidence is a duplicate')
  }
  const counts = s1.rejectedCounts()
  assert.deepEqual(counts[x1.author], { ENTRY_EQUIVOCATION: 1 }, 'counted against the author, not the relaying peer')
  assert.equal(counts.q, undefined)
  assert.deepEqual(counts.p, { ENTRY_AUTHOR_FROZEN: 1 })

  const hash = stateHash(s1.state())
  await s1.stop()
  const reopened = await openStore(d1.path)
  assert.equal(stateHash(reopened.state()), hash)
  assert.deepEqual(equivocationEvidence(reopened.state()).map(ev => ev.entries.map(entryHash)), [pair.map(entryHash)])
  await reopened.stop(); await s2.stop(); await s3.stop()
})

test('a third entry at a seq whose other two met in the pending pool replaces the evidence, which is stored and survives reopening', async () => {
  const key = await generateKeyPair('Ed25519')
  const x1 = await forge(key, {})
  const forks = await Promise.all([2, 3, 4].map(async n => await forge(key, { seq: 2, prev: entryHash(x1), hlc: [T0, 1], body: hello(n) })))
  const [smallest, middle, largest] = forks.sort((a, b) => entryHash(a) < entryHash(b) ? -1 : 1)
  const pair = [smallest, middle].map(entryHash)

  const dir = await tempDir()
  const s1 = await openStore(dir.path)
  const events: string[][] = []
  s1.on('equivocation', ev => { events.push(ev.entries.map(entryHash)) })
  await s1.ingest([largest], 'p') // ahead of a gap: pooled
  await s1.ingest([middle], 'p') // meets it in the pool: the author is frozen at seq 2
  const third = await s1.ingest([smallest], 'q')
  assert.deepEqual(third.rejected.map(r => r.code), ['ENTRY_EQUIVOCATION'], 'the third entry changes the evidence')
  await s1.ingest([x1], 'p')
  assert.deepEqual(events, [[middle, largest].map(entryHash), pair])

  const s2 = await fresh()
  const batch: string[][] = []
  s2.on('equivocation', ev => { batch.push(ev.entries.map(entryHash)) })
  await s2.ingest([largest], 'p')
  const both = await s2.ingest([middle, x1, smallest], 'p') // x1 lets `largest` in; `middle`, then `smallest`, change the evidence
  assert.deepEqual(both.rejected.map(r => r.code), ['ENTRY_EQUIVOCATION', 'ENTRY_EQUIVOCATION'])
  assert.deepEqual(batch, [pair], 'one batch: one event, with the last evidence')

  const expected = stateHash(foldEntries([x1, ...forks]))
  for (const s of [s1, s2]) {
    assert.equal(stateHash(s.state()), expected)
    assert.deepEqual(s.evidenceEntries().map(entryHash), pair)
  }
  await s1.stop()
  const reopened = await openStore(dir.path)
  assert.equal(stateHash(reopened.state()), expected)
  await reopened.stop(); await s2.stop()
})

test('reopening rebuilds heads and state, and appends continue the chain', async () => {
  const dir = await tempDir()
  const key = await generateKeyPair('Ed25519')
  const a = await openStore(dir.path, key)
  const peer = await fresh()
  for (let i = 1; i <= 3; i++) await peer.append('hello', hello(i))
  await a.ingest(await peer.range(peer.author, 1, 10))
  for (let i = 1; i <= 3; i++) await a.append('hello', hello(10 + i))
  const heads = await a.heads()
  const hash = stateHash(a.state())
  const last = await a.get(a.author, 3) as Entry
  await a.stop()
  const b = await openStore(dir.path, key, () => T0 - 60_000)
  assert.deepEqual(await b.heads(), heads)
  assert.equal(stateHash(b.state()), hash)
  const e4 = await b.append('hello', hello(99))
  assert.equal(e4.seq, 4)
  assert.equal(e4.prev, entryHash(last))
  assert.ok(e4.hlc[0] > last.hlc[0] || (e4.hlc[0] === last.hlc[0] && e4.hlc[1] > last.hlc[1]), 'hlc continues past the stored head despite a slow clock')
  await b.stop(); await peer.stop()
})

test('a second store on the same data dir fails with DATA_DIR_LOCKED', async () => {
  const dir = await tempDir()
  const a = await openStore(dir.path)
  const b = createLogStore({ dataDir: dir.path, privateKey: await generateKeyPair('Ed25519') })
  await assert.rejects(b.start(), err => isStratmeshError(err, 'DATA_DIR_LOCKED') && err.message.includes(dir.path))
  await a.stop()
  await b.start()
  await b.stop()
})

test('the pending pool is bounded per author: the overflow is refused with ENTRY_GAP and fetched again later', async () => {
  const key = await generateKeyPair('Ed25519')
  const chain: Entry[] = []
  for (let seq = 1; seq <= MAX_PENDING_PER_AUTHOR + 2; seq++) {
    const prev = chain.at(-1)
    chain.push(await forge(key, { seq, prev: prev === undefined ? null : entryHash(prev), hlc: [T0, seq], body: hello(1 + (seq % 50)) }))
  }
  const b = await fresh()
  const ahead = await b.ingest(chain.slice(1), 'p')
  assert.equal(ahead.pending, MAX_PENDING_PER_AUTHOR)
  assert.deepEqual(ahead.rejected.map(r => [r.code, r.seq]), [['ENTRY_GAP', MAX_PENDING_PER_AUTHOR + 2]])
  const filled = await b.ingest([chain[0]], 'p')
  assert.equal(filled.accepted.length, MAX_PENDING_PER_AUTHOR + 1)
  const last = await b.ingest([chain.at(-1)], 'p')
  assert.equal(last.accepted.length, 1)
  assert.deepEqual(await b.heads(), { [chain[0].author]: MAX_PENDING_PER_AUTHOR + 2 })
  await b.stop()
})
