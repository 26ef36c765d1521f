/**
 * Ledger entries: the signed, hash-chained records each peer appends to its own log.
 *
 * `{ v: 1, author, seq, prev, hlc, type, body, sig }`. `author` is the libp2p peer id of an
 * Ed25519 key, so the id alone yields the key that checks `sig`; `seq` counts from 1 without
 * gaps; `prev` is the hash of the author's previous entry (null at seq 1); `sig` is the base64url
 * Ed25519 signature over the canonical bytes of every other field. The entry's hash is the sha256
 * of those same signed bytes, so the hash commits to the content and the signature adds nothing
 * a peer could vary.
 */
import { createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto'
import type { PrivateKey, PublicKey } from '@libp2p/interface'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import { canonicalBytes, canonicalString, sha256Hex } from './canonical.js'
import { StratmeshError } from './errors.js'
import { isHlc, type Hlc } from './hlc.js'
import { ENTRY_VERSION, MAX_AUTHOR_CHARS, MAX_ENTRY_BYTES, MAX_SEQ } from './limits.js'
import { ENTRY_TYPES, hash, int, isEntryType, object, schemaError, validateBody, type EntryBodies, type EntryType } from './entry-bodies.js'

export interface UnsignedEntryOf<T extends EntryType> {
  readonly v: 1
  readonly author: string
  readonly seq: number
  readonly prev: string | null
  readonly hlc: Hlc
  readonly type: T
  readonly body: EntryBodies[T]
}
export type EntryOf<T extends EntryType> = UnsignedEntryOf<T> & { readonly sig: string }

export type UnsignedEntry = { [T in EntryType]: UnsignedEntryOf<T> }[EntryType]
export type Entry = { [T in EntryType]: EntryOf<T> }[EntryType]

/** An Ed25519 signature is 64 bytes: 86 characters of unpadded base64url. */
const SIG_RE = /^[A-Za-z0-9_-]{86}$/
const AUTHOR_RE = /^[1-9A-HJ-NP-Za-km-z]+$/
const ENTRY_KEYS = ['v', 'author', 'seq', 'prev', 'hlc', 'type', 'body', 'sig']
/** Parsed author keys, so a peer's key is decoded once, not once per entry. */
const KEY_CACHE_LIMIT = 4096
const keyCache = new Map<string, { key: PublicKey, object: KeyObject }>()
const hashCache = new WeakMap<object, string>()
const signingKeys = new WeakMap<PrivateKey, KeyObject>()
const signerIds = new WeakMap<PrivateKey, string>()
/**
 * DER prefixes that wrap a raw Ed25519 key as SPKI / PKCS#8, so node:crypto can hold the key as
 * a KeyObject once. libp2p's own sign/verify re-imports the key on every call, which made it
 * most of the cost of ingesting an entry.
 */
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex')
const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex')

function unsignedPart (entry: UnsignedEntry | Entry): UnsignedEntry {
  const { v, author, seq, prev, hlc, type, body } = entry
  return { v, author, seq, prev, hlc, type, body } as UnsignedEntry
}

/** sha256 hex of the signed bytes (everything but `sig`). */
export function entryHash (entry: UnsignedEntry | Entry): string {
  let h = hashCache.get(entry)
  if (h === undefined) {
    h = sha256Hex(canonicalBytes(unsignedPart(entry)))
    hashCache.set(entry, h)
  }
  return h
}

/**
 * Records the hash of an entry read back from the peer's own storage, where it was stored
 * beside the entry when the entry was verified: rebuilding the fold then skips re-encoding and
 * re-hashing every entry. Never use it for entries from the network.
 */
export function rememberEntryHash (entry: Entry, hash: string): void {
  hashCache.set(entry, hash)
}

/** The Ed25519 public key an author id names; ENTRY_BAD_AUTHOR if it names none. */
export function authorKey (author: string): PublicKey {
  return authorKeys(author).key
}

function authorKeys (author: string): { key: PublicKey, object: KeyObject } {
  const cached = keyCache.get(author)
  if (cached !== undefined) return cached
  let key: PublicKey | undefined
  try {
    const id = peerIdFromString(author)
    if (id.type === 'Ed25519' && id.toString() === author) key = id.publicKey
  } catch (err) {
    throw new StratmeshError('ENTRY_BAD_AUTHOR', `author ${JSON.stringify(author.slice(0, MAX_AUTHOR_CHARS))} is not a peer id`, { cause: err, details: { field: 'author' } })
  }
  if (key === undefined) throw new StratmeshError('ENTRY_BAD_AUTHOR', `author ${author} is not the peer id of an Ed25519 key`, { details: { field: 'author' } })
  const keys = { key, object: createPublicKey({ key: Buffer.concat([SPKI_ED25519, key.raw]), format: 'der', type: 'spki' }) }
  if (keyCache.size >= KEY_CACHE_LIMIT) keyCache.clear()
  keyCache.set(author, keys)
  return keys
}

function signingKey (privateKey: PrivateKey): KeyObject {
  let object = signingKeys.get(privateKey)
  if (object === undefined) {
    // libp2p's raw Ed25519 private key is seed (32 bytes) then public key (32 bytes).
    object = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, privateKey.raw.subarray(0, 32)]), format: 'der', type: 'pkcs8' })
    signingKeys.set(privateKey, object)
  }
  return object
}

