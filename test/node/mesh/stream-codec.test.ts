import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { PeerId } from '@libp2p/interface'
import { StratmeshError } from '../../../src/protocol/errors.js'
import { request, serve, remoteError, type FrameChannel } from '../../../src/node/mesh/stream-codec.js'
import { validateSyncResponse, type SyncResponse } from '../../../src/protocol/sync-messages.js'
import { createMesh } from '../../helpers/mesh.js'

const PROTO = '/stratmesh/test-codec/1.0.0'
interface EchoReq { n: number, size?: number }
function validateEcho (v: unknown): EchoReq {
  const r = v as EchoReq
  if (typeof r !== 'object' || r === null || !Number.isInteger(r.n)) throw new StratmeshError('SYNC_BAD_MESSAGE', 'n must be an integer')
  return r
}

async function readAll (ch: FrameChannel): Promise<string[]> {
  const out: string[] = []
  for (let f = await ch.read(); f !== null; f = await ch.read()) out.push(new TextDecoder().decode(f))
  return out
}

test('one request, several responses, in order; then the stream ends', async () => {
  const mesh = await createMesh(2)
  const [a, b] = mesh.peers
  const seen: PeerId[] = []
  await serve(a.node, PROTO, { maxRequestBytes: 1024, validate: validateEcho }, async (req, ch, peer) => {
    seen.push(peer)
    for (let i = 0; i < req.n; i++) await ch.send(new TextEncoder().encode(`r${i}`))
  })
  const got = await request(b.node, a.node.peerId, PROTO, { n: 3 }, { maxFrameBytes: 1024 }, readAll)
  assert.deepEqual(got, ['r0', 'r1', 'r2'])
  assert.ok(seen[0].equals(b.node.peerId), 'the responder knows who asked')
})

test('a response frame over the cap fails with SYNC_TOO_LARGE before it is buffered', async () => {
  const mesh = await createMesh(2)
  const [a, b] = mesh.peers
  await serve(a.node, PROTO, { maxRequestBytes: 1024, validate: validateEcho }, async (req, ch) => {
    await ch.send(new Uint8Array(req.size ?? 0))
  })
  const ok = await request(b.node, a.node.peerId, PROTO, { n: 1, size: 1000 }, { maxFrameBytes: 1000 }, readAll)
  assert.equal(ok.length, 1, 'exactly at the cap is fine')
  await assert.rejects(request(b.node, a.node.peerId, PROTO, { n: 1, size: 1001 }, { maxFrameBytes: 1000 }, readAll), { code: 'SYNC_TOO_LARGE' })
})

test('a bad or oversized request is answered with an error code, and reported on the serving side', async () => {
  const mesh = await createMesh(2)
  const [a, b] = mesh.peers
  const errors: string[] = []
  await serve(a.node, PROTO, { maxRequestBytes: 64, validate: validateEcho, onError: e => { errors.push(e.code) } }, async () => {})
  const answer = async (ch: FrameChannel): Promise<SyncResponse | null> => await ch.readJson(validateSyncResponse)
  const res = await request(b.node, a.node.peerId, PROTO, { n: 'x' }, { maxFrameBytes: 1024 }, answer)
  assert.deepEqual(res, { t: 'error', code: 'SYNC_BAD_MESSAGE', message: 'n must be an integer' })
  assert.equal(remoteError(res as { t: 'error', code: string, message: string }, a.node.peerId).details?.remoteCode, 'SYNC_BAD_MESSAGE')
  await assert.rejects(request(b.node, a.node.peerId, PROTO, { n: 1, pad: 'x'.repeat(100) }, { maxFrameBytes: 1024 }, answer))
  assert.deepEqual(errors, ['SYNC_BAD_MESSAGE', 'SYNC_TOO_LARGE'])
})

test('a silent responder times out with SYNC_TIMEOUT, and a peer without the protocol is SYNC_UNSUPPORTED_PROTOCOL', async () => {
  const mesh = await createMesh(2)
  const [a, b] = mesh.peers
  let release: () => void = () => {}
  const hang = new Promise<void>(resolve => { release = resolve })
  await serve(a.node, PROTO, { maxRequestBytes: 1024, validate: validateEcho, idleTimeoutMs: 5_000 }, async () => { await hang })
  const start = Date.now()
  await assert.rejects(request(b.node, a.node.peerId, PROTO, { n: 1 }, { maxFrameBytes: 1024, idleTimeoutMs: 300 }, readAll), { code: 'SYNC_TIMEOUT' })
  assert.ok(Date.now() - start < 3_000)
  release()
  await assert.rejects(request(b.node, a.node.peerId, '/stratmesh/nobody-speaks-this/1.0.0', { n: 1 }, { maxFrameBytes: 1024 }, readAll), { code: 'SYNC_UNSUPPORTED_PROTOCOL' })
})

test('frames after the expected responses are refused with SYNC_BAD_MESSAGE', async () => {
  const mesh = await createMesh(2)
  const [a, b] = mesh.peers
  await serve(a.node, PROTO, { maxRequestBytes: 1024, validate: validateEcho }, async (_req, ch) => {
    await ch.send(new Uint8Array([1]))
    await ch.send(new Uint8Array([2]))
  })
  await assert.rejects(request(b.node, a.node.peerId, PROTO, { n: 1 }, { maxFrameBytes: 1024 }, async ch => await ch.read()), { code: 'SYNC_BAD_MESSAGE' })
})
