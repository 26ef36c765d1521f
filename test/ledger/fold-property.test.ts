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
import { applyEntry, applyEvidence, emptyLedger, foldEntries, type LedgerState } from '../../src/ledger/fold.js'
import { claimableUnits, conflicts, equivocationEvidence, jobs, leaderboard, stateHash, unitStatus } from '../../src/ledger/queries.js'
import { chain, jobId, shuffled } from '../helpers/ledger-entries.js'

const TRIALS = 40
const ENTRIES_PER_AUTHOR = 14

async function entrySet (rng: Prng): Promise<{ entries: Entry[], forkers: string[] }> {
  const entries: Entry[] = []
  for (let a = 0; a < 4; a++) entries.push(...await chain(await generateKeyPair('Ed25519'), rng, ENTRIES_PER_AUTHOR, a))
  // Forks at seq 4 (both branches continue) and at seq 1.
  const k1 = await generateKeyPair('Ed25519')
  const trunk = await chain(k1, rng, ENTRIES_PER_AUTHOR, 4)
  const branch = await chain(k1, createPrng(99), 8, 4, trunk.slice(0, 3))
  const k2 = await generateKeyPair('Ed25519')
  const one = await chain(k2, rng, 3, 5)
  const other = await chain(k2, createPrng(7), 2, 5)
  entries.push(...trunk, ...branch.slice(3), ...one, ...other)
  return { entries, forkers: [peerIdFromPrivateKey(k1).toString(), peerIdFromPrivateKey(k2).toString()] }
}

/** Applies entries one by one in the given order, retrying those that wait, as a store does. */
function incremental (entries: readonly Entry[]): LedgerState {
  const state = emptyLedger()
  let waiting = [...entries]
  for (let progress = true; progress;) {
    progress = false
    const next: Entry[] = []
    for (const e of waiting) {
      const r = applyEntry(state, e)
      if (r === 'gap' || r === 'broken') next.push(e)
      else progress = true
    }
    // Two different entries waiting at one (author, seq) are evidence even though neither applies.
    const bySlot = new Map<string, Entry>()
    for (const e of next) {
      const slot = `${e.author}/${e.seq}`
      const seen = bySlot.get(slot)
      if (seen !== undefined && entryHash(seen) !== entryHash(e) && applyEvidence(state, seen, e) === 'equivocation') progress = true
      bySlot.set(slot, e)
    }
    waiting = next
  }
  return state
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

test('a different set gives a different state hash', async () => {
  const rng = createPrng(5)
  const { entries } = await entrySet(rng)
  const full = stateHash(foldEntries(entries))
  const honest = entries.filter(e => e.type === 'commit')
  assert.notEqual(stateHash(foldEntries(entries.filter(e => e !== honest[0]))), full)
})
