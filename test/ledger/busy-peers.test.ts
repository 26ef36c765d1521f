/**
 * Which authors have every evaluator leased: the claim order leaves them out (claim-order.ts).
 * The counts come from the fold's index of units holding a lease; on random ledgers they must
 * equal the definition over every unit, whatever order the entries came in.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { activeLeaseCounts, busyPeers } from '../../src/ledger/queries.js'
import { applyEntry, emptyLedger, foldEntries } from '../../src/ledger/fold.js'
import type { LeaseRecord, LedgerState, UnitRecord } from '../../src/ledger/state.js'
import type { HelloBody } from '../../src/protocol/entry-bodies.js'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createPrng } from '../../src/engine/prng.js'
import { chain, incremental, jobId, shuffled } from '../helpers/ledger-entries.js'

const hello = (cores: number): HelloBody & { seq: number } => ({ fingerprint: 'f', isolateInterface: 1, cores, name: 'n', seq: 1 })
const lease = (author: string, until: number): LeaseRecord => ({ author, claimHlc: [0, 0], seq: 1, until })
function unit (jobId: string, island: number, ...leases: LeaseRecord[]): [string, UnitRecord] {
  return [`${jobId}:${island}:0`, { jobId, island, epoch: 0, leases: new Map(leases.map(l => [l.author, l])), commits: [] }]
}

test('an author is busy while its active leases, across jobs, fill the cores of its latest hello', () => {
  const state = {
    peers: new Map([['one', hello(1)], ['two', hello(2)]]),
    leased: new Map([unit('j', 0, lease('one', 2_000), lease('two', 2_000)), unit('k', 0, lease('two', 3_000)), unit('k', 1, lease('nohello', 2_000))]),
  }
  assert.deepEqual([...activeLeaseCounts(state, 1_000)].sort(), [['nohello', 1], ['one', 1], ['two', 2]])
  assert.deepEqual([...busyPeers(state, 1_000)].sort(), ['nohello', 'one', 'two'], 'one core full; two cores full over two jobs; no hello counts as one core')
  assert.deepEqual([...busyPeers(state, 2_000)], [], 'a lease that lapsed frees its core (active while now < until): two has one of two left')
  assert.deepEqual([...activeLeaseCounts(state, 2_000)], [['two', 1]])
  state.peers.set('two', hello(3))
  assert.deepEqual([...busyPeers(state, 1_000)].sort(), ['nohello', 'one'], 'a later hello with more cores frees it')
})

/** The definition the index must keep: every unit of every job, active leases by author. */
function countsOverEveryUnit (state: LedgerState, nowMs: number): Map<string, number> {
  const counts = new Map<string, number>()
  for (const unit of state.units.values()) {
    for (const lease of unit.leases.values()) if (lease.until > nowMs) counts.set(lease.author, (counts.get(lease.author) ?? 0) + 1)
  }
  return counts
}

const sorted = <T>(items: Iterable<T>): T[] => [...items].sort()

test('on random ledgers, in any order, the lease index gives the counts and busy peers of a scan of every unit', async () => {
  const rng = createPrng(20261207)
  const entries: Entry[] = []
  for (let a = 0; a < 5; a++) entries.push(...await chain(await generateKeyPair('Ed25519'), rng, 30, a))
  // An author that forks at seq 6: applied one by one, the fork arrives late and the views are
  // rebuilt (reproject), index included.
  const forker = await generateKeyPair('Ed25519')
  const trunk = await chain(forker, rng, 20, 5)
  entries.push(...trunk, ...(await chain(forker, createPrng(3), 12, 5, trunk.slice(0, 5))).slice(5))
  let active = 0
  let left = 0
  for (let trial = 0; trial < 24; trial++) {
    const dupes = Array.from({ length: rng.int(entries.length) }, () => entries[rng.int(entries.length)])
    const order = shuffled([...entries, ...dupes], rng)
    for (const state of [foldEntries(order), incremental(order)]) {
      const holding = sorted([...state.units].filter(([, u]) => u.leases.size > 0).map(([k]) => k))
      assert.deepEqual(sorted(state.leased.keys()), holding, `trial ${trial}: the index holds exactly the units with a lease`)
      for (const [key, unit] of state.leased) assert.equal(unit, state.units.get(key), 'the index points at the unit records themselves')
      left += state.units.size - state.leased.size
      for (let now = 0; now <= 24_000; now += 750) {
        const expected = countsOverEveryUnit(state, now)
        assert.deepEqual(sorted(activeLeaseCounts(state, now)), sorted(expected), `trial ${trial} at ${now}`)
        const busy = sorted([...expected].filter(([a, n]) => n >= (state.peers.get(a)?.cores ?? 1)).map(([a]) => a))
        assert.deepEqual(sorted(busyPeers(state, now)), busy, `trial ${trial} at ${now}: busy peers`)
        active += expected.size
      }
    }
  }
  assert.ok(active > 0, 'the random ledgers hold active leases')
  assert.ok(left > 0, 'some units left the index (released or committed)')
})

test('a fork that un-counts an author\'s claims takes its units out of the index', async () => {
  const key = await generateKeyPair('Ed25519')
  const author = peerIdFromPrivateKey(key).toString()
  const sign = async (seq: number, prev: Entry | null, island: number): Promise<Entry> => await signEntry(key, { v: 1, author, seq, prev: prev === null ? null : entryHash(prev), hlc: [1000 + seq, 0], type: 'claim', body: { jobId, island, epoch: 0, ttlMs: 60_000 } } as UnsignedEntry)
  const first = await sign(1, null, 0)
  const second = await sign(2, first, 1)
  const fork = await sign(2, first, 2)
  const state = emptyLedger()
  for (const e of [first, second]) applyEntry(state, e)
  assert.deepEqual(sorted(state.leased.keys()), [`${jobId}:0:0`, `${jobId}:1:0`])
  assert.equal(applyEntry(state, fork), 'equivocation')
  assert.deepEqual(sorted(state.leased.keys()), [`${jobId}:0:0`], 'frozen from seq 2: only the first claim counts')
  assert.deepEqual([...activeLeaseCounts(state, 2_000)], [[author, 1]])
})
