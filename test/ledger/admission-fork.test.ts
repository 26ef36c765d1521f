/**
 * Forks of more than two entries at one seq. Whatever order the fork's entries arrive in (with
 * the entry before them missing, so that some of them meet in the pending pool first, and with a
 * child of one branch), singly or in batches, the receiver keeps the evidence the fold picks (the
 * two smallest hashes) and has the state hash of the fold of the whole set.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { entryHash, type Entry } from '../../src/protocol/entry.js'
import { createPrng, type Prng } from '../../src/engine/prng.js'
import { admissionOf, admit, type AdmissionState } from '../../src/ledger/admission.js'
import { foldEntries } from '../../src/ledger/fold.js'
import { stateHash } from '../../src/ledger/queries.js'
import { chain, shuffled } from '../helpers/ledger-entries.js'

const NOW = 100_000
/** The seq of the fork; the entry before it arrives among the fork's entries. */
const FORK_SEQ = 5
const MAX_BATCH = 4

interface Fork {
  /** Entries stored before the fork's entries arrive: the chain up to FORK_SEQ - 2. */
  readonly stored: Entry[]
  /** The entry at FORK_SEQ - 1, the fork's entries at FORK_SEQ, and a child of one branch. */
  readonly arriving: Entry[]
  readonly forked: Entry[]
}

/** A chain of FORK_SEQ + 1 entries and `ways - 1` more branches from its entry FORK_SEQ - 1. */
async function fork (ways: number): Promise<Fork> {
  const key = await generateKeyPair('Ed25519')
  const trunk = await chain(key, createPrng(ways), FORK_SEQ + 1, 1)
  const forked = [trunk[FORK_SEQ - 1]]
  for (let b = 1; b < ways; b++) forked.push((await chain(key, createPrng(1000 * ways + b), FORK_SEQ, 1, trunk.slice(0, FORK_SEQ - 1)))[FORK_SEQ - 1])
  assert.equal(new Set(forked.map(entryHash)).size, ways, 'the branches differ at the fork')
  return { stored: trunk.slice(0, FORK_SEQ - 2), arriving: [trunk[FORK_SEQ - 2], ...forked, trunk[FORK_SEQ]], forked }
}

function* permutations<T> (items: readonly T[]): Generator<T[]> {
  if (items.length <= 1) { yield [...items]; return }
  for (let i = 0; i < items.length; i++) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i], ...rest]
  }
}

/** `order` cut into batches of random sizes. */
function batches<T> (order: readonly T[], rng: Prng): T[][] {
  const out: T[][] = []
  for (let i = 0; i < order.length;) {
    const size = 1 + rng.int(MAX_BATCH)
    out.push(order.slice(i, i + size))
    i += size
  }
  return out
}

function check (state: AdmissionState, f: Fork, expected: string, label: string): void {
  const author = f.forked[0].author
  const pair = f.forked.map(entryHash).sort().slice(0, 2)
  assert.deepEqual(state.fold.evidence.get(author)?.entries.map(entryHash), pair, `${label}: the evidence is the two smallest hashes`)
  assert.equal(state.fold.chains.get(author)?.entries.length, FORK_SEQ - 1, `${label}: nothing from the fork on counts`)
  assert.equal(stateHash(state.fold), expected, `${label}: the state hash is the fold's`)
}

/** Every order of a three-way fork's five arriving entries; a seeded sample of the 720 of a four-way one. */
const ORDERS = new Map([[3, Infinity], [4, 120]])

for (const [ways, sample] of ORDERS) {
  test(`a ${ways}-way fork at one seq gives one state in ${sample === Infinity ? 'every arrival order' : `${sample} sampled arrival orders`}, singly and in batches`, async () => {
    const f = await fork(ways)
    const expected = stateHash(foldEntries([...f.stored, ...f.arriving]))
    const rng = createPrng(20261212 + ways)
    const all = [...permutations(f.arriving)]
    assert.equal(all.length, [1, 2, 3, 4, 5, 6].slice(0, ways + 2).reduce((a, b) => a * b))
    let orders = 0
    for (const order of sample >= all.length ? all : shuffled(all, rng).slice(0, sample)) {
      const single = admissionOf(f.stored, [])
      for (const e of order) await admit(single, [e], { nowMs: NOW })
      check(single, f, expected, `order ${orders} singly`)
      const batched = admissionOf(f.stored, [])
      for (const batch of batches(order, rng)) await admit(batched, batch, { nowMs: NOW })
      check(batched, f, expected, `order ${orders} in batches`)
      orders++
    }
    assert.equal(orders, Math.min(sample, all.length))
  })
}
