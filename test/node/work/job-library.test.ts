import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import { StratmeshError } from '../../../src/protocol/errors.js'
import { emptyLedger } from '../../../src/ledger/fold.js'
import type { JobSpec } from '../../../src/protocol/job-spec.js'
import { encodeDataset } from '../../../src/engine/data/dataset-codec.js'
import { syntheticCandles } from '../../../src/engine/data/synthetic.js'
import { sha256Hex } from '../../../src/protocol/canonical.js'
import { BLOB_RETRY_MS, createJobLibrary } from '../../../src/node/work/job-library.js'
import type { BlobStore } from '../../../src/node/blobs/blob-store.js'
import type { BlobSync } from '../../../src/node/blobs/blob-sync.js'
import { createPeerEvents } from '../../../src/node/peer-events.js'
import { waitFor } from '../../helpers/wait-for.js'

const STRATEGY_HASH = 'a'.repeat(64)
const DATASET_HASH = 'b'.repeat(64)
const ENGINE_HASH = 'e'.repeat(64)
const spec = { engine: { hash: ENGINE_HASH, fingerprint: 'f'.repeat(64) }, strategy: { hash: STRATEGY_HASH, name: 's' }, dataset: { hash: DATASET_HASH, name: 'd', bars: 10 } } as unknown as JobSpec

/** Lets the library's background fetch reach blobSync (it awaits the store first). */
async function settle (): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise(resolve => setImmediate(resolve))
}

async function peerId (): Promise<PeerId> {
  return peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
}

/** A library over fakes: a ledger whose blob announcements the test sets, a fetch that records its sources. */
function setup (self: PeerId) {
  const state = emptyLedger()
  const connected: PeerId[] = []
  const fetches: string[][] = []
  let failFetch: Error | null = null
  let now = 1_000_000
  let changes = 0
  const blobStore = { has: async () => false } as unknown as BlobStore
  const blobSync = {
    async fetchBlob (_hash: string, _size: number, from: PeerId[]) {
      fetches.push(from.map(p => p.toString()))
      if (failFetch !== null) throw failFetch
      return await new Promise(() => {}) // still downloading: the test looks only at who was asked
    },
  } as unknown as BlobSync
  const events = createPeerEvents()
  events.on('job:readiness', () => { changes++ })
  const fingerprint = async (): Promise<string> => 'f'.repeat(64)
  const library = createJobLibrary({ blobStore, blobSync, state: () => state, connected: () => connected, events, clock: () => now, log: () => {}, fingerprint }, { self: self.toString() })
  return {
    library,
    connected,
    fetches,
    announce (author: PeerId) { state.blobs.set(STRATEGY_HASH, new Map([...(state.blobs.get(STRATEGY_HASH) ?? []), [author.toString(), { size: 100, kind: 'strategy' as const }]])) },
    failFetchWith (err: Error) { failFetch = err },
    advance (ms: number) { now += ms },
    changes: () => changes,
  }
}

test('a blob no connected peer had is fetched as soon as a connected peer announces it, not after the retry delay', async () => {
  const [self, submitter, hub] = await Promise.all([peerId(), peerId(), peerId()])
  const lib = setup(self)
  // The job came from a peer we are not connected to (the other leaf of a bootstrap star).
  lib.announce(submitter)
  lib.connected.push(hub)
  assert.equal(lib.library.readiness('job', spec).ready, false)
  await waitFor(() => lib.changes() > 0, { message: 'the fetch to fail for want of a source' })
  assert.deepEqual(lib.fetches, [])
  lib.library.readiness('job', spec)
  await settle()
  assert.deepEqual(lib.fetches, [], 'still nobody to ask')
  assert.match((lib.library.readiness('job', spec) as { reason: string }).reason, /none of the 1 peers that have it is connected/)

  // The hub fetched it and announced it: asked at once (the clock has not moved; BLOB_RETRY_MS has not passed).
  lib.announce(hub)
  assert.equal(lib.library.readiness('job', spec).ready, false)
  await settle()
  assert.deepEqual(lib.fetches, [[hub.toString()]])
})

test('a blob whose transfer failed waits out the retry delay even though its holder is connected', async () => {
  const [self, holder] = await Promise.all([peerId(), peerId()])
  const lib = setup(self)
  lib.announce(holder)
  lib.connected.push(holder)
  lib.failFetchWith(new StratmeshError('BLOB_FETCH_FAILED', 'the transfer broke'))
  lib.library.readiness('job', spec)
  await waitFor(() => lib.changes() > 0, { message: 'the transfer to fail' })
  assert.equal(lib.fetches.length, 1)
  // No hot loop against a peer that cannot serve it.
  lib.library.readiness('job', spec)
  await settle()
  assert.equal(lib.fetches.length, 1)
  lib.advance(BLOB_RETRY_MS)
  lib.library.readiness('job', spec)
  await settle()
  assert.equal(lib.fetches.length, 2)
})

