import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import type { EntryBodies, EntryType } from '../../src/protocol/entry-bodies.js'
import type { Hlc } from '../../src/protocol/hlc.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import type { BestGenome, Checkpoint } from '../../src/protocol/job-spec.js'
import { applyEntry, applyEvidence, emptyLedger, foldEntries } from '../../src/ledger/fold.js'
import {
  blobHolders, conflicts, countedCommit, equivocationEvidence, jobs, leaderboard, rejectedCommits, stateHash, unitKey, unitStatus,
  type CommitTrust, type CommitVerdict
} from '../../src/ledger/queries.js'
import { claimableUnits } from '../../src/ledger/speculation.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

/** One author writing its chain with explicit hlc wall times. */
class Writer {
  readonly id: string
  private seq = 0
  private prev: string | null = null
  constructor (readonly key: PrivateKey) { this.id = peerIdFromPrivateKey(key).toString() }
  async write<T extends EntryType> (type: T, body: EntryBodies[T], hlc: Hlc): Promise<Entry> {
    const e = await signEntry(this.key, { v: 1, author: this.id, seq: ++this.seq, prev: this.prev, hlc, type, body } as UnsignedEntry)
    this.prev = entryHash(e)
    return e
  }
}

/** Writers sorted by id, so `a < b < c` and ties on hlc resolve in that order. */
async function writers (n: number): Promise<Writer[]> {
  const ws = await Promise.all(Array.from({ length: n }, async () => new Writer(await generateKeyPair('Ed25519'))))
  return ws.sort((x, y) => x.id < y.id ? -1 : 1)
}

const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'ab'.repeat(32), name: 's' }, dataset: { hash: 'cd'.repeat(32), name: 'd', bars: 500 }, ga: { islands: 3, epochs: 2 } })
const jobId = canonicalHash(spec)

function best (a: number, fitness: number): BestGenome {
  return { params: { a }, fitness, inSample: null, outOfSample: null }
}

function commitBody (island: number, epoch: number, genomes: BestGenome[], evaluations = 10): EntryBodies['commit'] {
  const checkpoint: Checkpoint = { jobId, island, epoch, population: genomes.map(g => ({ params: g.params, fitness: g.fitness })), best: genomes, evaluations, errors: 0 }
  return { jobId, island, epoch, checkpointHash: canonicalHash(checkpoint), checkpoint }
}

function apply (entries: Entry[]): ReturnType<typeof emptyLedger> {
  const state = emptyLedger()
  for (const e of entries) assert.equal(applyEntry(state, e), 'applied')
  return state
}

test('leases: the earliest active claim holds; renew extends, release ends, expiry frees at hlc wall + ttl', async () => {
  const [a, b] = await writers(2)
  const unit = { jobId, island: 0, epoch: 0 }
  const state = apply([
    await a.write('claim', { ...unit, ttlMs: 5000 }, [1000, 0]),
    await b.write('claim', { ...unit, ttlMs: 10_000 }, [2000, 0])
  ])
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 999), { status: 'leased', by: a.id, until: 6000, conflict: false })
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 5999), { status: 'leased', by: a.id, until: 6000, conflict: false })
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 6000), { status: 'leased', by: b.id, until: 12_000, conflict: false }, 'a expired at 6000')
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 12_000), { status: 'free', conflict: false })
  assert.equal(applyEntry(state, await a.write('renew', { ...unit, ttlMs: 5000 }, [5000, 0])), 'applied')
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 7000), { status: 'leased', by: a.id, until: 10_000, conflict: false })
  assert.equal(applyEntry(state, await a.write('release', unit, [8000, 0])), 'applied')
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 8500), { status: 'leased', by: b.id, until: 12_000, conflict: false })
  assert.deepEqual(unitStatus(state, jobId, 1, 0, 8500), { status: 'free', conflict: false })
})

