import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { decodeEntry, encodeEntry, entryHash, signEntry, verifyEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import { canonicalBytes, canonicalHash, canonicalString, sha256Hex } from '../../src/protocol/canonical.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import { MAX_ENTRY_BYTES, MAX_RENEW_UNITS } from '../../src/protocol/limits.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import type { Checkpoint } from '../../src/protocol/job-spec.js'
import type { ErrorCode } from '../../src/protocol/error-codes.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const key = await generateKeyPair('Ed25519')
const author = peerIdFromPrivateKey(key).toString()
const other = await generateKeyPair('Ed25519')
const H = 'ab'.repeat(32)
const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: H, name: 's' }, dataset: { hash: 'cd'.repeat(32), name: 'd', bars: 500 } })
const jobId = canonicalHash(spec)

function checkpoint (over: Partial<Checkpoint> = {}): Checkpoint {
  return { jobId, island: 1, epoch: 0, population: [{ params: { a: 1, m: 'x' }, fitness: 0.5 }], best: [{ params: { a: 1, m: 'x' }, fitness: 0.5, inSample: null, outOfSample: null }], evaluations: 10, errors: 0, ...over }
}

const BODIES = {
  hello: { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 8, name: 'mac' },
  job: { spec, id: jobId },
  claim: { jobId, island: 1, epoch: 0, ttlMs: 10_000 },
  renew: { jobId, island: 1, epoch: 0, ttlMs: 10_000 },
  release: { jobId, island: 1, epoch: 0 },
  commit: { jobId, island: 1, epoch: 0, checkpointHash: canonicalHash(checkpoint()), checkpoint: checkpoint() },
  'blob-have': { blobs: [{ hash: H, size: 123, kind: 'strategy' }] },
  cancel: { jobId },
  priority: { jobId, priority: -7 }
} as const

function unsigned (type: keyof typeof BODIES, body: unknown = BODIES[type], over: Partial<UnsignedEntry> = {}): UnsignedEntry {
  return { v: 1, author, seq: 1, prev: null, hlc: [1_700_000_000_000, 0], type, body, ...over } as UnsignedEntry
}

async function rejects (p: Promise<unknown> | (() => unknown), code: ErrorCode, field?: string): Promise<void> {
  await assert.rejects(async () => { await (typeof p === 'function' ? p() : p) }, (err: unknown) => {
    assert.ok(isStratmeshError(err, code), `expected ${code}, got ${String(err)}`)
    if (field !== undefined) {
      assert.equal(err.details?.field, field)
      assert.ok(err.message.includes(field), `message "${err.message}" names ${field}`)
    }
    return true
  })
}

test('every entry type signs, verifies, encodes and decodes', async () => {
  for (const type of Object.keys(BODIES) as (keyof typeof BODIES)[]) {
    const e = await signEntry(key, unsigned(type))
    assert.match(e.sig, /^[A-Za-z0-9_-]{86}$/)
    await verifyEntry(e)
    const bytes = encodeEntry(e)
    assert.equal(new TextDecoder().decode(bytes), canonicalString(e))
    const back = decodeEntry(bytes)
    assert.deepEqual(back, e)
    await verifyEntry(back)
    const { sig: _sig, ...rest } = e
    assert.equal(entryHash(e), sha256Hex(canonicalBytes(rest)), 'hash = sha256 of the signed bytes')
    assert.equal(await key.publicKey.verify(canonicalBytes(rest), Buffer.from(e.sig, 'base64url')), true, 'libp2p verifies our signature')
    const theirs = Buffer.from(await key.sign(canonicalBytes(rest))).toString('base64url')
    await verifyEntry({ ...e, sig: theirs })
    assert.equal(entryHash(back), entryHash(e))
  }
})

test('a forged or tampered entry fails with ENTRY_BAD_SIGNATURE', async () => {
  const e = await signEntry(key, unsigned('claim'))
  const other = await signEntry(key, unsigned('claim', { ...BODIES.claim, island: 2 }))
  await rejects(verifyEntry({ ...e, sig: other.sig }), 'ENTRY_BAD_SIGNATURE')
  await rejects(verifyEntry({ ...e, body: { ...e.body, ttlMs: 20_000 } }), 'ENTRY_BAD_SIGNATURE')
  await rejects(verifyEntry({ ...e, hlc: [e.hlc[0], 1] }), 'ENTRY_BAD_SIGNATURE')
  await rejects(verifyEntry({ ...e, sig: 'A'.repeat(86) }), 'ENTRY_BAD_SIGNATURE')
})