/** A library whose store holds every blob of a job, over a fake fingerprint. */
function loadedSetup (self: PeerId, fingerprint: (engine: string) => Promise<string>) {
  const engine = '/* an engine bundle */'
  const blobs = new Map<string, Uint8Array>([
    [sha256Hex('strategy source'), new TextEncoder().encode('strategy source')],
    [sha256Hex(engine), new TextEncoder().encode(engine)],
  ])
  const dataset = encodeDataset(syntheticCandles({ bars: 10 }))
  blobs.set(sha256Hex(dataset), dataset)
  const blobStore = {
    has: async (h: string) => blobs.has(h),
    get: async (h: string) => blobs.get(h) ?? assert.fail(`no blob ${h}`),
  } as unknown as BlobStore
  const events = createPeerEvents()
  let changes = 0
  let now = 0
  events.on('job:readiness', () => { changes++ })
  const library = createJobLibrary({ blobStore, blobSync: {} as unknown as BlobSync, state: emptyLedger, connected: () => [], events, clock: () => now, log: () => {}, fingerprint }, { self: self.toString() })
  const jobSpec = (fp: string): JobSpec => ({ ...spec, engine: { hash: sha256Hex(engine), fingerprint: fp }, strategy: { hash: sha256Hex('strategy source'), name: 's' }, dataset: { hash: sha256Hex(dataset), name: 'd', bars: 10 } })
  return { library, engine, jobSpec, blobs, changes: () => changes, advance: (ms: number) => { now += ms } }
}

test('a basket job is ready only once every symbol\'s dataset blob is on disk; it carries every symbol\'s candles', async () => {
  const lib = loadedSetup(await peerId(), async () => 'a'.repeat(64))
  const plain = lib.jobSpec('a'.repeat(64))
  const second = encodeDataset(syntheticCandles({ bars: 12, seed: 7 }))
  const datasets = [plain.dataset, { hash: sha256Hex(second), name: 'sym1.csv', bars: 12 }]
  const job: JobSpec = { ...plain, basket: { datasets, aggregate: 'median' } }
  await waitFor(() => (lib.library.readiness('b', job) as { reason?: string }).reason?.startsWith('symbol sym1.csv: cannot get the dataset blob yet') === true, { message: 'the missing symbol to be named' })
  assert.equal(lib.library.readiness('b', job).ready, false)
  lib.blobs.set(sha256Hex(second), second)
  lib.advance(BLOB_RETRY_MS)
  await waitFor(() => lib.library.readiness('b', job).ready, { message: 'the basket job to load' })
  const r = lib.library.readiness('b', job)
  assert.ok(r.ready)
  assert.deepEqual(r.job.basket?.map(c => c.length), [10, 12])
  assert.equal(r.job.basket?.[0], r.job.candles)
})

test('a job is ready once its strategy, dataset and engine blobs are on disk and the engine fingerprints as the submitter\'s did; it carries its engine', async () => {
  const asked: string[] = []
  const lib = loadedSetup(await peerId(), async engine => { asked.push(engine); return 'a'.repeat(64) })
  const job = lib.jobSpec('a'.repeat(64))
  await waitFor(() => lib.library.readiness('j', job).ready, { message: 'the job to load' })
  const r = lib.library.readiness('j', job)
  assert.ok(r.ready)
  assert.equal(r.job.engine, lib.engine)
  assert.deepEqual(asked, [lib.engine])
})

test('a job whose engine fingerprints otherwise here is declined, saying why in one line', async () => {
  const lib = loadedSetup(await peerId(), async () => 'b'.repeat(64))
  const job = lib.jobSpec('a'.repeat(64))
  await waitFor(() => (lib.library.readiness('j', job) as { permanent?: boolean }).permanent === true, { message: 'the job to be declined' })
  const r = lib.library.readiness('j', job) as { reason: string }
  assert.match(r.reason, /^ENGINE_FINGERPRINT_MISMATCH: engine [0-9a-f]{12} gives runtime fingerprint bbbbbbbbbbbb here and aaaaaaaaaaaa on the submitter's machine/)
  assert.doesNotMatch(r.reason, /\n/)
})

test('a job whose engine speaks another isolate interface is declined with the reason', async () => {
  const lib = loadedSetup(await peerId(), async () => { throw new StratmeshError('ENGINE_INTERFACE_UNSUPPORTED', 'the engine bundle speaks isolate interface 99; this peer\'s evaluators speak 2') })
  const job = lib.jobSpec('a'.repeat(64))
  await waitFor(() => (lib.library.readiness('j', job) as { permanent?: boolean }).permanent === true, { message: 'the job to be declined' })
  assert.equal((lib.library.readiness('j', job) as { reason: string }).reason, 'ENGINE_INTERFACE_UNSUPPORTED: the engine bundle speaks isolate interface 99; this peer\'s evaluators speak 2')
})
