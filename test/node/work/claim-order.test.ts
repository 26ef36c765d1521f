/**
 * Claim order: free units ranked among the live peers by rendezvous hashing, so one peer claims
 * each unit instead of every idle peer at once. Pure ranking, then real peers on loopback.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CLAIM_STEP_MS, ClaimOrder, MAX_CLAIM_RANKS, MAX_CLAIM_STEP_MS, MAX_CLAIM_WAIT_MS, claimCandidates, claimDelay, claimRank, claimRankCap } from '../../../src/node/work/claim-order.js'
import type { LeaseRecord, UnitRecord } from '../../../src/ledger/state.js'
import type { HelloBody } from '../../../src/protocol/entry-bodies.js'
import { createMesh, ledgerPeer, type LedgerPeer } from '../../helpers/mesh.js'
import { jobSpecFixture } from '../../helpers/job-spec-fixture.js'
import { schedulerRig, submitJob, type SchedulerRig } from '../../helpers/scheduler-rig.js'
import { waitFor } from '../../helpers/wait-for.js'
import { LEDGER_TOPIC } from '../../../src/protocol/sync-messages.js'

const PEERS = Array.from({ length: 30 }, (_, i) => `peer-${i}`)

test('every peer computes the same ranking: for each unit the ranks of all peers are 0..n-1, and units spread over peers', () => {
  const firsts = new Map<string, number>()
  for (let u = 0; u < 300; u++) {
    const key = `job:${u % 10}:${Math.floor(u / 10)}`
    const ranks = PEERS.map(self => claimRank(self, PEERS, key)).sort((a, b) => a - b)
    assert.deepEqual(ranks, PEERS.map((_, i) => i), `ranks of ${key}`)
    const first = PEERS.find(self => claimRank(self, PEERS, key) === 0) as string
    firsts.set(first, (firsts.get(first) ?? 0) + 1)
  }
  // 300 units over 30 peers: each is first for some; no peer for a large share.
  assert.ok(firsts.size >= 25, `${firsts.size} peers rank first somewhere`)
  assert.ok(Math.max(...firsts.values()) <= 30, 'no peer is first for most units')
  assert.equal(claimRank('peer-0', [], 'k'), 0, 'alone, a peer is first')
  assert.equal(claimRank('peer-0', ['peer-0', 'peer-0'], 'k'), 0, 'itself and duplicates do not count')
  assert.equal(claimDelay(0), 0)
  assert.equal(claimDelay(2), 2 * CLAIM_STEP_MS)
  assert.equal(claimDelay(1000), MAX_CLAIM_RANKS * CLAIM_STEP_MS)
})

test('a unit waits for its turn, counted from when this peer first saw it free, and anew once it was taken', () => {
  const others = PEERS.slice(1)
  const order = new ClaimOrder('peer-0', () => others)
  const keyOf = (u: { island: number, epoch: number }): string => `j:${u.island}:${u.epoch}`
  // A unit for which peer-0 ranks third.
  let island = 0
  while (claimRank('peer-0', others, `j:${island}:0`) !== 2) island++
  const unit = { island, epoch: 0 }
  assert.deepEqual(order.look(1000).choose('j', [unit], keyOf), { waitMs: 2 * CLAIM_STEP_MS })
  assert.deepEqual(order.look(1000 + CLAIM_STEP_MS).choose('j', [unit], keyOf), { waitMs: CLAIM_STEP_MS })
  assert.deepEqual(order.look(1000 + 2 * CLAIM_STEP_MS).choose('j', [unit], keyOf), { unit })
  // Taken (not free), then free again: the wait starts over.
  assert.equal(order.look(5000).choose('j', [], keyOf), null)
  assert.deepEqual(order.look(6000).choose('j', [unit], keyOf), { waitMs: 2 * CLAIM_STEP_MS })
  // Only the lowest epoch is chosen from.
  assert.deepEqual(order.look(6000 + 2 * CLAIM_STEP_MS).choose('j', [unit, { island: 0, epoch: 1 }], keyOf), { unit })
})

test('the peer that computed an island at the epoch before ranks first for its next unit, on every peer alike, and claims it without a wait', () => {
  for (let u = 0; u < 50; u++) {
    const key = `job:${u % 10}:${1 + Math.floor(u / 10)}`
    const first = PEERS[(u * 7) % PEERS.length] as string
    const ranks = PEERS.map(self => claimRank(self, PEERS, key, first))
    assert.deepEqual([...ranks].sort((a, b) => a - b), PEERS.map((_, i) => i), `ranks of ${key} are still 0..n-1`)
    assert.equal(ranks[PEERS.indexOf(first)], 0, `${first} is first for ${key}`)
  }
  // A preferred peer that is no candidate (busy, gone) changes nothing.
  const others = PEERS.slice(1, 10)
  assert.equal(claimRank('peer-0', others, 'job:1:1', 'peer-20'), claimRank('peer-0', others, 'job:1:1'))
  // peer-0 ranks third by the hash for some unit of epoch 1; as its island's last author it claims at once.
  let island = 0
  while (claimRank('peer-0', others, `j:${island}:1`) !== 2) island++
  const unit = { island, epoch: 1 }
  const keyOf = (u: { island: number, epoch: number }): string => `j:${u.island}:${u.epoch}`
  const hashed = new ClaimOrder('peer-0', () => others)
  assert.deepEqual(hashed.look(1000).choose('j', [unit], keyOf), { waitMs: 2 * CLAIM_STEP_MS })
  const preferred = new ClaimOrder('peer-0', () => others)
  assert.deepEqual(preferred.look(1000).choose('j', [unit], keyOf, () => 'peer-0'), { unit })
  // And another peer's last author makes peer-0 wait one rank more than the hash alone.
  const behind = new ClaimOrder('peer-0', () => others)
  const author = others.find(p => claimRank(p, ['peer-0', ...others], keyOf(unit)) > 2) as string
  assert.deepEqual(behind.look(1000).choose('j', [unit], keyOf, () => author), { waitMs: 3 * CLAIM_STEP_MS })
})

test('one look reads the candidates once for every open job, and not at all when no job has a free unit; a look decides for each job as a look of its own does', () => {
  const others = PEERS.slice(1)
  let reads = 0
  const live = (): string[] => { reads++; return others }
  const keyOf = (u: { island: number, epoch: number }): string => `${u.island}:${u.epoch}`
  const jobs = ['j0', 'j1', 'j2', 'j3', 'j4']
  const units = [{ island: 0, epoch: 0 }, { island: 1, epoch: 0 }]
  const alone = new ClaimOrder('peer-0', live)
  const expected = jobs.map(j => alone.look(1000).choose(j, units, u => `${j}:${keyOf(u)}`))
  assert.equal(reads, jobs.length, 'a look per job reads them per job')
  reads = 0
  const order = new ClaimOrder('peer-0', live)
  const look = order.look(1000)
  assert.deepEqual(jobs.map(j => look.choose(j, units, u => `${j}:${keyOf(u)}`)), expected)
  assert.equal(reads, 1, 'read once, shared by every job of the look')
  assert.equal(order.look(2000).choose('j0', [], keyOf), null)
  assert.equal(reads, 1, 'no free unit, nothing to rank')
  order.look(3000).choose('j0', units, u => `j0:${keyOf(u)}`)
  assert.equal(reads, 2, 'the next look reads them anew')
})

test('the step between turns follows the gossip latency this peer observes, within its bounds', () => {
  const order = new ClaimOrder('peer-0', () => [])
  assert.equal(order.stepMs(), CLAIM_STEP_MS, 'nothing observed yet')
  for (let i = 0; i < 20; i++) order.observe(20)
  assert.equal(order.stepMs(), CLAIM_STEP_MS, 'a fast LAN keeps the least step')
  for (let i = 0; i < 20; i++) order.observe(400 + (i % 2) * 100)
  assert.ok(order.stepMs() > 450 && order.stepMs() <= MAX_CLAIM_STEP_MS, `a loaded mesh lengthens it (${order.stepMs()} ms)`)
  order.observe(60_000)
  order.observe(-5)
  assert.ok(order.stepMs() <= MAX_CLAIM_STEP_MS, 'pulled entries and clocks ahead are not samples')
  for (let i = 0; i < 40; i++) order.observe(1_000 + (i % 4) * 1_000)
  assert.ok(order.stepMs() > 4_000 && order.stepMs() <= MAX_CLAIM_STEP_MS, `gossip of 1-4 s: a step past it (${order.stepMs()} ms)`)
  // Long steps get fewer ranks of their own, so a unit still waits a bounded time.
  assert.equal(claimRankCap(CLAIM_STEP_MS), MAX_CLAIM_RANKS, 'a fast LAN keeps every rank')
  assert.ok(claimDelay(1000, MAX_CLAIM_STEP_MS) <= MAX_CLAIM_WAIT_MS && claimRankCap(MAX_CLAIM_STEP_MS) >= 2)
})

test('busy members are no candidates: their active leases fill the cores of their hello', () => {
  const hello = (cores: number): HelloBody & { seq: number } => ({ fingerprint: 'f', isolateInterface: 1, cores, name: 'n', seq: 1 })
  const lease = (author: string, until: number): LeaseRecord => ({ author, claimHlc: [0, 0], seq: 1, until })
  const unit = (island: number, ...leases: LeaseRecord[]): [string, UnitRecord] => [`j:${island}:0`, { jobId: 'j', island, epoch: 0, leases: new Map(leases.map(l => [l.author, l])), commits: [] }]
  const state = {
    peers: new Map([['a', hello(1)], ['b', hello(2)], ['c', hello(1)]]),
    leased: new Map([unit(0, lease('a', 5_000), lease('b', 5_000)), unit(1, lease('c', 500)), unit(2, lease('x', 5_000))]),
  }
  assert.deepEqual(claimCandidates(['a', 'b', 'c', 'd'], state, 1_000), ['b', 'c'], 'a is busy; b has a core free; c\'s lease lapsed; d never said hello')
  assert.deepEqual(claimCandidates(['a', 'b', 'c'], state, 6_000), ['a', 'b', 'c'], 'every lease lapsed')
  state.leased.set(...unit(3, lease('b', 5_000)))
  assert.deepEqual(claimCandidates(['a', 'b', 'c'], state, 1_000), ['c'], 'two leases fill b\'s two cores')
})

/** Claims of `jobId` in every peer's own chain. */
async function claimsOf (peers: LedgerPeer[], jobId: string): Promise<number> {
  let n = 0
  for (const p of peers) {
    const own = await p.logStore.range(p.logStore.author, 1, 10_000)
    n += own.filter(e => e.type === 'claim' && (e.body as { jobId: string }).jobId === jobId).length
  }
  return n
}

