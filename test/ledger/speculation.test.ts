/**
 * Speculative units over random entry sets and random verdicts: the units that start without
 * speculation are exactly a speculative one has every input committed and one still
 * being checked, and the standing of the inputs it would start from follows the verdicts.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createPrng } from '../../src/engine/prng.js'
import { foldEntries } from '../../src/ledger/fold.js'
import { countedCommit, TRUST_ALL, unitKey, type CommitTrust, type CommitVerdict } from '../../src/ledger/queries.js'
import { claimableUnits, inputCommit, inputsStanding, startableUnits } from '../../src/ledger/speculation.js'
import { unitInputs } from '../../src/protocol/unit-layout.js'
import type { Entry } from '../../src/protocol/entry.js'
import { chain, jobId } from '../helpers/ledger-entries.js'

const TRIALS = 40
const VERDICTS: readonly CommitVerdict[] = ['trusted', 'pending', 'rejected']

test('startable units: the trusted ones are claimableUnits, the speculative ones wait on a check, and their inputs stand as the verdicts say', async () => {
  const rng = createPrng(15)
  let speculative = 0
  for (let t = 0; t < TRIALS; t++) {
    const entries: Entry[] = []
    for (let a = 0; a < 3; a++) entries.push(...await chain(await generateKeyPair('Ed25519'), rng, 12, a))
    const state = foldEntries(entries)
    const verdictOf = new Map<string, CommitVerdict>()
    const trust: CommitTrust = c => {
      if (!verdictOf.has(c.checkpointHash)) verdictOf.set(c.checkpointHash, VERDICTS[rng.int(3)])
      return verdictOf.get(c.checkpointHash) as CommitVerdict
    }
    const now = 1000 + rng.int(8) * 500
    const all = startableUnits(state, jobId, now, trust)
    assert.deepEqual(all.filter(u => !u.speculative).map(({ island, epoch }) => ({ island, epoch })), claimableUnits(state, jobId, now, trust), `trial ${t}`)
    assert.ok(startableUnits(state, jobId, now, TRUST_ALL).every(u => !u.speculative), `trial ${t}: nothing is speculative when every commit counts`)
    for (const u of all.filter(x => x.speculative)) {
      speculative++
      const need = unitInputs(3, u.island, u.epoch)
      const used = new Map<string, string>()
      for (const [i, e] of [need.previous, need.migrants].filter(n => n !== null)) {
        const key = unitKey(jobId, i, e)
        const input = inputCommit(state.units.get(key), trust)
        assert.ok(input !== null, `trial ${t}: every input of a speculative unit is committed`)
        assert.equal(input.trusted, countedCommit(state.units.get(key), trust) !== null)
        used.set(key, input.commit.checkpointHash)
      }
      assert.equal(inputsStanding(state, used, trust), 'pending', `trial ${t}`)
      // Every verdict now passes: the inputs it started from count.
      const passed: CommitTrust = (c, unit) => trust(c, unit) === 'pending' ? 'trusted' : trust(c, unit)
      const standing = inputsStanding(state, used, passed)
      assert.ok(standing === 'trusted' || standing === 'changed', `trial ${t}`)
      // An earlier commit that passes only now may count instead of the one it started from (then it is 'changed').
      const counts = [...used].every(([key, hash]) => countedCommit(state.units.get(key), passed)?.checkpointHash === hash)
      assert.equal(standing === 'trusted', counts, `trial ${t}: trusted exactly when what it started from counts`)
      // Every verdict now fails: none of its pending inputs can count.
      const failed: CommitTrust = (c, unit) => trust(c, unit) === 'pending' ? 'rejected' : trust(c, unit)
      assert.equal(inputsStanding(state, used, failed), 'changed', `trial ${t}`)
    }
  }
  assert.ok(speculative > 0, 'some trials had speculative units')
})
