/**
 * One look for work reads the claim candidates once, however many jobs are open: reading them
 * scans the ledger's leases (claimCandidates), and a look ranks the free units of every open job
 * until one is this peer's turn.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createLogStore } from '../../../src/node/replication/index.js'
import { createScheduler } from '../../../src/node/work/index.js'
import { claimRank } from '../../../src/node/work/claim-order.js'
import { unitKey } from '../../../src/ledger/queries.js'
import { createPeerEvents } from '../../../src/node/peer-events.js'
import type { PoolJob } from '../../../src/node/evaluators/index.js'
import type { Checkpoint } from '../../../src/protocol/job-spec.js'
import { jobSpecFixture } from '../../helpers/job-spec-fixture.js'
import { submitJob } from '../../helpers/scheduler-rig.js'
import { tempDir } from '../../helpers/temp-dir.js'

const JOBS = 3
const ISLANDS = 4

test(`a look over ${JOBS} open jobs reads the claim candidates once`, async () => {
  const dir = await tempDir()
  const store = createLogStore({ dataDir: dir.path, privateKey: await generateKeyPair('Ed25519') })
  await store.start()
  const keys: string[] = []
  for (let seed = 1; seed <= JOBS; seed++) {
    const id = await submitJob(store, { ...jobSpecFixture({ islands: ISLANDS, epochs: 2 }), seed })
    for (let island = 0; island < ISLANDS; island++) keys.push(unitKey(id, island, 0))
  }
  // Members that rank above this peer for every free unit: no unit is its turn yet, so the look
  // ranks every job's units and claims nothing.
  const others: string[] = []
  while (keys.some(k => claimRank(store.author, others, k) === 0)) others.push(`member-${others.length}`)
  let reads = 0
  let asked = 0
  const library = { readiness: () => { asked++; return { ready: true as const, job: {} as unknown as PoolJob } }, markBroken: async () => {} }
  const pool = { runUnit: async (): Promise<Checkpoint> => await new Promise<Checkpoint>(() => {}) }
  const scheduler = createScheduler({ logStore: store, pool, library, events: createPeerEvents(), clock: Date.now, livePeers: () => { reads++; return others } }, { capacity: 1 })
  try {
    // The first look runs within start(): nothing in it awaits while no unit is claimed.
    scheduler.start()
    assert.equal(asked, JOBS, 'the look went through every open job')
    assert.equal(reads, 1, 'and read the candidates once for all of them')
    assert.deepEqual(scheduler.running(), [], 'no unit was this peer\'s turn')
  } finally {
    await scheduler.stop()
    await store.stop()
  }
})