const PEER_COUNT = 8
const ISLANDS = 8
const EPOCHS = 2

test(`${PEER_COUNT} real peers on loopback claim each unit of a ${ISLANDS} x ${EPOCHS} job at most 1.2 times on average`, { timeout: 120_000 }, async t => {
  const mesh = await createMesh(PEER_COUNT, { ledger: {} })
  const peers = mesh.peers.map(ledgerPeer)
  const rigs: SchedulerRig[] = peers.map(p => schedulerRig(p.logStore, { unitMs: 300, livePeers: now => claimCandidates(p.node.getPeers().map(String), p.logStore.state(), now) }))
  for (const rig of rigs) mesh.onStop(async () => { await rig.scheduler.stop() })
  // As in a mesh that has been up a while: gossipsub has built its mesh (a heartbeat or two).
  const meshPeers = (p: LedgerPeer): string[] => (p.node.services.pubsub as unknown as { getMeshPeers: (topic: string) => string[] }).getMeshPeers(LEDGER_TOPIC)
  await waitFor(() => peers.every(p => meshPeers(p).length >= 4), { timeoutMs: 20_000, message: 'the gossip mesh to form' })
  // Members say hello (one core each), as a peer does on start: only members are candidates.
  for (const p of peers) await p.logStore.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1, name: 'p' })
  await waitFor(() => peers.every(p => p.logStore.state().peers.size === PEER_COUNT), { timeoutMs: 20_000, message: 'every hello everywhere' })
  for (const rig of rigs) rig.scheduler.start()
  const started = Date.now()
  const jobId = await submitJob(peers[0].logStore, jobSpecFixture({ islands: ISLANDS, epochs: EPOCHS }))
  const committed = (p: LedgerPeer): number => [...p.logStore.state().units.values()].filter(u => u.jobId === jobId && u.commits.length > 0).length
  await waitFor(() => peers.every(p => committed(p) === ISLANDS * EPOCHS), { timeoutMs: 90_000, message: 'every unit committed on every peer' })
  const claims = await claimsOf(peers, jobId)
  const perUnit = claims / (ISLANDS * EPOCHS)
  t.diagnostic(`${claims} claims for ${ISLANDS * EPOCHS} units (${perUnit.toFixed(2)} per unit) on ${PEER_COUNT} peers; job done in ${Date.now() - started} ms`)
  assert.ok(perUnit <= 1.2, `${perUnit.toFixed(2)} claims per unit`)
})
