import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import type { EntryBodies, EntryType } from '../../src/protocol/entry-bodies.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import type { Checkpoint } from '../../src/protocol/job-spec.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import { foldEntries } from '../../src/ledger/fold.js'
import { jobs, type CommitTrust } from '../../src/ledger/queries.js'
import { isFinished, tookPart } from '../../src/ledger/finished.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'ab'.repeat(32), name: 's' }, dataset: { hash: 'cd'.repeat(32), name: 'd', bars: 500 }, ga: { islands: 2, epochs: 2 } })
const jobId = canonicalHash(spec)

class Writer {
  readonly id: string
  readonly entries: Entry[] = []
  constructor (readonly key: PrivateKey) { this.id = peerIdFromPrivateKey(key).toString() }
  async write<T extends EntryType> (type: T, body: EntryBodies[T]): Promise<void> {
    const prev = this.entries.at(-1)
    this.entries.push(await signEntry(this.key, { v: 1, author: this.id, seq: this.entries.length + 1, prev: prev === undefined ? null : entryHash(prev), hlc: [1000 + this.entries.length, 0], type, body } as UnsignedEntry))
  }
}

function commit (island: number, epoch: number): EntryBodies['commit'] {
  const g = { params: { a: island, b: epoch }, fitness: 1, inSample: null, outOfSample: null }
  const cp: Checkpoint = { jobId, island, epoch, population: [{ params: g.params, fitness: g.fitness }], best: [g], evaluations: 1, errors: 0 }
  return { jobId, island, epoch, checkpointHash: canonicalHash(cp), checkpoint: cp }
}

test('a job is finished once every unit has a commit not rejected here, checked or not; the submitter, committers and fetchers took part', async () => {
  const submitter = new Writer(await generateKeyPair('Ed25519'))
  const worker = new Writer(await generateKeyPair('Ed25519'))
  const joiner = new Writer(await generateKeyPair('Ed25519'))
  await submitter.write('job', { spec, id: jobId })
  for (const [i, e] of [[0, 0], [1, 0], [0, 1]] as const) await worker.write('commit', commit(i, e))
  const pendingAll: CommitTrust = () => 'pending'
  let state = foldEntries([...submitter.entries, ...worker.entries])
  assert.equal(isFinished(state, jobId), false, 'one unit has no commit yet')

  await worker.write('commit', commit(1, 1))
  state = foldEntries([...submitter.entries, ...worker.entries])
  assert.equal(isFinished(state, jobId, pendingAll), true, 'commits waiting for their check count')
  assert.equal(jobs(state, pendingAll)[0].done, false, 'though nothing counts yet')
  const rejectOne: CommitTrust = (c, unit) => unit.island === 1 && unit.epoch === 1 ? 'rejected' : 'pending'
  assert.equal(isFinished(state, jobId, rejectOne), false, 'a rejected commit makes its unit claimable: the job runs again')
  assert.equal(isFinished(state, 'ff'.repeat(32)), false, 'an unknown job is not finished')

  assert.equal(tookPart(state, jobId, submitter.id), true)
  assert.equal(tookPart(state, jobId, worker.id), true)
  assert.equal(tookPart(state, jobId, joiner.id), false)
  await joiner.write('blob-have', { blobs: [{ hash: spec.dataset.hash, size: 10, kind: 'dataset' }] })
  state = foldEntries([...submitter.entries, ...worker.entries, ...joiner.entries])
  assert.equal(tookPart(state, jobId, joiner.id), true, 'a peer that fetched the job\'s dataset was there while it ran')
})

test('a peer that fetched any symbol of a basket job took part, not only one that fetched the first', async () => {
  const symbols = [spec.dataset, { hash: 'ef'.repeat(32), name: 'e', bars: 600 }]
  const basketSpec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: spec.strategy, dataset: spec.dataset, ga: { islands: 2, epochs: 2 }, basket: { datasets: symbols, aggregate: 'median' } })
  const basketId = canonicalHash(basketSpec)
  const submitter = new Writer(await generateKeyPair('Ed25519'))
  const second = new Writer(await generateKeyPair('Ed25519'))
  const stranger = new Writer(await generateKeyPair('Ed25519'))
  await submitter.write('job', { spec: basketSpec, id: basketId })
  await second.write('blob-have', { blobs: [{ hash: symbols[1].hash, size: 10, kind: 'dataset' }] })
  await stranger.write('blob-have', { blobs: [{ hash: 'aa'.repeat(32), size: 10, kind: 'dataset' }] })
  const state = foldEntries([...submitter.entries, ...second.entries, ...stranger.entries])
  assert.equal(tookPart(state, basketId, second.id), true, 'the second symbol is one of the job\'s inputs')
  assert.equal(tookPart(state, basketId, stranger.id), false, 'a dataset of no symbol of the job is not')
})
