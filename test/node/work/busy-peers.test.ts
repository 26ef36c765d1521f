/**
 * Claim turns are taken among the peers that can claim: a peer whose evaluators all hold units
 * (as the ledger shows) takes no turn, so an idle peer ranked below it claims a free unit at once
 * instead of a step later; and a peer alone never waits a turn. With 2 peers and one evaluator each,
 * those waits lay between most units of the next epoch.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogStore, type LogStore } from '../../../src/node/replication/log-store.js'
import { loadOrCreateIdentity } from '../../../src/node/mesh/identity.js'
import { busyPeers } from '../../../src/node/work/busy-peers.js'
import { ClaimOrder, claimRank } from '../../../src/node/work/claim-order.js'
import { unitKey } from '../../../src/ledger/queries.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { jobSpecFixture } from '../../helpers/job-spec-fixture.js'
import { schedulerRig, submitJob } from '../../helpers/scheduler-rig.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

async function store (): Promise<LogStore> {
  const dir = await tempDir()
  const { privateKey } = await loadOrCreateIdentity(dir.path)
  const logStore = createLogStore({ dataDir: dir.path, privateKey })
  await logStore.start()
  return logStore
}

const ISLANDS = 4

/**
 * Peer `other` submits a 4-island job, says it has `cores` evaluators and claims every unit but
 * one for which `self` ranks second; `self` holds all of it. Returns the free unit's island.
 */
async function otherHoldsAllButOne (self: LogStore, other: LogStore, cores: number): Promise<{ jobId: string, island: number } | null> {
  // The ranks depend on the two random peer ids: the first job whose units include one self ranks second for.
  const spec = Array.from({ length: 50 }, (_, seed) => ({ ...jobSpecFixture({ islands: ISLANDS, epochs: 1 }), seed }))
    .find(s => Array.from({ length: ISLANDS }, (_, i) => i).some(i => claimRank(self.author, [other.author], unitKey(canonicalHash(s), i, 0)) === 1))
  if (spec === undefined) return null
  const jobId = await submitJob(other, spec)
  const island = Array.from({ length: ISLANDS }, (_, i) => i).find(i => claimRank(self.author, [other.author], unitKey(jobId, i, 0)) === 1)
  if (island === undefined) return null
  await other.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores, name: 'other' })
  for (let i = 0; i < ISLANDS; i++) if (i !== island) await other.append('claim', { jobId, island: i, epoch: 0, ttlMs: 60_000 })
  await self.ingest(await other.range(other.author, 1, 100))
  return { jobId, island }
}

/** Runs a scheduler on `self` with a clock that never moves: a claim turn that is not due now never comes. */
async function claimsWithin (self: LogStore, other: LogStore, ms: number): Promise<number[]> {
  const frozen = Date.now()
  const rig = schedulerRig(self, { clock: () => frozen, monotonic: () => 0, unitMs: null, livePeers: () => [other.author] })
  rig.scheduler.start()
  try {
    await waitFor(() => rig.scheduler.running().length > 0, { timeoutMs: ms, message: 'a claim' }).catch(() => {})
    return rig.scheduler.running().map(r => r.island)
  } finally {
    await rig.scheduler.stop()
  }
}

test('busyPeers: a peer holding as many open units as its hello has cores is busy, one with spare evaluators is not', async () => {
  const self = await store()
  const other = await store()
  try {
    const setup = await otherHoldsAllButOne(self, other, ISLANDS - 1)
    assert.ok(setup !== null, 'some job has a unit self ranks second for')
    const now = Date.now()
    assert.deepEqual([...busyPeers(self.state(), [setup.jobId], now)], [other.author], `${ISLANDS - 1} leases, ${ISLANDS - 1} cores`)
    assert.deepEqual([...busyPeers(self.state(), [], now)], [], 'only the given jobs count')
    assert.deepEqual([...busyPeers(self.state(), [setup.jobId], now + 61_000)], [], 'lapsed leases hold nothing')
    assert.deepEqual([...busyPeers(self.state(), [setup.jobId], now, { unitMs: 30_000, stepMs: 200 })], [other.author], 'units claimed just now run for a while yet')
    assert.deepEqual([...busyPeers(self.state(), [setup.jobId], now, { unitMs: 100, stepMs: 200 })], [], 'units due to end within a step: it may be claiming the next one now')
    await other.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: ISLANDS, name: 'other' })
    await self.ingest(await other.range(other.author, 1, 100))
    assert.deepEqual([...busyPeers(self.state(), [setup.jobId], now)], [], 'an evaluator to spare')
  } finally {
    await self.stop()
    await other.stop()
  }
})

test('an idle peer claims a free unit at once when the peer ranked above it is busy', async () => {
  const self = await store()
  const other = await store()
  try {
    const setup = await otherHoldsAllButOne(self, other, 1)
    assert.ok(setup !== null)
    assert.deepEqual(await claimsWithin(self, other, 3_000), [setup.island], 'claimed without waiting for a turn the frozen clock never reaches')
  } finally {
    await self.stop()
    await other.stop()
  }
})

test('an idle peer still waits its turn when the peer ranked above it has an evaluator free', async () => {
  const self = await store()
  const other = await store()
  try {
    const setup = await otherHoldsAllButOne(self, other, ISLANDS)
    assert.ok(setup !== null)
    assert.deepEqual(await claimsWithin(self, other, 1_000), [], 'the peer above may be claiming it: its turn comes first')
  } finally {
    await self.stop()
    await other.stop()
  }
})

test('a peer with no rival claims a unit free since before its evaluator came free without waiting a step', () => {
  const order = new ClaimOrder('peer-0', () => [])
  const keyOf = (u: { island: number, epoch: number }): string => `j:${u.island}:${u.epoch}`
  const unit = { island: 1, epoch: 0 }
  assert.deepEqual(order.choose('j', [unit], keyOf, 1_000), { unit })
  // It stays free (this peer's evaluator was busy with another unit), then the evaluator comes free.
  order.evaluatorFreed(5_000)
  assert.deepEqual(order.choose('j', [unit], keyOf, 5_000), { unit })
  // With a rival that is not busy, the same wait still applies: the rival may be claiming it.
  const rivalled = new ClaimOrder('peer-0', () => ['peer-1'])
  rivalled.choose('j', [unit], keyOf, 1_000)
  rivalled.evaluatorFreed(5_000)
  assert.ok('waitMs' in (rivalled.choose('j', [unit], keyOf, 5_000) ?? {}), 'a unit free for a while waits a step for the rival')
})