test('the author must be the Ed25519 peer id of the signing key', async () => {
  const otherAuthor = peerIdFromPrivateKey(other).toString()
  await rejects(signEntry(other, unsigned('hello')), 'ENTRY_BAD_AUTHOR')
  const byOther = await signEntry(other, unsigned('hello', BODIES.hello, { author: otherAuthor }))
  await rejects(verifyEntry({ ...byOther, author }), 'ENTRY_BAD_SIGNATURE')
  const e = await signEntry(key, unsigned('hello'))
  await rejects(verifyEntry({ ...e, author: 'not-a-peer-id' }), 'ENTRY_BAD_AUTHOR')
  await rejects(verifyEntry({ ...e, author: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N' }), 'ENTRY_BAD_AUTHOR')
  const secp: PrivateKey = await generateKeyPair('secp256k1')
  await rejects(verifyEntry({ ...e, author: peerIdFromPrivateKey(secp).toString() }), 'ENTRY_BAD_AUTHOR')
})

test('an oversized entry is refused before parsing or signing with ENTRY_TOO_LARGE', async () => {
  const e = await signEntry(key, unsigned('hello'))
  await rejects(verifyEntry({ ...e, pad: 'x'.repeat(MAX_ENTRY_BYTES) }), 'ENTRY_TOO_LARGE')
  await rejects(async () => decodeEntry(new Uint8Array(MAX_ENTRY_BYTES + 1)), 'ENTRY_TOO_LARGE')
  const population = Array.from({ length: 1000 }, (_, i) => ({ params: { a: i, s: 'y'.repeat(200) }, fitness: null, error: 'E: ' + 'x'.repeat(900) }))
  const big = checkpoint({ population })
  await rejects(signEntry(key, unsigned('commit', { ...BODIES.commit, checkpoint: big, checkpointHash: canonicalHash(big) })), 'ENTRY_TOO_LARGE')
})

test('decodeEntry refuses malformed and non-canonical bytes with ENTRY_BAD_SCHEMA', async () => {
  const e = await signEntry(key, unsigned('hello'))
  const text = canonicalString(e)
  const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
  await rejects(async () => decodeEntry(enc('{"v":1')), 'ENTRY_BAD_SCHEMA')
  await rejects(async () => decodeEntry(new Uint8Array([0xff, 0xfe])), 'ENTRY_BAD_SCHEMA')
  await rejects(async () => decodeEntry(enc(text.replace(',', ', '))), 'ENTRY_BAD_SCHEMA')
  await rejects(async () => decodeEntry(enc(JSON.stringify(Object.fromEntries(Object.entries(e).reverse())))), 'ENTRY_BAD_SCHEMA', 'entry')
  await rejects(async () => decodeEntry(enc(text.replace('"cores":8', '"cores":8.0'))), 'ENTRY_BAD_SCHEMA', 'entry')
  await rejects(async () => decodeEntry(enc('[1,2]')), 'ENTRY_BAD_SCHEMA', 'entry')
})

test('the envelope is validated field by field', async () => {
  const e = await signEntry(key, unsigned('hello'))
  const cases: [Record<string, unknown>, string][] = [
    [{ v: 2 }, 'v'],
    [{ seq: 0 }, 'seq'],
    [{ seq: 1.5 }, 'seq'],
    [{ prev: H }, 'prev'],
    [{ seq: 2, prev: null }, 'prev'],
    [{ seq: 2, prev: 'AB'.repeat(32) }, 'prev'],
    [{ hlc: [1, -1] }, 'hlc'],
    [{ hlc: [1] }, 'hlc'],
    [{ type: 'vote' }, 'type'],
    [{ sig: 'short' }, 'sig'],
    [{ extra: 1 }, 'entry.extra']
  ]
  for (const [over, field] of cases) await rejects(verifyEntry({ ...e, ...over }), 'ENTRY_BAD_SCHEMA', field)
  const { sig: _sig, ...noSig } = e
  await rejects(verifyEntry(noSig), 'ENTRY_BAD_SCHEMA', 'entry.sig')
})

test('each body schema names the bad field', async () => {
  const cp = checkpoint()
  const cases: [keyof typeof BODIES, unknown, string][] = [
    ['hello', { ...BODIES.hello, cores: 0 }, 'body.cores'],
    ['hello', { ...BODIES.hello, name: 'n'.repeat(65) }, 'body.name'],
    ['hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2 }, 'body.name'],
    ['hello', { ...BODIES.hello, isolateInterface: 0 }, 'body.isolateInterface'],
    ['hello', { ...BODIES.hello, fingerprint: '1' }, 'body.fingerprint'],
    ['job', { ...BODIES.job, id: H }, 'body.id'],
    ['job', { ...BODIES.job, spec: { ...spec, ga: { ...spec.ga, islands: 0 } } }, 'body.spec.ga.islands'],
    ['job', { ...BODIES.job, spec: { ...spec, costs: { ...spec.costs, fee: 0.5 } } }, 'body.spec.costs.fee'],
    ['job', { ...BODIES.job, spec: { ...spec, strategy: { hash: 'x', name: 's' } } }, 'body.spec.strategy.hash'],
    ['job', { ...BODIES.job, spec: { ...spec, extra: true } }, 'body.spec.extra'],
    ['claim', { ...BODIES.claim, ttlMs: 10 }, 'body.ttlMs'],
    ['claim', { ...BODIES.claim, island: -1 }, 'body.island'],
    ['claim', { ...BODIES.claim, jobId: 'nope' }, 'body.jobId'],
    ['renew', { ...BODIES.renew, ttlMs: 24 * 3600_000 }, 'body.ttlMs'],
    ['renew', { ...BODIES.renew, epoch: 'x' }, 'body.epoch'],
    ['renew', { units: [], ttlMs: 5000 }, 'body.units'],
    ['renew', { units: Array.from({ length: MAX_RENEW_UNITS + 1 }, (_, i) => ({ jobId, island: i % 8, epoch: 0 })), ttlMs: 5000 }, 'body.units'],
    ['renew', { units: [{ jobId, island: 0, epoch: 0 }, { jobId, island: 1 }], ttlMs: 5000 }, 'body.units[1].epoch'],
    ['renew', { units: [{ jobId, island: 0, epoch: 0, ttlMs: 5000 }], ttlMs: 5000 }, 'body.units[0].ttlMs'],
    ['renew', { units: [{ jobId, island: 0, epoch: 0 }], ttlMs: 10 }, 'body.ttlMs'],
    ['renew', { units: [{ jobId, island: 0, epoch: 0 }], ttlMs: 5000, island: 0 }, 'body.island'],
    ['release', { ...BODIES.release, ttlMs: 5000 }, 'body.ttlMs'],
    ['release', { jobId, island: 1 }, 'body.epoch'],
    ['commit', { ...BODIES.commit, checkpointHash: H }, 'body.checkpointHash'],
    ['commit', { ...BODIES.commit, island: 2 }, 'body.checkpoint.island'],
    ['commit', { ...BODIES.commit, checkpoint: { ...cp, evaluations: -1 } }, 'body.checkpoint.evaluations'],
    ['commit', { ...BODIES.commit, checkpoint: { ...cp, best: [{ ...cp.best[0], inSample: { sharpe: 1 } }] } }, 'body.checkpoint.best[0].inSample.totalReturn'],
    ['commit', { ...BODIES.commit, checkpoint: { ...cp, population: [{ params: { a: [1] }, fitness: 1 }] } }, 'body.checkpoint.population[0].params.a'],
    ['commit', { ...BODIES.commit, checkpoint: { ...cp, population: [{ params: {}, fitness: 'high' }] } }, 'body.checkpoint.population[0].fitness'],
    ['blob-have', { blobs: [] }, 'body.blobs'],
    ['blob-have', { blobs: [{ hash: H, size: 1, kind: 'model' }] }, 'body.blobs[0].kind'],
    ['blob-have', { blobs: [{ hash: H, size: -1, kind: 'dataset' }] }, 'body.blobs[0].size'],
    ['blob-have', { blobs: [{ hash: H.toUpperCase(), size: 1, kind: 'dataset' }] }, 'body.blobs[0].hash'],
    ['job', { ...BODIES.job, priority: 101 }, 'body.priority'],
    ['job', { ...BODIES.job, priority: 1.5 }, 'body.priority'],
    ['cancel', { jobId: 'x' }, 'body.jobId'],
    ['cancel', { jobId, reason: 'typo' }, 'body.reason'],
    ['priority', { jobId }, 'body.priority'],
    ['priority', { jobId, priority: -101 }, 'body.priority'],
    ['priority', { jobId: H.slice(1), priority: 1 }, 'body.jobId']
  ]
  const good = await signEntry(key, unsigned('hello'))
  for (const [type, body, field] of cases) {
    await rejects(signEntry(key, unsigned(type, body)), 'ENTRY_BAD_SCHEMA', field)
    await rejects(verifyEntry({ ...good, type, body } as Entry), 'ENTRY_BAD_SCHEMA', field)
  }
})
