import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createBlobStore } from '../../../src/node/blobs/blob-store.js'

const dirs: string[] = []
after(async () => { await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) })) })

async function store (): Promise<{ dataDir: string, blobs: ReturnType<typeof createBlobStore> }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'stratmesh-blob-'))
  dirs.push(dataDir)
  return { dataDir, blobs: createBlobStore({ dataDir }) }
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')
const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff)

test('put stores under blobs/<aa>/<sha256>, get returns the bytes, has and size agree', async () => {
  const { dataDir, blobs } = await store()
  const data = new TextEncoder().encode('abc')
  const hash = await blobs.put(data)
  // sha256("abc"), the FIPS 180-2 test vector.
  assert.equal(hash, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  assert.equal(blobs.path(hash), join(dataDir, 'blobs', 'ba', hash))
  assert.deepEqual(await blobs.get(hash), data)
  assert.equal(await blobs.has(hash), true)
  assert.equal(await blobs.size(hash), 3)
  assert.equal(await blobs.put(data), hash, 'putting twice is harmless')
  assert.deepEqual(await readdir(join(dataDir, 'blobs', 'ba')), [hash], 'no temporary file left behind')
})

test('missing blobs and malformed hashes are refused with codes', async () => {
  const { blobs } = await store()
  const missing = sha(new Uint8Array([9]))
  assert.equal(await blobs.has(missing), false)
  await assert.rejects(blobs.get(missing), { code: 'BLOB_NOT_FOUND' })
  await assert.rejects(blobs.size(missing), { code: 'BLOB_NOT_FOUND' })
  await assert.rejects(blobs.has('../../etc/passwd'), { code: 'BLOB_BAD_HASH' })
  await assert.rejects(blobs.get('ABC'), { code: 'BLOB_BAD_HASH' })
})

test('readRange yields the asked bytes in bounded pieces and refuses out-of-range reads', async () => {
  const { blobs } = await store()
  const data = bytes(1000)
  const hash = await blobs.put(data)
  const pieces: Uint8Array[] = []
  for await (const p of blobs.readRange(hash, 100, 750, 256)) pieces.push(p)
  assert.deepEqual(pieces.map(p => p.byteLength), [256, 256, 238])
  assert.deepEqual(Buffer.concat(pieces), Buffer.from(data.subarray(100, 850)))
  await assert.rejects(async () => { for await (const _ of blobs.readRange(hash, 900, 101, 256)) { /* drain */ } }, { code: 'BLOB_BAD_RANGE' })
})

test('a part file grows across openings and commits only when the hash verifies', async () => {
  const { blobs } = await store()
  const data = bytes(5000)
  const hash = sha(data)
  const w1 = await blobs.openPart(hash)
  assert.equal(w1.offset, 0)
  await w1.append(data.subarray(0, 2000))
  await w1.close()
  assert.equal(await blobs.partSize(hash), 2000)
  assert.equal(await blobs.has(hash), false, 'a part is not a blob')
  const w2 = await blobs.openPart(hash)
  assert.equal(w2.offset, 2000, 'resumes where it stopped')
  await w2.append(data.subarray(2000))
  await w2.close()
  await blobs.commitPart(hash)
  assert.deepEqual(await blobs.get(hash), data)
  assert.equal(await blobs.partSize(hash), 0)
})

test('a part whose bytes do not match the hash is deleted with BLOB_HASH_MISMATCH', async () => {
  const { blobs } = await store()
  const data = bytes(3000)
  const hash = sha(data)
  const w = await blobs.openPart(hash)
  const wrong = data.slice()
  wrong[1234] ^= 1
  await w.append(wrong)
  await w.close()
  await assert.rejects(blobs.commitPart(hash), { code: 'BLOB_HASH_MISMATCH' })
  assert.equal(await blobs.has(hash), false)
  assert.equal(await blobs.partSize(hash), 0)
  await assert.rejects(stat(blobs.path(hash) + '.part'), { code: 'ENOENT' })
})