/**
 * Encoded size of an entry. JSON.stringify writes the same tokens as the canonical encoding (only
 * the key order differs), so its UTF-8 length is the canonical length at a fraction of the cost;
 * values JSON would bend (NaN) are refused by the schema check that follows.
 */
function entrySize (entry: unknown): number {
  let text: string | undefined
  try {
    text = JSON.stringify(entry)
  } catch (err) {
    throw new StratmeshError('ENTRY_BAD_SCHEMA', `entry is not JSON: ${(err as Error).message}`, { cause: err, details: { field: 'entry' } })
  }
  if (text === undefined) throw schemaError('entry', 'must be an object')
  return Buffer.byteLength(text, 'utf8')
}

function tooLarge (size: number): StratmeshError {
  return new StratmeshError('ENTRY_TOO_LARGE', `entry is ${size} bytes, more than ${MAX_ENTRY_BYTES}`, { details: { size, limit: MAX_ENTRY_BYTES } })
}

/**
 * Checks an entry's shape (every field, the body against its type's schema) and its author id;
 * throws ENTRY_BAD_SCHEMA naming the field, or ENTRY_BAD_AUTHOR. Does not check the signature
 * or the size: see verifyEntry.
 */
export function validateEntry (value: unknown, signed = true): Entry {
  const e = object(value, 'entry', signed ? ENTRY_KEYS : ENTRY_KEYS.filter(k => k !== 'sig'))
  if (e.v !== ENTRY_VERSION) throw schemaError('v', `must be ${ENTRY_VERSION}`)
  if (typeof e.author !== 'string' || e.author.length === 0 || e.author.length > MAX_AUTHOR_CHARS || !AUTHOR_RE.test(e.author)) {
    throw new StratmeshError('ENTRY_BAD_AUTHOR', 'author must be a base58 peer id string', { details: { field: 'author' } })
  }
  authorKey(e.author)
  int(e.seq, 'seq', 1, MAX_SEQ)
  if (e.seq === 1) {
    if (e.prev !== null) throw schemaError('prev', 'must be null at seq 1')
  } else {
    hash(e.prev, 'prev')
  }
  if (!isHlc(e.hlc)) throw schemaError('hlc', 'must be [wallMs, counter], two non-negative integers')
  if (!isEntryType(e.type)) throw schemaError('type', `must be one of ${ENTRY_TYPES.join(', ')}`)
  validateBody(e.type, e.body)
  if (signed && (typeof e.sig !== 'string' || !SIG_RE.test(e.sig))) throw schemaError('sig', 'must be a base64url Ed25519 signature (86 characters)')
  return value as Entry
}

