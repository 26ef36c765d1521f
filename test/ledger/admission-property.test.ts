/**
 * Order independence of admission: one entry set (honest chains, replays, entries ahead of their
 * predecessors, forged signatures, a wrong prev, entries from clocks too far ahead, two
 * equivocating authors) delivered in random orders and random batches gives every entry the same
 * verdict and the receiver the same state hash, that of the fold of the admissible entries.
 * Time is an argument: delivered again once the receiver's clock has caught up, the entries
 * refused for clock skew are admitted, again in every order.
 *
 * An equivocating author's entries from its frozen seq on are only checked as 'frozen': which of
 * them was refused with which code depends on what arrived first, and only the evidence kept
 * (part of the state hash) is order-free. Each fork has three entries at its seq, so two of them
 * may meet (in the pending pool or the chain) before the third arrives, which must still take
 * part in choosing the evidence.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import { MAX_CLOCK_SKEW_MS } from '../../src/protocol/limits.js'
import { createPrng, type Prng } from '../../src/engine/prng.js'
import { admissionOf, admit, type Admission, type AdmissionState } from '../../src/ledger/admission.js'
import { foldEntries } from '../../src/ledger/fold.js'
import { stateHash } from '../../src/ledger/queries.js'
import { chain, shuffled } from '../helpers/ledger-entries.js'

const TRIALS = 30
const MAX_BATCH = 8
const CHAIN_LENGTH = 10
/** The receiver's clock in the first delivery: far after every honest entry's hlc. */
const NOW = 100_000
/** The wall time of entries from a clock too far ahead of NOW. */
const FUTURE = NOW + MAX_CLOCK_SKEW_MS + 5_000
/** The receiver's clock in the second delivery: the fast clocks are within the bound of it. */
const LATER = FUTURE + 1_000

interface EntrySet {
  readonly entries: Entry[]
  /** Verdict by entry hash after delivery at NOW, then again at LATER. */
  readonly expectedNow: Map<string, string>
  readonly expectedLater: Map<string, string>
  /** The entries the state is the fold of, after each delivery. */
  readonly foldNow: Entry[]
  readonly foldLater: Entry[]
}

async function signed (key: PrivateKey, over: Partial<UnsignedEntry> & Pick<UnsignedEntry, 'seq' | 'prev' | 'hlc'>): Promise<Entry> {
  const author = peerIdFromPrivateKey(key).toString()
  return await signEntry(key, { v: 1, author, type: 'hello', body: { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: 'n' }, ...over } as UnsignedEntry)
}

/** A copy with a later hlc and the original's signature: a different entry, badly signed. */
function forgedCopy (e: Entry): Entry {
  return { ...e, hlc: [e.hlc[0], e.hlc[1] + 1], sig: e.sig }
}

/** A chain on a clock too far ahead of NOW. */
async function fastChain (key: PrivateKey, n: number): Promise<Entry[]> {
  const out: Entry[] = []
  for (let seq = 1; seq <= n; seq++) {
    const prev = out.at(-1)
    out.push(await signed(key, { seq, prev: prev === undefined ? null : entryHash(prev), hlc: [FUTURE, seq] }))
  }
  return out
}

async function entrySet (rng: Prng): Promise<EntrySet> {
  const keys = await Promise.all(Array.from({ length: 6 }, async () => await generateKeyPair('Ed25519')))
  const honest = await Promise.all([0, 1, 2].map(async a => await chain(keys[a], rng, CHAIN_LENGTH, a)))
  const forged = [forgedCopy(honest[0][4]), forgedCopy(honest[1][2]), forgedCopy(honest[2][0])]
  const [tail1, tail2] = [honest[1].at(-1) as Entry, honest[2].at(-1) as Entry]
  const wrongPrev = await signed(keys[1], { seq: CHAIN_LENGTH + 1, prev: 'ef'.repeat(32), hlc: [tail1.hlc[0] + 500, 0] })
  const ahead = await signed(keys[2], { seq: CHAIN_LENGTH + 1, prev: entryHash(tail2), hlc: [FUTURE, 0] })
  const fast = await fastChain(keys[3], 4)
  // Three-way forks at seq 4 (every branch continues) and at seq 1.
  const trunk = await chain(keys[4], rng, CHAIN_LENGTH, 4)
  const branches = await Promise.all([99, 98].map(async (seed, i) => (await chain(keys[4], createPrng(seed), 8 - 2 * i, 4, trunk.slice(0, 3))).slice(3)))
  const rivals = await Promise.all([7, 8].map(async seed => await chain(keys[5], createPrng(seed), 2, 5)))
  const firsts = await chain(keys[5], rng, 3, 5)
  const forked = [...trunk, ...branches.flat(), ...firsts, ...rivals.flat()]
  assert.equal(new Set([trunk[3], ...branches.map(b => b[0])].map(entryHash)).size, 3, 'three entries at seq 4')
  assert.equal(new Set([firsts[0], ...rivals.map(r => r[0])].map(entryHash)).size, 3, 'three entries at seq 1')
  const frozenAt = new Map([[trunk[0].author, 4], [forked.at(-1)?.author as string, 1]])

  const verdict = (e: Entry, otherwise: string): [string, string] => {
    const at = frozenAt.get(e.author)
    return [entryHash(e), at === undefined ? otherwise : e.seq < at ? 'admitted' : 'frozen']
  }
  const now = [...honest.flat(), ...forked].map(e => verdict(e, 'admitted'))
  for (const e of forged) now.push(verdict(e, 'ENTRY_BAD_SIGNATURE'))
  now.push(verdict(wrongPrev, 'ENTRY_BAD_PREV'), verdict(ahead, 'ENTRY_CLOCK_SKEW'), verdict(fast[0], 'ENTRY_CLOCK_SKEW'))
  for (const e of fast.slice(1)) now.push(verdict(e, 'pending'))
  const expectedNow = new Map(now)
  const expectedLater = new Map([...now, ...[ahead, ...fast].map(e => verdict(e, 'admitted'))])
  const foldNow = [...honest.flat(), ...forked]
  return {
    entries: [...foldNow, ...forged, wrongPrev, ahead, ...fast],
    expectedNow,
    expectedLater,
    foldNow,
    foldLater: [...foldNow, ahead, ...fast]
  }
}

