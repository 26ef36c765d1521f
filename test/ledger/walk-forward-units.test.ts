import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { entryHash, signEntry, type UnsignedEntry } from '../../src/protocol/entry.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import type { Checkpoint } from '../../src/protocol/job-spec.js'
import { applyEntry, emptyLedger } from '../../src/ledger/fold.js'
import { jobs, leaderboard, windowLeaderboard } from '../../src/ledger/queries.js'
import { claimableUnits } from '../../src/ledger/speculation.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const spec = createJobSpec({
  engine: ENGINE_FIXTURE,
  strategy: { hash: 'ab'.repeat(32), name: 's' },
  dataset: { hash: 'cd'.repeat(32), name: 'd', bars: 500 },
  ga: { islands: 2, epochs: 2 },
  walkForward: { mode: 'anchored', windows: [{ trainFrom: 0, trainTo: 300, testTo: 400 }, { trainFrom: 0, trainTo: 400, testTo: 500 }] },
})
const jobId = canonicalHash(spec)

test('a walk-forward job: units of every window are claimable at once, each epoch waits only on its own window, leaderboards per window', async () => {
  const key = await generateKeyPair('Ed25519')
  const author = peerIdFromPrivateKey(key).toString()
  let seq = 0
  let prev: string | null = null
  const state = emptyLedger()
  const write = async (type: 'job' | 'commit', body: unknown): Promise<void> => {
    const e = await signEntry(key, { v: 1, author, seq: ++seq, prev, hlc: [1000 + seq, 0], type, body } as UnsignedEntry)
    prev = entryHash(e)
    assert.equal(applyEntry(state, e), 'applied')
  }
  const commit = async (island: number, epoch: number, a: number, fitness: number): Promise<void> => {
    const genome = { params: { a }, fitness, inSample: null, outOfSample: null }
    const checkpoint: Checkpoint = { jobId, island, epoch, population: [{ params: { a }, fitness }], best: [genome], evaluations: 1, errors: 0 }
    await write('commit', { jobId, island, epoch, checkpointHash: canonicalHash(checkpoint), checkpoint })
  }
  await write('job', { spec, id: jobId })
  assert.deepEqual(claimableUnits(state, jobId, 0), [0, 1, 2, 3].map(island => ({ island, epoch: 0 })), 'both windows start at once')
  assert.equal(jobs(state)[0].total, 8)
  await commit(2, 0, 1, 5)
  await commit(3, 0, 2, 1)
  // Window 1's islands 2 and 3 form their own ring; window 0 has committed nothing yet.
  assert.deepEqual(claimableUnits(state, jobId, 0), [{ island: 0, epoch: 0 }, { island: 1, epoch: 0 }, { island: 2, epoch: 1 }, { island: 3, epoch: 1 }])
  await commit(0, 0, 3, 2)
  assert.deepEqual(claimableUnits(state, jobId, 0), [{ island: 1, epoch: 0 }, { island: 2, epoch: 1 }, { island: 3, epoch: 1 }], 'island 0 waits for island 1 of its window, not for window 1')
  assert.deepEqual(windowLeaderboard(state, jobId, 0, 10).map(r => r.params), [{ a: 3 }])
  assert.deepEqual(windowLeaderboard(state, jobId, 1, 10).map(r => r.params), [{ a: 1 }, { a: 2 }])
  assert.equal(leaderboard(state, jobId, 10).length, 3)
  assert.deepEqual(windowLeaderboard(state, jobId, 2, 10), [])
})
