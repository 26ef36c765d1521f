import { test, after } from 'node:test'
import { createServer, type AddressInfo, type Socket } from 'node:net'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { randomBytes } from 'node:crypto'
import { createPeerNode, withoutLoopback, DIAL_TIMEOUT_MS, type PeerNode } from '../../../src/node/mesh/libp2p-node.js'
import { backoff, isForeignMesh, DIAL_DEFER_MS, FIRST_DIAL_JITTER_MS, MAX_CONCURRENT_DIALS, MeshDialer, type MeshDialerComponents, type DialerTargetView, REDIAL_FOREIGN_MS, REDIAL_MAX_MS, REDIAL_MIN_MS } from '../../../src/node/mesh/dialer.js'
import { swarmKeyFromSecret } from '../../../src/protocol/swarm-key.js'
import { StratmeshError } from '../../../src/protocol/errors.js'
import { waitFor } from '../../helpers/wait-for.js'
import { defaultLogger } from '@libp2p/logger'

const SECRET = 'correct horse battery'
const nodes: PeerNode[] = []
after(async () => { await Promise.all(nodes.map(async n => { await n.stop() })) })

async function node (opts: { secret?: string, listen?: string, key?: PrivateKey, bootstrap?: string[], notice?: (m: string) => void } = {}): Promise<PeerNode> {
  const n = await createPeerNode({
    privateKey: opts.key ?? await generateKeyPair('Ed25519'),
    listen: [opts.listen ?? '/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    ...(opts.bootstrap === undefined ? {} : { bootstrap: opts.bootstrap }),
    swarmKey: swarmKeyFromSecret(opts.secret ?? SECRET),
    ...(opts.notice === undefined ? {} : { notice: opts.notice }),
  })
  nodes.push(n)
  return n
}

/** What an mDNS sighting does: the peer lands in the peer store, libp2p emits peer:discovery. */
async function sight (from: PeerNode, to: PeerNode): Promise<void> {
  await from.peerStore.merge(to.peerId, { multiaddrs: to.getMultiaddrs().map(a => a.decapsulateCode(421)) })
}

const connected = (a: PeerNode, b: PeerNode): boolean => a.getConnections(b.peerId).length > 0

test('a dropped connection is dialled again, by both ends if need be', async () => {
  const a = await node()
  const b = await node({ bootstrap: [a.getMultiaddrs()[0].toString()] })
  await waitFor(() => connected(a, b) && connected(b, a), { timeoutMs: 5_000, message: 'b to dial its bootstrap peer' })
  // a learnt b from the inbound connection alone; it redials b too when the link drops.
  assert.ok(a.services.meshDialer.view().some(v => v.peer === b.peerId.toString()))
  await a.hangUp(b.peerId)
  await waitFor(() => !connected(a, b), { timeoutMs: 2_000, message: 'the hang-up' })
  // Bounded: within the first redial delay, the dial's defer and a loaded machine's slack.
  await waitFor(() => connected(a, b) && connected(b, a), { timeoutMs: REDIAL_MIN_MS + DIAL_DEFER_MS + 5_000, message: 'the re-dial' })
})

test('a peer that goes away is dialled with backoff for as long as it takes, and wake() dials at once', async () => {
  const key = await generateKeyPair('Ed25519')
  let b = await node({ key })
  const addr = b.getMultiaddrs()[0]
  const a = await node()
  await sight(a, b)
  await waitFor(() => connected(a, b), { timeoutMs: DIAL_DEFER_MS + 5_000, message: 'a to dial the sighted peer' })
  await b.stop()
  // a keeps failing; the delay between attempts grows.
  await waitFor(() => (a.services.meshDialer.view().find(v => v.peer === b.peerId.toString())?.failures ?? 0) >= 3, { timeoutMs: 20_000, message: 'three failed re-dials' })
  const mine = a.services.meshDialer.view().find(v => v.peer === b.peerId.toString())
  assert.ok(mine !== undefined && !mine.connected && !mine.foreign)
  // The same machine comes back (same key, same address).
  b = await node({ key, listen: addr.decapsulateCode(421).toString() })
  a.services.meshDialer.wake()
  await waitFor(() => connected(a, b), { timeoutMs: 5_000, message: 'a to dial the woken peer at once' })
  assert.equal(a.services.meshDialer.view().find(v => v.peer === b.peerId.toString())?.failures, 0)
})

test('a peer that accepts the connection but never answers (frozen) fails within the dial timeout and is tried again', async t => {
  // A SIGSTOPped process: its kernel still accepts TCP connections, nothing answers.
  const sockets: Socket[] = []
  const server = createServer(sock => { sockets.push(sock) })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { for (const s of sockets) s.destroy(); server.close() })
  const port = (server.address() as AddressInfo).port
  const frozenId = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  const a = await node()
  const started = Date.now()
  await a.peerStore.merge(frozenId, { multiaddrs: [multiaddr(`/ip4/127.0.0.1/tcp/${port}`)] })
  const view = (): DialerTargetView | undefined => a.services.meshDialer.view().find(v => v.peer === frozenId.toString())
  await waitFor(() => (view()?.failures ?? 0) >= 1, { timeoutMs: DIAL_DEFER_MS + DIAL_TIMEOUT_MS + 5_000, message: 'the hanging dial to fail' })
  const failedAfter = Date.now() - started
  assert.ok(failedAfter < DIAL_DEFER_MS + DIAL_TIMEOUT_MS + 3_000, `failed after ${failedAfter} ms`)
  await waitFor(() => (view()?.failures ?? 0) >= 2, { timeoutMs: DIAL_TIMEOUT_MS + 2 * REDIAL_MIN_MS + 5_000, message: 'a second attempt' })
  t.diagnostic(`first failure ${failedAfter} ms after the sighting; connections accepted by the frozen side: ${sockets.length}`)
})

