import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createBlobStore, type BlobStore } from '../../../src/node/blobs/blob-store.js'
import { createBlobSync, type BlobSync, type BlobSyncInit } from '../../../src/node/blobs/blob-sync.js'
import { createMesh, type Mesh, type MeshPeer } from '../../helpers/mesh.js'

// Small chunks and ranges so a 1 MiB blob takes many requests: enough steps to break halfway.
const CHUNK = 16 * 1024
const RANGE = 64 * 1024
const SIZE = 1024 * 1024 + 123

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
function blob (n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n)
  let x = seed
  for (let i = 0; i < n; i++) { x = (Math.imul(x, 1103515245) + 12345) >>> 0; out[i] = x >>> 24 }
  return out
}

interface BlobPeer extends MeshPeer { blobs: BlobStore, sync: BlobSync }

async function withBlobs (mesh: Mesh, peer: MeshPeer, extra: BlobSyncInit = {}): Promise<BlobPeer> {
  const blobs = createBlobStore({ dataDir: peer.dataDir })
  const sync = createBlobSync({ node: peer.node, blobStore: blobs }, { chunkBytes: CHUNK, rangeBytes: RANGE, idleTimeoutMs: 5_000, ...extra })
  await sync.start()
  mesh.onStop(async () => { await sync.stop() })
  return { ...peer, blobs, sync }
}

test('a blob is fetched in chunks between two nodes, verified, with progress', async () => {
  const mesh = await createMesh(2)
  const a = await withBlobs(mesh, mesh.peers[0])
  const b = await withBlobs(mesh, mesh.peers[1])
  const data = blob(SIZE, 1)
  const hash = await a.blobs.put(data)
  const seen: number[] = []
  const result = await b.sync.fetchBlob(hash, SIZE, [a.node.peerId], { onProgress: p => { seen.push(p.received) } })
  assert.deepEqual(await b.blobs.get(hash), data)
  assert.equal(result.fetched, SIZE)
  assert.deepEqual(result.peers, [a.node.peerId.toString()])
  assert.equal(seen.length, Math.ceil(SIZE / CHUNK), 'one progress report per chunk')
  assert.ok(seen.every((v, i) => i === 0 || v > seen[i - 1]), 'progress only grows')
  assert.equal(seen.at(-1), SIZE)
  assert.equal(a.sync.stats().servedBytes, SIZE)
  assert.equal(b.sync.stats().fetchesCompleted, 1)
  const again = await b.sync.fetchBlob(hash, SIZE, [a.node.peerId])
  assert.equal(again.fetched, 0, 'a blob we hold is not fetched again')
})

test('bytes that do not match the hash are rejected with BLOB_HASH_MISMATCH and counted', async () => {
  const mesh = await createMesh(2)
  const liar = await withBlobs(mesh, mesh.peers[0], {
    tamperServedChunk: (chunk, _hash, offset) => {
      if (offset !== 5 * CHUNK) return chunk
      const bad = chunk.slice()
      bad[7] ^= 0x40
      return bad
    }
  })
  const b = await withBlobs(mesh, mesh.peers[1])
  const data = blob(SIZE, 2)
  const hash = await liar.blobs.put(data)
  await assert.rejects(b.sync.fetchBlob(hash, SIZE, [liar.node.peerId]), { code: 'BLOB_HASH_MISMATCH' })
  assert.equal(b.sync.stats().hashMismatches, 1)
  assert.equal(await b.blobs.has(hash), false)
  assert.equal(await b.blobs.partSize(hash), 0, 'the bad part is deleted, not resumed')
})

test('a transfer broken halfway resumes from another peer, fetching only the missing bytes', async () => {
  const mesh = await createMesh(3)
  const a = await withBlobs(mesh, mesh.peers[0])
  const b = await withBlobs(mesh, mesh.peers[1])
  const c = await withBlobs(mesh, mesh.peers[2])
  const data = blob(SIZE, 3)
  const hash = await a.blobs.put(data)
  assert.equal(await b.blobs.put(data), hash)
  let killed: Promise<void> | void | undefined
  await assert.rejects(c.sync.fetchBlob(hash, SIZE, [a.node.peerId], {
    onProgress: p => { if (p.received >= SIZE / 2 && killed === undefined) killed = a.node.stop() }
  }), (err: Error & { code?: string, details?: { received: number } }) => {
    assert.equal(err.code, 'BLOB_FETCH_FAILED')
    return true
  })
  await killed
  const had = await c.blobs.partSize(hash)
  assert.ok(had >= SIZE / 2 && had < SIZE, `part holds ${had} bytes`)
  const result = await c.sync.fetchBlob(hash, SIZE, [b.node.peerId])
  assert.equal(result.fetched, SIZE - had, 'only the missing bytes travel on the second try')
  assert.ok(result.fetched < SIZE)
  assert.deepEqual(await c.blobs.get(hash), data)
})

test('the fetch moves on to the next peer when one lacks the blob or does not speak the protocol', async () => {
  const mesh = await createMesh(4)
  const empty = await withBlobs(mesh, mesh.peers[0])
  const mute = mesh.peers[1] // a libp2p node without the blob protocol
  const holder = await withBlobs(mesh, mesh.peers[2])
  const c = await withBlobs(mesh, mesh.peers[3])
  const data = blob(100_000, 4)
  const hash = await holder.blobs.put(data)
  const result = await c.sync.fetchBlob(hash, data.length, [empty.node.peerId, mute.node.peerId, holder.node.peerId])
  assert.deepEqual(result.peers, [holder.node.peerId.toString()])
  assert.deepEqual(await c.blobs.get(hash), data)
  const failures = c.sync.stats().failures
  assert.deepEqual(failures[empty.node.peerId.toString()], { BLOB_NOT_FOUND: 1 })
  assert.deepEqual(failures[mute.node.peerId.toString()], { SYNC_UNSUPPORTED_PROTOCOL: 1 })
})

test('when no peer can serve, the error says why per peer and nothing is stored', async () => {
  const mesh = await createMesh(2)
  const a = await withBlobs(mesh, mesh.peers[0])
  const b = await withBlobs(mesh, mesh.peers[1])
  const hash = sha(blob(10, 5))
  await assert.rejects(b.sync.fetchBlob(hash, 10, [a.node.peerId]), (err: Error & { code?: string, details?: { errors: Array<{ code: string }> } }) => {
    assert.equal(err.code, 'BLOB_FETCH_FAILED')
    assert.deepEqual(err.details?.errors.map(e => e.code), ['BLOB_NOT_FOUND'])
    return true
  })
  assert.equal(await b.blobs.has(hash), false)
  await assert.rejects(b.sync.fetchBlob('nothex', 10, [a.node.peerId]), { code: 'BLOB_BAD_HASH' })
  await assert.rejects(b.sync.fetchBlob(hash, -1, [a.node.peerId]), { code: 'BLOB_TOO_LARGE' })
})
