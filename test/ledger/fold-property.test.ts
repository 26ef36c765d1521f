/**
 * Order independence of the ledger fold: random permutations and duplications of one random
 * entry set (several authors, leases, conflicting commits, two equivocating authors) give the
 * same state hash and the same query answers, whether folded as a set or applied one by one.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import type { EntryBodies, EntryType } from '../../src/protocol/entry-bodies.js'
import type { Hlc } from '../../src/protocol/hlc.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { createPrng, type Prng } from '../../src/engine/prng.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import type { Checkpoint } from '../../src/protocol/job-spec.js'
import { applyEntry, applyEvidence, emptyLedger, foldEntries, type LedgerState } from '../../src/ledger/fold.js'
import { claimableUnits, conflicts, equivocationEvidence, jobs, leaderboard, stateHash, unitStatus } from '../../src/ledger/queries.js'

const TRIALS = 40
const ENTRIES_PER_AUTHOR = 14
const spec = createJobSpec({ strategy: { hash: 'ab'.repeat(32), name: 's' }, dataset: { hash: 'cd'.repeat(32), name: 'd', bars: 500 }, ga: { islands: 3, epochs: 2 } })
const jobId = canonicalHash(spec)

function checkpoint (island: number, epoch: number, variant: number): EntryBodies['commit'] {
  const g = { params: { a: island * 10 + epoch, v: variant }, fitness: 1 + island + epoch / 10 + variant, inSample: null, outOfSample: null }
  const cp: Checkpoint = { jobId, island, epoch, population: [{ params: g.params, fitness: g.fitness }], best: [g], evaluations: 5, errors: 0 }
  return { jobId, island, epoch, checkpointHash: canonicalHash(cp), checkpoint: cp }
}

function randomBody (rng: Prng, author: number): [EntryType, EntryBodies[EntryType]] {
  const unit = { jobId, island: rng.int(3), epoch: rng.int(2) }
  switch (rng.int(6)) {
    case 0: return ['claim', { ...unit, ttlMs: 1000 + rng.int(5) * 1000 }]
    case 1: return ['renew', { ...unit, ttlMs: 1000 + rng.int(5) * 1000 }]
    case 2: return ['release', unit]
    case 3: return ['commit', checkpoint(unit.island, unit.epoch, rng.int(4) === 0 ? 1 : 0)]
    case 4: return ['blob-have', { blobs: [{ hash: String(rng.int(3)).repeat(64), size: author, kind: 'dataset' }] }]
    default: return ['hello', { engineVersion: '1', cores: 1 + rng.int(16), name: `p${author}` }]
  }
}

async function chain (key: PrivateKey, rng: Prng, n: number, author: number, start: Entry[] = []): Promise<Entry[]> {
  const id = peerIdFromPrivateKey(key).toString()
  const out = [...start]
  let hlc: Hlc = out.at(-1)?.hlc ?? [1000, 0]
  while (out.length < n) {
    // Small steps, often zero, so hlc ties between authors happen.
    const step = rng.int(3) * 500
    hlc = step === 0 ? [hlc[0], hlc[1] + 1] : [hlc[0] + step, 0]
    const [type, body] = out.length === 0 && author === 0 ? ['job', { spec, id: jobId }] as const : randomBody(rng, author)
    const prev = out.at(-1)
    out.push(await signEntry(key, { v: 1, author: id, seq: out.length + 1, prev: prev === undefined ? null : entryHash(prev), hlc, type, body } as UnsignedEntry))
  }
  return out
}

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

function shuffled<T> (items: readonly T[], rng: Prng): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
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