test('two peers that sight each other at once end with one connection', async () => {
  for (let round = 0; round < 2; round++) {
    const a = await node()
    const b = await node()
    await Promise.all([sight(a, b), sight(b, a)])
    await waitFor(() => connected(a, b), { timeoutMs: DIAL_DEFER_MS + 5_000, message: 'a connection' })
    await new Promise(resolve => setTimeout(resolve, DIAL_DEFER_MS + 500))
    assert.equal(a.getConnections(b.peerId).length, 1, `round ${round}: a has one connection to b`)
    assert.equal(b.getConnections(a.peerId).length, 1, `round ${round}: b has one connection to a`)
  }
})

test('a peer of another mesh is noticed once and then dialled only rarely', async () => {
  const notices: string[] = []
  const a = await node({ notice: m => notices.push(m) })
  const outsider = await node({ secret: 'another mesh entirely' })
  await sight(a, outsider)
  await waitFor(() => a.services.meshDialer.view().some(v => v.peer === outsider.peerId.toString() && v.foreign), { timeoutMs: DIAL_DEFER_MS + 5_000, message: 'the outsider marked foreign' })
  const v = a.services.meshDialer.view().find(t => t.peer === outsider.peerId.toString())
  assert.ok(v !== undefined && v.nextInMs > REDIAL_FOREIGN_MS / 2, `next dial in ${v?.nextInMs} ms`)
  // Sighted again (mDNS answers every few seconds): no earlier dial, no second notice.
  await sight(a, outsider)
  a.services.meshDialer.sweep()
  assert.ok((a.services.meshDialer.view().find(t => t.peer === outsider.peerId.toString())?.nextInMs ?? 0) > REDIAL_FOREIGN_MS / 2)
  assert.equal(notices.length, 1, notices.join('\n'))
  assert.match(notices[0], /different mesh secret/)
  assert.equal(connected(a, outsider), false)
})

/** pnet's nonce: the first bytes each end sends (@libp2p/pnet, NONCE_LENGTH). */
const PNET_NONCE_BYTES = 24
/** The key confirmation token each end sends after the nonces (libp2p-node.ts). */
const CONFIRMATION_BYTES = 16

/**
 * A member stalled mid-handshake, on a raw socket: it sends its pnet nonce, then either never
 * confirms ('stalls': a stopped process) or drops the connection once our confirmation arrived
 * ('closes': a starved event loop whose own handshake timeout fired first).
 */