test('one renew listing several units extends each of its author\'s leases as one renew per unit would, and no one else\'s', async () => {
  const [a, b] = await writers(2)
  const u0 = { jobId, island: 0, epoch: 0 }
  const u1 = { jobId, island: 1, epoch: 0 }
  const u2 = { jobId, island: 2, epoch: 0 }
  const claims = [
    await a.write('claim', { ...u0, ttlMs: 5000 }, [1000, 0]),
    await a.write('claim', { ...u1, ttlMs: 5000 }, [1000, 1]),
    await b.write('claim', { ...u2, ttlMs: 5000 }, [1000, 0])
  ]
  const [a2, b2] = await writers(2)
  const batched = apply([...claims, await a.write('renew', { units: [u0, u1, u2], ttlMs: 5000 }, [4000, 0])])
  // The same leases renewed one entry per unit, by fresh writers replaying the same claims.
  const single = apply([
    await a2.write('claim', { ...u0, ttlMs: 5000 }, [1000, 0]),
    await a2.write('claim', { ...u1, ttlMs: 5000 }, [1000, 1]),
    await b2.write('claim', { ...u2, ttlMs: 5000 }, [1000, 0]),
    await a2.write('renew', { ...u0, ttlMs: 5000 }, [4000, 0]),
    await a2.write('renew', { ...u1, ttlMs: 5000 }, [4000, 1])
  ])
  for (const [state, w] of [[batched, a], [single, a2]] as const) {
    assert.deepEqual(unitStatus(state, jobId, 0, 0, 8000), { status: 'leased', by: w.id, until: 9000, conflict: false })
    assert.deepEqual(unitStatus(state, jobId, 1, 0, 8000), { status: 'leased', by: w.id, until: 9000, conflict: false })
  }
  // a listed u2, which b holds: a renew extends only its author's own leases.
  assert.deepEqual(unitStatus(batched, jobId, 2, 0, 6000), { status: 'free', conflict: false })
})

test('a claim hlc tie goes to the smaller author id; a renew without a claim does nothing', async () => {
  const [a, b, c] = await writers(3)
  const unit = { jobId, island: 2, epoch: 1 }
  const state = apply([
    await b.write('claim', { ...unit, ttlMs: 5000 }, [1000, 3]),
    await a.write('claim', { ...unit, ttlMs: 5000 }, [1000, 3]),
    await c.write('renew', { ...unit, ttlMs: 60_000 }, [1000, 4])
  ])
  assert.deepEqual(unitStatus(state, jobId, 2, 1, 2000), { status: 'leased', by: a.id, until: 6000, conflict: false })
  assert.deepEqual(unitStatus(state, jobId, 2, 1, 6000), { status: 'free', conflict: false })
})

test('a unit is counted once: the smallest (hlc, author) commit; a different checkpoint is a named conflict', async () => {
  const [a, b, c] = await writers(3)
  const cp1 = commitBody(0, 0, [best(1, 2)])
  const cp2 = commitBody(0, 0, [best(1, 2)], 11)
  const entries = [
    await a.write('commit', cp1, [3000, 0]),
    await b.write('commit', cp1, [2000, 0]),
    await c.write('commit', cp2, [2500, 0])
  ]
  const state = apply(entries)
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 0), { status: 'committed', by: b.id, checkpointHash: cp1.checkpointHash, conflict: true })
  assert.deepEqual(conflicts(state), [{ jobId, island: 0, epoch: 0, counted: { author: b.id, checkpointHash: cp1.checkpointHash }, other: { author: c.id, checkpointHash: cp2.checkpointHash }, rejected: false }])
  const harmless = apply(entries.slice(0, 2))
  assert.deepEqual(conflicts(harmless), [], 'an identical checkpoint is a duplicate, not a conflict')
  assert.equal(unitStatus(harmless, jobId, 0, 0, 0).conflict, false)
})

