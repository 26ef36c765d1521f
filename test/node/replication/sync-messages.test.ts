// Pure tests of the sync and blob wire messages (src/protocol/sync-messages.ts).
import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  MAX_BLOB_RANGE_BYTES, MAX_EVIDENCE_AUTHORS, MAX_GOSSIP_ENTRIES, MAX_HEADS_AUTHORS, MAX_RANGE_ENTRIES, parseJsonFrame, encodeJsonFrame,
  validateBlobRequest, validateBlobResponse, validateGossipMessage, validateHeads, validateSyncRequest, validateSyncResponse
} from '../../../src/protocol/sync-messages.js'

const PEER = '12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA'
const HASH = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'
const bad = { code: 'SYNC_BAD_MESSAGE' }

test('sync requests: heads and bounded ranges pass, anything else is SYNC_BAD_MESSAGE naming the field', () => {
  assert.deepEqual(validateSyncRequest({ t: 'heads', extra: 1 }), { t: 'heads' })
  assert.deepEqual(validateSyncRequest({ t: 'range', author: PEER, from: 1, limit: MAX_RANGE_ENTRIES }), { t: 'range', author: PEER, from: 1, limit: MAX_RANGE_ENTRIES })
  assert.throws(() => validateSyncRequest({ t: 'range', author: PEER, from: 1, limit: MAX_RANGE_ENTRIES + 1 }), { ...bad, details: { field: 'limit' } })
  assert.throws(() => validateSyncRequest({ t: 'range', author: PEER, from: 1, limit: 0 }), bad)
  assert.throws(() => validateSyncRequest({ t: 'range', author: PEER, from: -1, limit: 5 }), { ...bad, details: { field: 'from' } })
  assert.throws(() => validateSyncRequest({ t: 'range', author: PEER, from: 1.5, limit: 5 }), bad)
  assert.throws(() => validateSyncRequest({ t: 'range', author: '../x', from: 1, limit: 5 }), { ...bad, details: { field: 'author' } })
  assert.throws(() => validateSyncRequest({ t: 'delete-everything' }), { ...bad, details: { field: 't' } })
  assert.throws(() => validateSyncRequest([]), bad)
  assert.throws(() => validateSyncRequest(null), bad)
})

test('heads responses carry head hashes and frozen authors; evidence requests are bounded', () => {
  assert.deepEqual(validateSyncResponse({ t: 'heads', heads: { [PEER]: 2 }, hashes: { [PEER]: HASH }, frozen: [PEER] }),
    { t: 'heads', heads: { [PEER]: 2 }, hashes: { [PEER]: HASH }, frozen: [PEER] })
  assert.deepEqual(validateSyncResponse({ t: 'heads', heads: {} }), { t: 'heads', heads: {}, hashes: {}, frozen: [] }, 'both are optional')
  assert.throws(() => validateSyncResponse({ t: 'heads', heads: {}, hashes: { [PEER]: 'abc' } }), { ...bad, details: { field: `hashes.${PEER}` } })
  assert.throws(() => validateSyncResponse({ t: 'heads', heads: {}, frozen: PEER }), { ...bad, details: { field: 'frozen' } })
  assert.deepEqual(validateSyncRequest({ t: 'evidence', authors: [PEER] }), { t: 'evidence', authors: [PEER] })
  assert.throws(() => validateSyncRequest({ t: 'evidence', authors: new Array(MAX_EVIDENCE_AUTHORS + 1).fill(PEER) }), bad)
})

test('heads maps: author to non-negative integer, bounded in size', () => {
  assert.deepEqual(validateHeads({ [PEER]: 7 }), { [PEER]: 7 })
  assert.throws(() => validateHeads({ [PEER]: '7' }), bad)
  assert.throws(() => validateHeads({ 'not a peer': 1 }), bad)
  const many: Record<string, number> = {}
  for (let i = 0; i <= MAX_HEADS_AUTHORS; i++) many[`p${i}`] = 1
  assert.throws(() => validateHeads(many), bad)
})

test('responses: entries pages and error messages; errors need an UPPER_SNAKE code', () => {
  assert.deepEqual(validateSyncResponse({ t: 'entries', entries: [{}, 1] }), { t: 'entries', entries: [{}, 1] })
  assert.throws(() => validateSyncResponse({ t: 'entries', entries: new Array(MAX_RANGE_ENTRIES + 1).fill(0) }), bad)
  assert.deepEqual(validateSyncResponse({ t: 'error', code: 'BLOB_NOT_FOUND', message: 'no' }), { t: 'error', code: 'BLOB_NOT_FOUND', message: 'no' })
  assert.equal((validateSyncResponse({ t: 'error', code: 'X', message: 'm'.repeat(5000) }) as { message: string }).message.length, 1000)
  assert.throws(() => validateSyncResponse({ t: 'error', code: 'lower case', message: '' }), bad)
})

test('gossip messages carry a bounded list of entries', () => {
  assert.deepEqual(validateGossipMessage({ t: 'entries', entries: [] }), { t: 'entries', entries: [] })
  assert.throws(() => validateGossipMessage({ t: 'entries', entries: new Array(MAX_GOSSIP_ENTRIES + 1).fill({}) }), bad)
  assert.throws(() => validateGossipMessage({ t: 'entries', entries: {} }), bad)
})

test('blob messages: hashes are lower-case sha256 hex, ranges bounded and inside the blob', () => {
  assert.deepEqual(validateBlobRequest({ t: 'blob-get', hash: HASH, offset: 0, length: MAX_BLOB_RANGE_BYTES }), { t: 'blob-get', hash: HASH, offset: 0, length: MAX_BLOB_RANGE_BYTES })
  assert.throws(() => validateBlobRequest({ t: 'blob-get', hash: HASH.toUpperCase(), offset: 0, length: 1 }), bad)
  assert.throws(() => validateBlobRequest({ t: 'blob-get', hash: HASH, offset: 0, length: MAX_BLOB_RANGE_BYTES + 1 }), bad)
  assert.throws(() => validateBlobRequest({ t: 'blob-get', hash: HASH, offset: 0, length: 0 }), bad)
  assert.deepEqual(validateBlobResponse({ t: 'blob-data', hash: HASH, size: 10, offset: 4, length: 6 }), { t: 'blob-data', hash: HASH, size: 10, offset: 4, length: 6 })
  assert.throws(() => validateBlobResponse({ t: 'blob-data', hash: HASH, size: 10, offset: 5, length: 6 }), bad)
})

test('frames: JSON round trip; invalid UTF-8 or JSON is SYNC_BAD_MESSAGE', () => {
  assert.deepEqual(parseJsonFrame(encodeJsonFrame({ t: 'heads' })), { t: 'heads' })
  assert.throws(() => parseJsonFrame(new Uint8Array([0xff, 0xfe])), bad)
  assert.throws(() => parseJsonFrame(new TextEncoder().encode('{"t":')), bad)
})