async function stalledResponder (t: { after: (fn: () => void) => void }, mode: 'stalls' | 'closes'): Promise<Multiaddr> {
  const sockets: Socket[] = []
  const server = createServer(sock => {
    sockets.push(sock)
    // The dialer resets the connection when it gives up.
    sock.on('error', () => {})
    sock.write(randomBytes(PNET_NONCE_BYTES))
    let got = 0
    sock.on('data', (d: Buffer) => {
      got += d.length
      if (mode === 'closes' && got >= PNET_NONCE_BYTES + CONFIRMATION_BYTES) sock.end()
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  t.after(() => { for (const s of sockets) s.destroy(); server.close() })
  return multiaddr(`/ip4/127.0.0.1/tcp/${(server.address() as AddressInfo).port}`)
}

for (const mode of ['closes', 'stalls'] as const) {
  test(`a member that ${mode === 'closes' ? 'drops the connection' : 'stalls'} mid-handshake is an ordinary failed dial, not another mesh`, async t => {
    const addr = await stalledResponder(t, mode)
    const notices: string[] = []
    const a = await node({ notice: m => notices.push(m) })
    const err = await a.dial(addr).then(() => undefined, (e: unknown) => e)
    assert.ok(err !== undefined, 'the dial must fail')
    assert.equal(isForeignMesh(err), false, `taken for another mesh: ${String(err)}`)
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    await a.peerStore.merge(id, { multiaddrs: [addr] })
    const view = (): DialerTargetView | undefined => a.services.meshDialer.view().find(v => v.peer === id.toString())
    await waitFor(() => (view()?.failures ?? 0) >= 1, { timeoutMs: DIAL_DEFER_MS + FIRST_DIAL_JITTER_MS + DIAL_TIMEOUT_MS + 5_000, message: 'the first dial to fail' })
    const v = view()
    assert.ok(v !== undefined && !v.foreign && v.nextInMs <= REDIAL_MIN_MS * 1.2, `next dial in ${v?.nextInMs} ms, foreign ${String(v?.foreign)}`)
    await waitFor(() => (view()?.failures ?? 0) >= 2, { timeoutMs: DIAL_TIMEOUT_MS + 2 * REDIAL_MIN_MS + 5_000, message: 'a second attempt with the ordinary backoff' })
    assert.deepEqual(notices, [], 'no "different mesh secret" notice')
  })
}

test('backoff doubles to its cap with jitter; foreign peers wait longest', () => {
  for (let i = 0; i < 50; i++) {
    const first = backoff(1, false)
    assert.ok(first >= REDIAL_MIN_MS * 0.8 && first <= REDIAL_MIN_MS * 1.2, String(first))
    const third = backoff(3, false)
    assert.ok(third >= 4 * REDIAL_MIN_MS * 0.8 && third <= 4 * REDIAL_MIN_MS * 1.2, String(third))
    const late = backoff(1000, false)
    assert.ok(late >= REDIAL_MAX_MS * 0.8 && late <= REDIAL_MAX_MS * 1.2, String(late))
    assert.ok(backoff(1, true) >= REDIAL_FOREIGN_MS * 0.8)
  }
})

test('a key mismatch is found anywhere in a dial error chain', () => {
  const ours = new StratmeshError('SWARM_KEY_MISMATCH', 'different secret')
  assert.equal(isForeignMesh(ours), true)
  assert.equal(isForeignMesh(new AggregateError([new Error('refused'), new Error('wrapped', { cause: ours })])), true)
  assert.equal(isForeignMesh(new Error('ECONNREFUSED')), false)
  assert.equal(isForeignMesh(undefined), false)
})

test('loopback addresses are announced only when a node has nothing else', async () => {
  const lan = multiaddr('/ip4/192.168.1.20/tcp/4001')
  const loop4 = multiaddr('/ip4/127.0.0.1/tcp/4001')
  const loop6 = multiaddr('/ip6/::1/tcp/4001')
  assert.deepEqual(withoutLoopback([loop4, lan, loop6]).map(String), [lan.toString()])
  assert.deepEqual(withoutLoopback([loop4, loop6]).map(String), [loop4.toString(), loop6.toString()])
  const a = await node()
  assert.ok(a.getMultiaddrs().some(m => m.toString().startsWith('/ip4/127.0.0.1/')), 'a loopback-only node still has an address to give')
})

test('peers met all at once are dialled with jitter, the smaller id first, and at most MAX_CONCURRENT_DIALS at a time', async () => {
  const keys = await Promise.all(Array.from({ length: 13 }, async () => await generateKeyPair('Ed25519')))
  const ids = keys.map(k => peerIdFromPrivateKey(k)).sort((x, y) => x.toString() < y.toString() ? -1 : 1)
  // Our id is the middle one: six peers with smaller ids, six with larger.
  const self = ids[6]
  let now = 1_000_000
  let draws = 0
  const pending: Array<() => void> = []
  let inFlight = 0
  let most = 0
  const dialled: string[] = []
  const dialer = new MeshDialer({
    peerId: self,
    events: new EventTarget() as unknown as MeshDialerComponents['events'],
    logger: defaultLogger(),
    connectionManager: {
      openConnection: async (peer) => {
        dialled.push(peer.toString())
        inFlight++
        most = Math.max(most, inFlight)
        await new Promise<void>(resolve => { pending.push(resolve) })
        inFlight--
        throw new Error('refused')
      },
      getConnections: () => []
    }
  }, { bootstrap: [], dialTimeoutMs: 1_000, now: () => now, random: () => (draws++ % 10) / 10 })
  dialer.start()
  try {
    for (const id of ids) if (id !== self) dialer.sighted(id)
    const waits = new Map(dialer.view().map(v => [v.peer, v.nextInMs]))
    for (const id of ids.slice(7)) {
      const wait = waits.get(id.toString()) as number
      assert.ok(wait >= 0 && wait < FIRST_DIAL_JITTER_MS, `ours is the smaller id: we dial at once, within the jitter (${wait} ms)`)
    }
    for (const id of ids.slice(0, 6)) {
      const wait = waits.get(id.toString()) as number
      assert.ok(wait >= DIAL_DEFER_MS && wait < DIAL_DEFER_MS + FIRST_DIAL_JITTER_MS, `theirs is the smaller id: we wait for them to dial us (${wait} ms)`)
    }
    assert.ok(new Set(waits.values()).size > 2, 'first dials are spread, not all at one instant')
    now += DIAL_DEFER_MS + FIRST_DIAL_JITTER_MS
    dialer.sweep()
    assert.equal(inFlight, MAX_CONCURRENT_DIALS, 'every peer is due, but only so many dials start')
    // As dials end, the freed slots go to the peers still waiting.
    while (pending.length > 0) {
      pending.shift()?.()
      await new Promise(resolve => setImmediate(resolve))
    }
    assert.equal(most, MAX_CONCURRENT_DIALS)
    assert.equal(new Set(dialled).size, 12, 'every peer was dialled once the slots freed')
  } finally {
    dialer.stop()
  }
})