test('claimable units follow the migration ring and leave out leased and committed units', async () => {
  const [a, b] = await writers(2)
  const state = apply([await a.write('job', { spec, id: jobId }, [100, 0])])
  assert.deepEqual(claimableUnits(state, jobId, 0), [{ island: 0, epoch: 0 }, { island: 1, epoch: 0 }, { island: 2, epoch: 0 }])
  applyEntry(state, await b.write('commit', commitBody(0, 0, [best(1, 1)]), [1000, 0]))
  applyEntry(state, await b.write('commit', commitBody(1, 0, [best(2, 1)]), [1100, 0]))
  // (1,1) needs (1,0) and (0,0): ready. (0,1) needs (0,0) and (2,0); (2,1) needs (2,0) and (1,0).
  assert.deepEqual(claimableUnits(state, jobId, 0), [{ island: 2, epoch: 0 }, { island: 1, epoch: 1 }])
  applyEntry(state, await a.write('claim', { jobId, island: 2, epoch: 0, ttlMs: 5000 }, [2000, 0]))
  assert.deepEqual(claimableUnits(state, jobId, 6999), [{ island: 1, epoch: 1 }])
  assert.deepEqual(claimableUnits(state, jobId, 7000), [{ island: 2, epoch: 0 }, { island: 1, epoch: 1 }], 'the lease expired')
  applyEntry(state, await a.write('commit', commitBody(2, 0, [best(3, 1)]), [3000, 0]))
  assert.deepEqual(claimableUnits(state, jobId, 7000), [{ island: 0, epoch: 1 }, { island: 1, epoch: 1 }, { island: 2, epoch: 1 }])
  assert.deepEqual(claimableUnits(state, 'ef'.repeat(32), 0), [], 'an unknown job has no units')
})

test('jobs report submitter and progress; the leaderboard merges counted commits within the job only', async () => {
  const [a, b, c] = await writers(3)
  const entries = [
    await b.write('job', { spec, id: jobId }, [500, 0]),
    await a.write('job', { spec, id: jobId }, [600, 0]),
    await a.write('commit', commitBody(0, 0, [best(1, 2), best(2, 1)]), [1000, 0]),
    await b.write('commit', commitBody(1, 0, [best(3, 1.5), best(1, 2)]), [1100, 0]),
    await c.write('commit', commitBody(1, 0, [best(9, 99)], 12), [1200, 0]), // conflicting, not counted
    await c.write('commit', { ...commitBody(2, 5, [best(8, 50)]) }, [1300, 0]) // epoch 5 is outside the job
  ]
  const state = apply(entries)
  const [view] = jobs(state)
  assert.equal(view.id, jobId)
  assert.equal(view.submitter, b.id)
  assert.deepEqual(view.submittedAt, [500, 0])
  assert.deepEqual([view.committed, view.total, view.progress, view.done], [2, 6, 2 / 6, false])
  const rows = leaderboard(state, jobId, 10)
  assert.deepEqual(rows.map(r => [r.rank, r.params.a, r.fitness, r.island, r.epoch, r.peer]), [
    [1, 1, 2, 0, 0, a.id],
    [2, 3, 1.5, 1, 0, b.id],
    [3, 2, 1, 0, 0, a.id]
  ])
  assert.deepEqual(leaderboard(state, jobId, 1).map(r => r.params.a), [1])
  for (const [k, [i, e]] of [[2, 0], [0, 1], [1, 1], [2, 1]].entries()) {
    assert.equal(applyEntry(state, await b.write('commit', commitBody(i, e, [best(10 + i, 0.5)]), [2000 + k, 0])), 'applied')
  }
  assert.deepEqual([jobs(state)[0].committed, jobs(state)[0].done], [6, true])
})

