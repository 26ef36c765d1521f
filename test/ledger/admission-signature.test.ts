/**
 * The entry hash does not cover the signature, so a copy of an entry with a bad signature has the
 * original's hash. Whatever order the copy and the original arrive in, in one batch or apart, the
 * original is admitted and the state is the fold's; only the copy's verdict differs (a silent
 * duplicate once the original is held, ENTRY_BAD_SIGNATURE before), which is a local counter.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { entryHash, type Entry } from '../../src/protocol/entry.js'
import { createPrng } from '../../src/engine/prng.js'
import { admissionOf, admit, type Admission } from '../../src/ledger/admission.js'
import { foldEntries } from '../../src/ledger/fold.js'
import { stateHash } from '../../src/ledger/queries.js'
import { chain } from '../helpers/ledger-entries.js'

const NOW = 100_000

/** `e` with another entry's signature: the same hash, badly signed. */
function badCopy (e: Entry, other: Entry): Entry {
  return { ...e, sig: other.sig }
}

const codes = (results: Admission[]): string[] => results.flatMap(r => r.rejected.map(x => x.code))

test('a badly signed copy never keeps the original out, in one batch or apart, before or after it', async () => {
  const entries = await chain(await generateKeyPair('Ed25519'), createPrng(5), 3, 1)
  const [e1, e2, e3] = entries
  const copy = badCopy(e2, e3)
  assert.equal(entryHash(copy), entryHash(e2))
  const expected = stateHash(foldEntries(entries))
  const deliveries: Record<string, Entry[][]> = {
    'copy first, one batch': [[e1, copy, e2, e3]],
    'original first, one batch': [[e1, e2, copy, e3]],
    'copy first, apart': [[e1], [copy], [e2, e3]],
    'original first, apart': [[e1], [e2], [copy], [e3]],
    'copy of a waiting entry': [[copy], [e2], [copy], [e3], [e1], [copy]]
  }
  for (const [label, batches] of Object.entries(deliveries)) {
    const state = admissionOf([], [])
    const results: Admission[] = []
    for (const batch of batches) results.push(await admit(state, batch, { nowMs: NOW }))
    assert.equal(stateHash(state.fold), expected, `${label}: the state is the fold's`)
    assert.deepEqual(results.flatMap(r => r.accepted).map(entryHash).sort(), entries.map(entryHash).sort(), `${label}: every original admitted once`)
    assert.ok(codes(results).every(c => c === 'ENTRY_BAD_SIGNATURE'), `${label}: the copy is at worst a bad signature`)
  }
})

test('a badly signed copy of an evidence entry is a duplicate and leaves the evidence as it is', async () => {
  const key = await generateKeyPair('Ed25519')
  const trunk = await chain(key, createPrng(1), 2, 1)
  const branch = (await chain(key, createPrng(2), 2, 1, trunk.slice(0, 1)))[1]
  const state = admissionOf([], [])
  await admit(state, [...trunk, branch], { nowMs: NOW })
  const before = stateHash(state.fold)
  const evidence = state.fold.evidence.get(trunk[0].author)
  assert.ok(evidence !== undefined, 'the fork froze its author')
  const [first, second] = evidence.entries
  const result = await admit(state, [badCopy(first, second), badCopy(second, first)], { nowMs: NOW })
  assert.deepEqual([result.duplicates, result.rejected.length, result.evidence.length], [2, 0, 0])
  assert.equal(stateHash(state.fold), before)
})
