/** Which authors have every evaluator leased: the claim order leaves them out (claim-order.ts). */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { activeLeaseCounts, busyPeers } from '../../src/ledger/queries.js'
import type { LeaseRecord, UnitRecord } from '../../src/ledger/state.js'
import type { HelloBody } from '../../src/protocol/entry-bodies.js'

const hello = (cores: number): HelloBody & { seq: number } => ({ fingerprint: 'f', isolateInterface: 1, cores, name: 'n', seq: 1 })
const lease = (author: string, until: number): LeaseRecord => ({ author, claimHlc: [0, 0], seq: 1, until })
function unit (jobId: string, island: number, ...leases: LeaseRecord[]): [string, UnitRecord] {
  return [`${jobId}:${island}:0`, { jobId, island, epoch: 0, leases: new Map(leases.map(l => [l.author, l])), commits: [] }]
}

test('an author is busy while its active leases, across jobs, fill the cores of its latest hello', () => {
  const state = {
    peers: new Map([['one', hello(1)], ['two', hello(2)]]),
    units: new Map([unit('j', 0, lease('one', 2_000), lease('two', 2_000)), unit('k', 0, lease('two', 3_000)), unit('k', 1, lease('nohello', 2_000))]),
  }
  assert.deepEqual([...activeLeaseCounts(state, 1_000)].sort(), [['nohello', 1], ['one', 1], ['two', 2]])
  assert.deepEqual([...busyPeers(state, 1_000)].sort(), ['nohello', 'one', 'two'], 'one core full; two cores full over two jobs; no hello counts as one core')
  assert.deepEqual([...busyPeers(state, 2_000)], [], 'a lease that lapsed frees its core (active while now < until): two has one of two left')
  assert.deepEqual([...activeLeaseCounts(state, 2_000)], [['two', 1]])
  state.peers.set('two', hello(3))
  assert.deepEqual([...busyPeers(state, 1_000)].sort(), ['nohello', 'one'], 'a later hello with more cores frees it')
})
