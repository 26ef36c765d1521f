/**
 * Order independence of the ledger fold: random permutations and duplications of one random
 * entry set (several authors, leases, conflicting commits, two equivocating authors) give the
 * same state hash and the same query answers, whether folded as a set or applied one by one.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { entryHash, type Entry } from '../../src/protocol/entry.js'
import { createPrng, type Prng } from '../../src/engine/prng.js'
import { foldEntries, type LedgerState } from '../../src/ledger/fold.js'
import { byHlcThenAuthor, conflicts, equivocationEvidence, jobCancelled, jobPriority, jobs, leaderboard, stateHash, unitStatus } from '../../src/ledger/queries.js'
import { claimableUnits } from '../../src/ledger/speculation.js'
import { chain, incremental, jobId, shuffled } from '../helpers/ledger-entries.js'

const TRIALS = 40
const ENTRIES_PER_AUTHOR = 14

async function entrySet (rng: Prng, options: { jobControl?: boolean } = {}): Promise<{ entries: Entry[], forkers: string[] }> {
  const entries: Entry[] = []
  for (let a = 0; a < 4; a++) entries.push(...await chain(await generateKeyPair('Ed25519'), rng, ENTRIES_PER_AUTHOR, a, [], options))
  // Forks at seq 4 (both branches continue) and at seq 1.
  const k1 = await generateKeyPair('Ed25519')
  const trunk = await chain(k1, rng, ENTRIES_PER_AUTHOR, 4, [], options)
  const branch = await chain(k1, createPrng(99), 8, 4, trunk.slice(0, 3), options)
  const k2 = await generateKeyPair('Ed25519')
  const one = await chain(k2, rng, 3, 5, [], options)
  const other = await chain(k2, createPrng(7), 2, 5, [], options)
  entries.push(...trunk, ...branch.slice(3), ...one, ...other)
  return { entries, forkers: [peerIdFromPrivateKey(k1).toString(), peerIdFromPrivateKey(k2).toString()] }
}

function answers (state: LedgerState): unknown {
  return {
    jobs: jobs(state),
    conflicts: conflicts(state),
    leaderboard: leaderboard(state, jobId, 20),
    evidence: equivocationEvidence(state).map(ev => [ev.author, ev.seq, ev.entries.map(entryHash)]),
    claimable: [0, 3000, 6000, 9000].map(t => claimableUnits(state, jobId, t)),
    units: [0, 3000, 6000].flatMap(t => [0, 1, 2].flatMap(i => [0, 1].map(e => unitStatus(state, jobId, i, e, t))))
  }
}

test('random permutations and duplications of an entry set give the same state hash and answers', async () => {
  const rng = createPrng(20261123)
  const { entries, forkers } = await entrySet(rng)
  const reference = foldEntries(entries)
  const hash = stateHash(reference)
  const expected = answers(reference)
  assert.deepEqual(forkers.map(f => reference.chains.get(f)?.frozenAt).sort(), [1, 4])
  assert.equal(equivocationEvidence(reference).length, 2)
  assert.ok(reference.units.size > 0 && conflicts(reference).length > 0, 'the random set exercises leases and conflicts')
  for (let t = 0; t < TRIALS; t++) {
    const dupes = Array.from({ length: rng.int(entries.length) }, () => entries[rng.int(entries.length)])
    const order = shuffled([...entries, ...dupes], rng)
    assert.equal(stateHash(foldEntries(order)), hash, `trial ${t}: foldEntries`)
    const inc = incremental(order)
    assert.equal(stateHash(inc), hash, `trial ${t}: one by one`)
    if (t % 8 === 0) assert.deepEqual(answers(inc), expected)
  }
})

test('cancels and priorities: permutations and duplications give one state hash, cancel and priority', async () => {
  const rng = createPrng(20261205)
  const { entries } = await entrySet(rng, { jobControl: true })
  const reference = foldEntries(entries)
  const hash = stateHash(reference)
  const counted = [...reference.chains.values()].flatMap(c => c.entries)
  assert.ok(counted.some(e => e.type === 'cancel') && counted.some(e => e.type === 'priority'), 'the random set exercises job control')
  const expected = answers(reference)
  for (let t = 0; t < TRIALS; t++) {
    const dupes = Array.from({ length: rng.int(entries.length) }, () => entries[rng.int(entries.length)])
    const order = shuffled([...entries, ...dupes], rng)
    const folded = foldEntries(order)
    assert.equal(stateHash(folded), hash, `trial ${t}: foldEntries`)
    const inc = incremental(order)
    assert.equal(stateHash(inc), hash, `trial ${t}: one by one`)
    assert.deepEqual([jobCancelled(inc, jobId), jobPriority(inc, jobId)], [jobCancelled(reference, jobId), jobPriority(reference, jobId)])
    if (t % 8 === 0) assert.deepEqual(answers(inc), expected)
  }
  // The rules, recomputed from the counted entries without the fold's bookkeeping.
  const cancelled = counted.some(e => e.type === 'cancel' && e.body.jobId === jobId)
  const settings = counted.filter(e => (e.type === 'priority' && e.body.jobId === jobId) || (e.type === 'job' && e.body.id === jobId))
  const latest = settings.reduce((a, b) => byHlcThenAuthor(b, a) > 0 ? b : a)
  const priority = latest.type === 'priority' ? latest.body.priority : latest.type === 'job' ? latest.body.priority ?? 0 : NaN
  assert.equal(jobCancelled(reference, jobId), cancelled)
  assert.equal(jobPriority(reference, jobId), priority)
  assert.equal(jobs(reference)[0].cancelled, cancelled)
})

test('the state hash covers cancels', async () => {
  const rng = createPrng(11)
  const { entries } = await entrySet(rng, { jobControl: true })
  const cancels = entries.filter(e => e.type === 'cancel')
  assert.ok(cancels.length > 0)
  const withCancels = foldEntries(entries)
  // Dropping an author's cancel also drops the rest of its chain, so compare views instead: the
  // hash must see the cancels map.
  const without = foldEntries(entries)
  without.cancels.clear()
  assert.notEqual(stateHash(without), stateHash(withCancels))
})

test('a different set gives a different state hash', async () => {
  const rng = createPrng(5)
  const { entries } = await entrySet(rng)
  const full = stateHash(foldEntries(entries))
  const honest = entries.filter(e => e.type === 'commit')
  assert.notEqual(stateHash(foldEntries(entries.filter(e => e !== honest[0]))), full)
})