/** What a receiver has said about each entry, by hash. */
class Verdicts {
  private readonly admitted = new Set<string>()
  private readonly refused = new Map<string, string>()

  record (result: Admission): void {
    for (const e of result.accepted) this.admitted.add(entryHash(e))
    for (const r of result.rejected) if (r.entry !== undefined) this.refused.set(entryHash(r.entry), r.code)
  }

  /** Each entry's verdict now that every entry was delivered and the pool has drained what it could. */
  of (state: AdmissionState, entries: readonly Entry[]): Map<string, string> {
    const out = new Map<string, string>()
    for (const e of entries) {
      const hash = entryHash(e)
      const frozenAt = state.fold.chains.get(e.author)?.frozenAt ?? null
      const waiting = state.pool.get(e.author, e.seq)
      let verdict = this.refused.get(hash) ?? 'never decided'
      if (frozenAt !== null && e.seq >= frozenAt) verdict = 'frozen'
      else if (this.admitted.has(hash)) verdict = 'admitted'
      else if (waiting !== undefined && entryHash(waiting) === hash) verdict = 'pending'
      out.set(hash, verdict)
    }
    return out
  }
}

/** Delivers `entries` with replays, in a random order and random batches. */
async function deliver (state: AdmissionState, entries: readonly Entry[], rng: Prng, nowMs: number, verdicts: Verdicts): Promise<void> {
  const replays = Array.from({ length: rng.int(entries.length) }, () => entries[rng.int(entries.length)])
  const order = shuffled([...entries, ...replays], rng)
  for (let i = 0; i < order.length;) {
    const batch = order.slice(i, i + 1 + rng.int(MAX_BATCH))
    i += batch.length
    verdicts.record(await admit(state, batch, { nowMs }))
  }
}

const sorted = (m: Map<string, string>): [string, string][] => [...m.entries()].sort(([a], [b]) => a < b ? -1 : 1)

test('every order and batching of an entry set gives each entry one verdict and the receiver one state hash', async () => {
  const rng = createPrng(20261201)
  const set = await entrySet(rng)
  const hashNow = stateHash(foldEntries(set.foldNow))
  const hashLater = stateHash(foldEntries(set.foldLater))
  assert.equal(new Set(set.entries.map(entryHash)).size, set.entries.length, 'the set holds distinct entries')
  assert.deepEqual([...foldEntries(set.foldNow).chains.values()].map(c => c.frozenAt).filter(f => f !== null).sort(), [1, 4], 'two authors equivocate')
  for (let t = 0; t < TRIALS; t++) {
    const state = admissionOf([], [])
    const verdicts = new Verdicts()
    await deliver(state, set.entries, rng, NOW, verdicts)
    assert.deepEqual(sorted(verdicts.of(state, set.entries)), sorted(set.expectedNow), `trial ${t}: verdicts at NOW`)
    assert.equal(stateHash(state.fold), hashNow, `trial ${t}: state at NOW`)
    await deliver(state, set.entries, rng, LATER, verdicts)
    assert.deepEqual(sorted(verdicts.of(state, set.entries)), sorted(set.expectedLater), `trial ${t}: verdicts at LATER`)
    assert.equal(stateHash(state.fold), hashLater, `trial ${t}: state at LATER`)
  }
})