/** Signs an entry with the author's key. The key must be the author's (ENTRY_BAD_AUTHOR). */
export async function signEntry (privateKey: PrivateKey, unsigned: UnsignedEntry): Promise<Entry> {
  validateEntry(unsigned, false)
  let signer = signerIds.get(privateKey)
  if (signer === undefined) {
    signer = peerIdFromPrivateKey(privateKey).toString()
    signerIds.set(privateKey, signer)
  }
  if (signer !== unsigned.author) {
    throw new StratmeshError('ENTRY_BAD_AUTHOR', `the signing key is not the key of author ${unsigned.author}`, { details: { field: 'author' } })
  }
  if (privateKey.type !== 'Ed25519') throw new StratmeshError('ENTRY_BAD_AUTHOR', `entries are signed with Ed25519 keys, not ${privateKey.type}`)
  const bytes = canonicalBytes(unsignedPart(unsigned))
  const sig = edSign(null, bytes, signingKey(privateKey)).toString('base64url')
  const entry = { ...unsignedPart(unsigned), sig } as Entry
  const size = entrySize(entry)
  if (size > MAX_ENTRY_BYTES) throw tooLarge(size)
  hashCache.set(entry, sha256Hex(bytes))
  return entry
}

/**
 * Checks everything a peer can get wrong about an entry: size (ENTRY_TOO_LARGE), shape
 * (ENTRY_BAD_SCHEMA), author id (ENTRY_BAD_AUTHOR), signature (ENTRY_BAD_SIGNATURE). Whether
 * the entry continues its author's chain is the log store's check.
 */
export async function verifyEntry (value: unknown): Promise<Entry> {
  const size = entrySize(value)
  if (size > MAX_ENTRY_BYTES) throw tooLarge(size)
  const entry = validateEntry(value)
  await checkSignature(entry)
  return entry
}

/** Checks only the signature of an entry already validated (ENTRY_BAD_SIGNATURE). */
export async function checkSignature (entry: Entry): Promise<void> {
  const sig = Buffer.from(entry.sig, 'base64url')
  const bytes = canonicalBytes(unsignedPart(entry))
  let ok = false
  try {
    ok = edVerify(null, bytes, authorKeys(entry.author).object, sig)
  } catch (err) {
    throw new StratmeshError('ENTRY_BAD_SIGNATURE', `signature of ${entry.author} seq ${entry.seq} could not be checked`, { cause: err })
  }
  if (!ok) throw new StratmeshError('ENTRY_BAD_SIGNATURE', `signature of ${entry.author} seq ${entry.seq} does not match`, { details: { author: entry.author, seq: entry.seq } })
  if (!hashCache.has(entry)) hashCache.set(entry, sha256Hex(bytes))
}

/** Size and shape checks of verifyEntry without the signature (synchronous and cheap). */
export function checkEntry (value: unknown): Entry {
  const size = entrySize(value)
  if (size > MAX_ENTRY_BYTES) throw tooLarge(size)
  return validateEntry(value)
}

export function encodeEntry (entry: Entry): Uint8Array {
  return canonicalBytes(entry)
}

/**
 * Parses an entry from its canonical bytes. The size is checked before parsing; input that is
 * not UTF-8 JSON, not canonical (whitespace, key order, number spelling) or not an entry is
 * refused with ENTRY_BAD_SCHEMA. The signature is not checked here: see verifyEntry.
 */
export function decodeEntry (bytes: Uint8Array): Entry {
  if (bytes.length > MAX_ENTRY_BYTES) throw tooLarge(bytes.length)
  let text: string
  let value: unknown
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    value = JSON.parse(text)
  } catch (err) {
    throw new StratmeshError('ENTRY_BAD_SCHEMA', 'entry is not UTF-8 JSON', { cause: err, details: { field: 'entry' } })
  }
  const entry = validateEntry(value)
  if (canonicalString(entry) !== text) throw schemaError('entry', 'is not in canonical form')
  return entry
}
