import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, readdir, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { IDENTITY_FILE, loadOrCreateIdentity } from '../../../src/node/mesh/identity.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { tempDir } from '../../helpers/temp-dir.js'

test('creates an Ed25519 identity once (mode 0600, no temp file left) and loads the same one again', async () => {
  const dir = await tempDir()
  const data = join(dir.path, 'peer')
  const a = await loadOrCreateIdentity(data)
  assert.equal(a.privateKey.type, 'Ed25519')
  assert.equal(a.peerId.type, 'Ed25519')
  const st = await stat(join(data, IDENTITY_FILE))
  assert.equal(st.mode & 0o777, 0o600)
  assert.deepEqual(await readdir(data), [IDENTITY_FILE])
  const before = await readFile(join(data, IDENTITY_FILE))
  const b = await loadOrCreateIdentity(data)
  assert.equal(b.peerId.toString(), a.peerId.toString())
  assert.ok(b.privateKey.equals(a.privateKey))
  assert.deepEqual(await readFile(join(data, IDENTITY_FILE)), before, 'loading never rewrites the key')
})

test('a corrupt or foreign key file is IDENTITY_CORRUPT and is left untouched', async () => {
  const dir = await tempDir()
  const path = join(dir.path, IDENTITY_FILE)
  await writeFile(path, 'not a key')
  await assert.rejects(loadOrCreateIdentity(dir.path), err => isStratmeshError(err, 'IDENTITY_CORRUPT') && err.message.includes(path))
  assert.equal(await readFile(path, 'utf8'), 'not a key')
  const truncated = privateKeyToProtobuf(await generateKeyPair('Ed25519')).subarray(0, 20)
  await writeFile(path, truncated)
  await assert.rejects(loadOrCreateIdentity(dir.path), err => isStratmeshError(err, 'IDENTITY_CORRUPT'))
  await writeFile(path, privateKeyToProtobuf(await generateKeyPair('secp256k1')))
  await assert.rejects(loadOrCreateIdentity(dir.path), err => isStratmeshError(err, 'IDENTITY_CORRUPT') && /secp256k1/.test(err.message))
})
