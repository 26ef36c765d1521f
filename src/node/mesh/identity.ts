/**
 * The peer's persistent identity: an Ed25519 key in `<dataDir>/identity.key` (libp2p protobuf
 * encoding, mode 0600). The key is the peer id and signs every ledger entry, so it is never
 * silently replaced: a new key would be a new author, and a restored old ledger under a new key
 * would orphan the peer's leases. A damaged file is an IDENTITY_CORRUPT error for a human to fix.
 */
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface'
import { StratmeshError } from '../../protocol/errors.js'
import { writePrivateFile } from '../private-file.js'

export const IDENTITY_FILE = 'identity.key'

export interface Identity {
  readonly privateKey: Ed25519PrivateKey
  readonly peerId: PeerId
}

function corrupt (path: string, why: string, cause?: unknown): StratmeshError {
  return new StratmeshError('IDENTITY_CORRUPT', `the identity key ${path} ${why}; restore it from a backup or move it away to start as a new peer`, { cause, details: { path } })
}

export async function loadOrCreateIdentity (dataDir: string): Promise<Identity> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const path = join(dataDir, IDENTITY_FILE)
  let bytes: Uint8Array | undefined
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StratmeshError('IDENTITY_UNREADABLE', `cannot read the identity key ${path}: ${(err as Error).message}`, { cause: err })
  }
  if (bytes !== undefined) {
    let key
    try {
      key = privateKeyFromProtobuf(bytes)
    } catch (err) {
      throw corrupt(path, 'is not a valid key file', err)
    }
    if (key.type !== 'Ed25519') throw corrupt(path, `holds a ${key.type} key, not Ed25519`)
    return { privateKey: key, peerId: peerIdFromPrivateKey(key) }
  }
  const privateKey = await generateKeyPair('Ed25519')
  await writePrivateFile(path, privateKeyToProtobuf(privateKey))
  return { privateKey, peerId: peerIdFromPrivateKey(privateKey) }
}
