import { StratmeshError } from './errors.js'
import { MAX_AUTHOR_CHARS, MAX_ENTRY_BYTES, MAX_LOG_RANGE_ENTRIES } from './limits.js'

/**
 * Wire messages of ledger replication (gossip push, `/stratmesh/sync/1.0.0` pull) and blob sync
 * (`/stratmesh/blob/1.0.0`). Every message is one length-prefixed frame of UTF-8 JSON, except blob
 * data, which follows its `blob-data` header as raw frames. Frames are size-checked before they
 * are read and validated here before anything trusts them: a peer is never believed about shape.
 *
 * Entries travel as opaque JSON values (`unknown`): their format and verification belong to
 * src/protocol/entry.ts, and the log store checks them again before storing.
 */

export const SYNC_PROTOCOL = '/stratmesh/sync/1.0.0'
export const BLOB_PROTOCOL = '/stratmesh/blob/1.0.0'
/** Gossipsub topic for new ledger entries; the suffix is the message format's version. */
export const LEDGER_TOPIC = 'stratmesh/ledger/1'

/**
 * Largest JSON frame of the sync protocol (a heads map or one page of entries). A page stops
 * growing past MAX_PAGE_BYTES but always holds one entry, so the worst page is MAX_PAGE_BYTES
 * plus one MAX_ENTRY_BYTES entry; 4 MiB covers that with room for the envelope.
 */
export const MAX_SYNC_FRAME_BYTES = 4 * 1024 * 1024
/** A responder stops adding entries to a page once it holds this many bytes (at least one entry). */
export const MAX_PAGE_BYTES = 2 * 1024 * 1024
/**
 * Most entries asked for in one range request: what the log store returns at most (limits.ts),
 * so catching up on 100k entries takes a hundred round trips and a page stays a few MiB.
 */
export const MAX_RANGE_ENTRIES = MAX_LOG_RANGE_ENTRIES
/**
 * Largest gossip message: one entry of the largest allowed size plus the envelope. Bursts of
 * small entries share a message up to this size; an entry that does not fit travels by pull.
 */
export const MAX_GOSSIP_MESSAGE_BYTES = MAX_ENTRY_BYTES + 64 * 1024
/** Most authors in a heads map: far more peers than any one user owns, small enough to parse. */
export const MAX_HEADS_AUTHORS = 10_000
/** Largest JSON frame of the blob protocol (requests, headers, errors: all tiny). */
export const MAX_BLOB_CONTROL_BYTES = 16 * 1024
/**
 * Blob data travels in chunks of this size: large enough that framing and syscalls cost nothing,
 * small enough that a broken transfer loses little and progress is reported often.
 */
export const BLOB_CHUNK_BYTES = 1024 * 1024
/**
 * Most bytes asked for in one blob request. Several chunks per round trip keep a VPN link busy;
 * a bounded range lets the fetcher switch peers and persist progress between requests.
 */
export const MAX_BLOB_RANGE_BYTES = 8 * 1024 * 1024
/** Largest blob anyone can announce: datasets of years of minute candles fit with room to spare. */
export const MAX_BLOB_SIZE = 4 * 1024 * 1024 * 1024

export type Heads = Record<string, number>

/**
 * `heads` also gives the hash of each head entry, so two peers holding different entries at one
 * seq (an author who signed twice) notice it even when their seqs agree, and lists the authors
 * the responder holds equivocation evidence against: range pulls cannot carry the second entry
 * of a pair (a log keeps one entry per seq), so a peer missing that evidence asks for it with
 * `evidence` and gets both entries of each pair.
 */
export type SyncRequest =
  | { t: 'heads' }
  | { t: 'range', author: string, from: number, limit: number }
  | { t: 'evidence', authors: string[] }

export type SyncResponse =
  | { t: 'heads', heads: Heads, hashes: Record<string, string>, frozen: string[] }
  | { t: 'entries', entries: unknown[] }
  | ErrorMessage

export interface GossipMessage { t: 'entries', entries: unknown[] }

export interface BlobRequest { t: 'blob-get', hash: string, offset: number, length: number }

/** Followed by raw frames holding exactly `length` bytes of the blob from `offset`. */
export interface BlobDataHeader { t: 'blob-data', hash: string, size: number, offset: number, length: number }

export type BlobResponse = BlobDataHeader | ErrorMessage

/** What a responder sends instead of an answer; `code` is a StratmeshError code. */
export interface ErrorMessage { t: 'error', code: string, message: string }

/** Most authors asked about in one evidence request (each answer is two entries). */
export const MAX_EVIDENCE_AUTHORS = 64
/** Most entries in one gossip message (a burst of appends batched together). */
export const MAX_GOSSIP_ENTRIES = 64
const MAX_ERROR_TEXT = 1000
const HASH_RE = /^[0-9a-f]{64}$/
const AUTHOR_RE = /^[A-Za-z0-9_-]+$/

export function bad (message: string, details?: Record<string, unknown>): StratmeshError {
  return new StratmeshError('SYNC_BAD_MESSAGE', message, { details })
}

/** Parses a frame as JSON; a frame that is not JSON is a SYNC_BAD_MESSAGE. */
export function parseJsonFrame (bytes: Uint8Array): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch (err) {
    throw new StratmeshError('SYNC_BAD_MESSAGE', 'frame is not UTF-8 JSON', { cause: err })
  }
}

export function encodeJsonFrame (value: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(value))
}

function record (v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad(`${what} must be an object`)
  return v as Record<string, unknown>
}

function seqNumber (v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw bad(`${field} must be a non-negative integer`, { field })
  return v
}

export function isAuthor (v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_AUTHOR_CHARS && AUTHOR_RE.test(v)
}