test('blob holders list every announcing author once, by id', async () => {
  const [a, b] = await writers(2)
  const h1 = '11'.repeat(32)
  const h2 = '22'.repeat(32)
  const state = apply([
    await b.write('blob-have', { blobs: [{ hash: h1, size: 5, kind: 'strategy' }] }, [1, 0]),
    await a.write('blob-have', { blobs: [{ hash: h1, size: 5, kind: 'strategy' }, { hash: h2, size: 9, kind: 'dataset' }] }, [2, 0]),
    await b.write('blob-have', { blobs: [{ hash: h1, size: 5, kind: 'strategy' }] }, [3, 0])
  ])
  assert.deepEqual(blobHolders(state, h1), [{ author: a.id, size: 5, kind: 'strategy' }, { author: b.id, size: 5, kind: 'strategy' }])
  assert.deepEqual(blobHolders(state, h2), [{ author: a.id, size: 9, kind: 'dataset' }])
  assert.deepEqual(blobHolders(state, '33'.repeat(32)), [])
})

test('applyEntry reports gaps, broken links and duplicates without changing the state', async () => {
  const [a] = await writers(1)
  const e1 = await a.write('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1, name: 'a' }, [10, 0])
  const e2 = await a.write('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: 'a' }, [10, 1])
  const e3 = await a.write('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 3, name: 'a' }, [10, 2])
  const state = emptyLedger()
  const empty = stateHash(state)
  assert.equal(applyEntry(state, e2), 'gap')
  assert.equal(stateHash(state), empty)
  assert.equal(applyEntry(state, e1), 'applied')
  assert.equal(applyEntry(state, e1), 'duplicate')
  const { sig: _sig, ...u2 } = e2
  const forgedLink = await signEntry(a.key, { ...u2, prev: 'ff'.repeat(32), body: { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 7, name: 'x' } } as UnsignedEntry)
  const oldClock = await signEntry(a.key, { ...u2, hlc: [9, 0], body: { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 8, name: 'x' } } as UnsignedEntry)
  const hash = stateHash(state)
  assert.equal(applyEntry(state, forgedLink), 'broken')
  assert.equal(applyEntry(state, oldClock), 'broken', 'hlc must increase along a chain')
  assert.equal(stateHash(state), hash)
  assert.equal(applyEntry(state, e2), 'applied')
  assert.equal(applyEntry(state, e3), 'applied')
  assert.equal(state.peers.get(a.id)?.cores, 3)
})

test('equivocation freezes the author from that seq on, un-counts its later entries, and keeps both entries as evidence', async () => {
  const [a, b] = await writers(2)
  const x1 = await a.write('job', { spec, id: jobId }, [10, 0])
  const fork = { v: 1, author: a.id, seq: 2, prev: entryHash(x1), hlc: [20, 0], type: 'claim' } as const
  const x2 = await signEntry(a.key, { ...fork, body: { jobId, island: 0, epoch: 0, ttlMs: 5000 } })
  const y2 = await signEntry(a.key, { ...fork, body: { jobId, island: 1, epoch: 0, ttlMs: 5000 } })
  const x3 = await signEntry(a.key, { ...fork, seq: 3, prev: entryHash(x2), hlc: [30, 0], body: { jobId, island: 2, epoch: 0, ttlMs: 5000 } })
  const other = await b.write('claim', { jobId, island: 2, epoch: 0, ttlMs: 9000 }, [40, 0])

  const s1 = emptyLedger()
  for (const e of [x1, x2, x3, other]) assert.equal(applyEntry(s1, e), 'applied')
  assert.equal(unitStatus(s1, jobId, 2, 0, 35).status, 'leased')
  assert.equal(applyEntry(s1, y2), 'equivocation')
  const s2 = emptyLedger()
  for (const e of [other, x1, y2]) applyEntry(s2, e)
  assert.equal(applyEntry(s2, x2), 'equivocation')
  assert.equal(applyEntry(s2, x3), 'frozen')
  const s3 = emptyLedger()
  assert.equal(applyEvidence(s3, x2, y2), 'equivocation', 'two entries ahead of a gap are evidence too')
  assert.equal(applyEvidence(s3, y2, x2), 'frozen', 'the same evidence again changes nothing')
  for (const e of [x3, other, x1]) applyEntry(s3, e)

  const pair = [x2, y2].sort((p, q) => entryHash(p) < entryHash(q) ? -1 : 1)
  for (const s of [s1, s2, s3, foldEntries([y2, x3, other, x1, x2])]) {
    assert.equal(stateHash(s), stateHash(s1))
    assert.deepEqual(equivocationEvidence(s), [{ author: a.id, seq: 2, entries: pair }])
    assert.equal(s.chains.get(a.id)?.frozenAt, 2)
    assert.deepEqual(unitStatus(s, jobId, 0, 0, 25), { status: 'free', conflict: false }, "the frozen author's claims no longer count")
    assert.deepEqual(unitStatus(s, jobId, 2, 0, 45), { status: 'leased', by: b.id, until: 9040, conflict: false })
    assert.equal(jobs(s).length, 1, 'entries before the fork still count')
  }
})

test('with a trust judgement, only trusted commits count: a pending one holds its unit, a rejected one frees it', async () => {
  const [a, b, c] = await writers(3)
  // c (the smallest hlc: it would count without checks) commits a wrong (0,0); b commits the right one later.
  const wrong = commitBody(0, 0, [best(9, 1e6)])
  const right = commitBody(0, 0, [best(1, 2)])
  const state = apply([
    await a.write('job', { spec, id: jobId }, [100, 0]),
    await c.write('commit', wrong, [1000, 0]),
    await c.write('commit', commitBody(1, 0, [best(5, 3)]), [1001, 0]),
  ])
  const verdicts = new Map<string, CommitVerdict>()
  const trust: CommitTrust = commit => verdicts.get(commit.checkpointHash) ?? 'pending'
  assert.equal(countedCommit(state.units.get(unitKey(jobId, 0, 0))), state.units.get(unitKey(jobId, 0, 0))?.commits[0], 'without judgement the earliest counts')
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 0, trust), { status: 'checking', conflict: false })
  assert.deepEqual(claimableUnits(state, jobId, 0, trust), [{ island: 2, epoch: 0 }], 'units being checked are neither claimable nor inputs')
  assert.deepEqual([jobs(state, trust)[0].committed, leaderboard(state, jobId, 10, trust).length], [0, 0])

  verdicts.set(wrong.checkpointHash, 'rejected')
  verdicts.set(commitBody(1, 0, [best(5, 3)]).checkpointHash, 'trusted')
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 0, trust), { status: 'free', conflict: false })
  assert.deepEqual(claimableUnits(state, jobId, 0, trust), [{ island: 0, epoch: 0 }, { island: 2, epoch: 0 }], 'a unit with only rejected commits is computed again')
  assert.deepEqual(rejectedCommits(state, trust).map(r => [r.island, r.epoch, r.author, r.checkpointHash]), [[0, 0, c.id, wrong.checkpointHash]])
  assert.deepEqual(leaderboard(state, jobId, 10, trust).map(r => r.params.a), [5])

  applyEntry(state, await b.write('commit', right, [2000, 0]))
  verdicts.set(right.checkpointHash, 'trusted')
  assert.deepEqual(unitStatus(state, jobId, 0, 0, 0, trust), { status: 'committed', by: b.id, checkpointHash: right.checkpointHash, conflict: true })
  assert.deepEqual(conflicts(state, trust), [{ jobId, island: 0, epoch: 0, counted: { author: b.id, checkpointHash: right.checkpointHash }, other: { author: c.id, checkpointHash: wrong.checkpointHash }, rejected: true }])
  assert.deepEqual(leaderboard(state, jobId, 10, trust).map(r => [r.params.a, r.peer]), [[5, c.id], [1, b.id]], 'the wrong winner is gone, the honest row counts')
})