export function isBlobHash (v: unknown): v is string {
  return typeof v === 'string' && HASH_RE.test(v)
}

function author (v: unknown, field: string): string {
  if (!isAuthor(v)) throw bad(`${field} must be a peer id`, { field })
  return v
}

function entryList (v: unknown, max: number): unknown[] {
  if (!Array.isArray(v)) throw bad('entries must be an array', { field: 'entries' })
  if (v.length > max) throw bad(`too many entries: ${v.length} > ${max}`, { field: 'entries' })
  return v
}

function authorList (v: unknown, max: number, field: string): string[] {
  if (!Array.isArray(v)) throw bad(`${field} must be an array`, { field })
  if (v.length > max) throw bad(`too many authors in ${field}: ${v.length} > ${max}`, { field })
  return v.map(a => author(a, field))
}

export function validateHeads (v: unknown): Heads {
  const obj = record(v, 'heads')
  const keys = Object.keys(obj)
  if (keys.length > MAX_HEADS_AUTHORS) throw bad(`too many authors in heads: ${keys.length} > ${MAX_HEADS_AUTHORS}`)
  const heads: Heads = {}
  for (const k of keys) heads[author(k, 'heads')] = seqNumber(obj[k], `heads.${k}`)
  return heads
}

function validateHeadHashes (v: unknown): Record<string, string> {
  const obj = record(v, 'hashes')
  const keys = Object.keys(obj)
  if (keys.length > MAX_HEADS_AUTHORS) throw bad(`too many authors in hashes: ${keys.length} > ${MAX_HEADS_AUTHORS}`, { field: 'hashes' })
  const out: Record<string, string> = {}
  for (const k of keys) {
    const h = obj[k]
    if (!isBlobHash(h)) throw bad(`hashes.${k} must be a sha256 hex digest`, { field: `hashes.${k}` })
    out[author(k, 'hashes')] = h
  }
  return out
}

function errorMessage (m: Record<string, unknown>): ErrorMessage {
  if (typeof m.code !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(m.code)) throw bad('error code must be UPPER_SNAKE', { field: 'code' })
  const message = typeof m.message === 'string' ? m.message.slice(0, MAX_ERROR_TEXT) : ''
  return { t: 'error', code: m.code, message }
}

export function validateSyncRequest (v: unknown): SyncRequest {
  const m = record(v, 'request')
  switch (m.t) {
    case 'heads': return { t: 'heads' }
    case 'range': {
      const limit = seqNumber(m.limit, 'limit')
      if (limit < 1 || limit > MAX_RANGE_ENTRIES) throw bad(`limit must be in 1..${MAX_RANGE_ENTRIES}`, { field: 'limit' })
      return { t: 'range', author: author(m.author, 'author'), from: seqNumber(m.from, 'from'), limit }
    }
    case 'evidence': return { t: 'evidence', authors: authorList(m.authors, MAX_EVIDENCE_AUTHORS, 'authors') }
    default: throw bad(`unknown sync request type ${JSON.stringify(m.t)}`, { field: 't' })
  }
}

export function validateSyncResponse (v: unknown): SyncResponse {
  const m = record(v, 'response')
  switch (m.t) {
    case 'heads': return {
      t: 'heads',
      heads: validateHeads(m.heads),
      hashes: m.hashes === undefined ? {} : validateHeadHashes(m.hashes),
      frozen: m.frozen === undefined ? [] : authorList(m.frozen, MAX_HEADS_AUTHORS, 'frozen')
    }
    case 'entries': return { t: 'entries', entries: entryList(m.entries, MAX_RANGE_ENTRIES) }
    case 'error': return errorMessage(m)
    default: throw bad(`unknown sync response type ${JSON.stringify(m.t)}`, { field: 't' })
  }
}

export function validateGossipMessage (v: unknown): GossipMessage {
  const m = record(v, 'gossip message')
  if (m.t !== 'entries') throw bad(`unknown gossip message type ${JSON.stringify(m.t)}`, { field: 't' })
  return { t: 'entries', entries: entryList(m.entries, MAX_GOSSIP_ENTRIES) }
}

export function validateBlobRequest (v: unknown): BlobRequest {
  const m = record(v, 'request')
  if (m.t !== 'blob-get') throw bad(`unknown blob request type ${JSON.stringify(m.t)}`, { field: 't' })
  if (!isBlobHash(m.hash)) throw bad('hash must be 64 lower-case hex digits', { field: 'hash' })
  const length = seqNumber(m.length, 'length')
  if (length < 1 || length > MAX_BLOB_RANGE_BYTES) throw bad(`length must be in 1..${MAX_BLOB_RANGE_BYTES}`, { field: 'length' })
  return { t: 'blob-get', hash: m.hash, offset: seqNumber(m.offset, 'offset'), length }
}

export function validateBlobResponse (v: unknown): BlobResponse {
  const m = record(v, 'response')
  if (m.t === 'error') return errorMessage(m)
  if (m.t !== 'blob-data') throw bad(`unknown blob response type ${JSON.stringify(m.t)}`, { field: 't' })
  if (!isBlobHash(m.hash)) throw bad('hash must be 64 lower-case hex digits', { field: 'hash' })
  const size = seqNumber(m.size, 'size')
  if (size > MAX_BLOB_SIZE) throw bad(`blob size ${size} exceeds ${MAX_BLOB_SIZE}`, { field: 'size' })
  const offset = seqNumber(m.offset, 'offset')
  const length = seqNumber(m.length, 'length')
  if (length > MAX_BLOB_RANGE_BYTES || offset + length > size) throw bad('blob range out of bounds', { field: 'length' })
  return { t: 'blob-data', hash: m.hash, size, offset, length }
}
