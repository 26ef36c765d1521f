import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { createPrng, type Prng } from '../../../src/engine/prng.js'
import { stateHash } from '../../../src/ledger/queries.js'
import { LEDGER_TOPIC } from '../../../src/protocol/sync-messages.js'
import type { HelloBody } from '../../../src/protocol/entry-bodies.js'
import { PULL_FANOUT } from '../../../src/node/replication/replicator.js'
import { createMesh, ledgerPeer, type LedgerPeer, type MeshPeer } from '../../helpers/mesh.js'
import { waitFor } from '../../helpers/wait-for.js'

const hex = (s: string): string => createHash('sha256').update(s).digest('hex')

/** Appends a random mix of hello and blob-have entries, as a peer at work would. */
async function appendRandom (peer: LedgerPeer, n: number, rng: Prng): Promise<void> {
  for (let i = 0; i < n; i++) {
    if (rng.next() < 0.3) {
      await peer.logStore.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1 + rng.int(16), name: `host-${rng.int(1000)}` })
    } else {
      await peer.logStore.append('blob-have', { blobs: [{ hash: hex(`blob ${rng.int(1e9)}`), size: rng.int(1e6), kind: rng.next() < 0.5 ? 'strategy' : 'dataset' }] })
    }
  }
}

function view (peer: LedgerPeer): string { return stateHash(peer.logStore.state()) }

async function converged (peers: LedgerPeer[], expectEntries: number, message: string): Promise<void> {
  await waitFor(async () => {
    const counts = await Promise.all(peers.map(async p => Object.values(await p.logStore.heads()).reduce((a, b) => a + b, 0)))
    return counts.every(c => c === expectEntries) && new Set(peers.map(view)).size === 1
  }, { timeoutMs: 20_000, message })
}

async function subscribed (peers: MeshPeer[]): Promise<void> {
  await waitFor(() => peers.every(p => peers.every(q => q === p || p.node.services.pubsub.getSubscribers(LEDGER_TOPIC).some(s => s.equals(q.node.peerId)))),
    { timeoutMs: 10_000, message: 'every peer to see every other subscribed to the ledger topic' })
}

test('five nodes appending random entries converge to the same state hash by gossip', async () => {
  // No periodic pull: after the first exchange on connect, only gossip can deliver.
  const mesh = await createMesh(5, { ledger: { syncIntervalMs: 0 } })
  const peers = mesh.peers.map(ledgerPeer)
  await subscribed(peers)
  const rng = createPrng(42)
  const counts = peers.map(() => 5 + rng.int(20))
  await Promise.all(peers.map(async (p, i) => { await appendRandom(p, counts[i], createPrng(7, i)) }))
  const total = counts.reduce((a, b) => a + b, 0)
  await converged(peers, total, `all five peers to hold ${total} entries and agree on the state hash`)
  // Stats are updated once the store's write lands, a moment after the entries become visible.
  await waitFor(() => peers.every((p, i) => p.replicator.stats().entriesIn === total - counts[i]), { message: 'each peer to count everybody else\'s entries in' })
  for (const [i, p] of peers.entries()) {
    const s = p.replicator.stats()
    assert.equal(s.entriesOut, counts[i], 'each peer publishes its own entries, once')
    assert.ok(s.entriesInGossip > 0, 'gossip delivered entries')
    assert.deepEqual(s.rejections, {})
  }
})

test('a node that joins late catches up by pull alone (gossip off), in bounded pages', async () => {
  const mesh = await createMesh(3, { ledger: { syncIntervalMs: 0 } })
  const peers = mesh.peers.map(ledgerPeer)
  await Promise.all(peers.map(async (p, i) => { await appendRandom(p, 20 + 5 * i, createPrng(11, i)) }))
  await Promise.all(peers.map(async p => { await p.replicator.syncNow() }))
  await converged(peers, 75, 'the first three peers to agree')
  const late = ledgerPeer(await mesh.add({ gossip: false, syncIntervalMs: 0, pageEntries: 7 }))
  await mesh.connect(late, peers[0])
  // The pull on connect alone must bring it level.
  await converged([...peers, late], 75, 'the late peer to catch up')
  // As above: the entries are visible a moment before the ingest that counts them returns.
  await waitFor(() => late.replicator.stats().entriesIn === 75, { message: 'the late peer to count the 75 entries it pulled' })
  const s = late.replicator.stats()
  assert.equal(s.gossipMessagesIn, 0, 'nothing came by gossip')
  // 20, 25 and 30 entries in pages of 7: 3 + 4 + 5 range requests.
  assert.equal(s.pagesFetched, 12)
  assert.ok(s.lastSync[peers[0].node.peerId.toString()] > 0)
  assert.equal(peers[0].replicator.stats().entriesServed >= 75, true)
})

test('a node disconnected while others appended catches up by pull when it reconnects', async () => {
  const mesh = await createMesh(2, { ledger: { syncIntervalMs: 0 } })
  const [a] = mesh.peers.map(ledgerPeer)
  const b = ledgerPeer(await mesh.add({ gossip: false, syncIntervalMs: 0 }))
  await mesh.connect(b, a)
  await appendRandom(a, 10, createPrng(1))
  await b.replicator.syncNow()
  await converged([a, b], 10, 'b to hold a\'s first entries')
  await mesh.disconnect(b, a)
  await appendRandom(a, 30, createPrng(2))
  await appendRandom(b, 4, createPrng(3))
  assert.notEqual(view(a), view(b))
  await mesh.connect(b, a)
  await converged([a, b], 44, 'both to hold all 44 entries after reconnecting')
})

test('forged, oversized and malformed gossip is rejected and counted per peer; state unchanged', async () => {
  const mesh = await createMesh(2, { ledger: { syncIntervalMs: 0 } })
  const [victim, rogue] = mesh.peers.map(ledgerPeer)
  await subscribed([victim, rogue])
  await appendRandom(victim, 3, createPrng(5))
  await waitFor(async () => Object.keys(await rogue.logStore.heads()).length === 1, { message: 'rogue to see the victim\'s entries' })
  const before = view(victim)
  // The rogue signs a real entry, then alters its body: the signature no longer matches.
  await rogue.replicator.stop()
  const genuine = await rogue.logStore.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 4, name: 'rogue' })
  const forged = { ...genuine, body: { ...genuine.body, cores: 4096 } }
  const pubsub = rogue.node.services.pubsub
  const enc = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
  const rogueId = rogue.node.peerId.toString()
  const count = (code: string): number => victim.replicator.stats().rejections[rogueId]?.[code] ?? 0
  pubsub.subscribe(LEDGER_TOPIC)
  await pubsub.publish(LEDGER_TOPIC, enc({ t: 'entries', entries: [forged] }))
  await waitFor(() => count('ENTRY_BAD_SIGNATURE') === 1, { message: 'the forged entry to be rejected' })
  await pubsub.publish(LEDGER_TOPIC, enc({ t: 'entries', entries: [{ ...genuine, pad: 'x'.repeat(1_200_000) }] }))
  await waitFor(() => count('SYNC_TOO_LARGE') === 1, { message: 'the oversized message to be rejected' })
  await pubsub.publish(LEDGER_TOPIC, new TextEncoder().encode('{"t":"entries","entries":[oops'))
  await waitFor(() => count('SYNC_BAD_MESSAGE') === 1, { message: 'the malformed message to be rejected' })
  await pubsub.publish(LEDGER_TOPIC, enc({ t: 'entries', entries: [{ ...genuine, v: 2 }] }))
  await waitFor(() => count('ENTRY_BAD_SCHEMA') === 1, { message: 'the entry of an unknown version to be rejected' })
  assert.equal(view(victim), before, 'nothing a rogue sent changed the state')
  assert.equal(Object.keys(await victim.logStore.heads()).length, 1)
  assert.deepEqual(victim.replicator.stats().rejections, { [rogueId]: { ENTRY_BAD_SIGNATURE: 1, SYNC_TOO_LARGE: 1, SYNC_BAD_MESSAGE: 1, ENTRY_BAD_SCHEMA: 1 } })
})

test('a peer that does not speak the sync protocol is counted, not crashed on', async () => {
  const mesh = await createMesh(2, { ledger: { syncIntervalMs: 0, gossip: false } })
  const [a, b] = mesh.peers.map(ledgerPeer)
  const plain = await mesh.add()
  await mesh.connect(a, plain)
  const plainId = plain.node.peerId.toString()
  await waitFor(() => a.replicator.stats().syncErrors[plainId]?.SYNC_UNSUPPORTED_PROTOCOL === 1, { message: 'the pull on connect to be counted as unsupported' })
  assert.deepEqual(Object.keys(a.replicator.stats().syncErrors), [plainId])
  // Still replicating with everyone else.
  await appendRandom(b, 3, createPrng(9))
  await a.replicator.syncNow()
  await converged([a, b], 3, 'a to pull b\'s entries despite the mute peer')
})

test('equivocation evidence reaches peers that hold only one of the two entries', async () => {
  const mesh = await createMesh(3, { ledger: { syncIntervalMs: 0, gossip: false }, connect: 'none' })
  const [a, b, liar] = mesh.peers.map(ledgerPeer)
  await liar.replicator.stop()
  const first = await liar.logStore.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: 'one' })
  // The liar's store refuses to sign twice at one seq, so sign the twin by hand.
  const { signEntry } = await import('../../../src/protocol/entry.js')
  const { v, author, seq, prev, hlc } = first
  const twin = await signEntry(liar.privateKey, { v, author, seq, prev, hlc, type: 'hello', body: { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: 'two' } })
  assert.equal((await a.logStore.ingest([first])).accepted.length, 1)
  assert.equal((await b.logStore.ingest([twin])).accepted.length, 1)
  assert.notEqual(view(a), view(b))
  await mesh.connect(a, b)
  await waitFor(() => a.logStore.state().evidence.has(author) && b.logStore.state().evidence.has(author), { message: 'both peers to freeze the liar' })
  assert.equal(view(a), view(b))
})

test('the periodic pull (with injected jitter) repairs what gossip did not deliver', async () => {
  let draws = 0
  const ledger = { gossip: false, syncIntervalMs: 200, random: () => { draws++; return 0.5 } }
  const mesh = await createMesh(2, { ledger })
  const [a, b] = mesh.peers.map(ledgerPeer)
  await waitFor(() => b.replicator.stats().syncsCompleted >= 1 && a.replicator.stats().syncsCompleted >= 1, { message: 'the pulls on connect' })
  await appendRandom(a, 12, createPrng(8))
  // Nobody calls syncNow and gossip is off: only the timer can bring these over.
  await converged([a, b], 12, 'the periodic pull to replicate a\'s entries')
  assert.ok(draws >= 2, 'every period draws its jitter from the injected source')
})

test('a fork below the heads is found from both sides: the shorter and the longer chain', async () => {
  const mesh = await createMesh(2, { ledger: { syncIntervalMs: 0, gossip: false }, connect: 'none' })
  const [a, b] = mesh.peers.map(ledgerPeer)
  const { signEntry, entryHash } = await import('../../../src/protocol/entry.js')
  const { generateKeyPair } = await import('@libp2p/crypto/keys')
  const { peerIdFromPrivateKey } = await import('@libp2p/peer-id')
  const key = await generateKeyPair('Ed25519')
  const author = peerIdFromPrivateKey(key).toString()
  const hello = (name: string): HelloBody => ({ fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1, name })
  const now = Date.now()
  const x1 = await signEntry(key, { v: 1, author, seq: 1, prev: null, hlc: [now, 0], type: 'hello', body: hello('x1') })
  const y1 = await signEntry(key, { v: 1, author, seq: 1, prev: null, hlc: [now, 0], type: 'hello', body: hello('y1') })
  const y2 = await signEntry(key, { v: 1, author, seq: 2, prev: entryHash(y1), hlc: [now + 1, 0], type: 'hello', body: hello('y2') })
  assert.equal((await a.logStore.ingest([x1])).accepted.length, 1)
  assert.equal((await b.logStore.ingest([y1, y2])).accepted.length, 2)
  await mesh.connect(a, b)
  // a is behind (head 1 < 2) and b's seq 2 does not follow a's seq 1; b is ahead, and a's head
  // hash differs from b's entry at seq 1. Each side must find the fork on its own pull.
  await Promise.all([a.replicator.syncNow(b.node.peerId), b.replicator.syncNow(a.node.peerId)])
  assert.ok(a.logStore.state().evidence.has(author), 'the shorter chain found the fork')
  assert.ok(b.logStore.state().evidence.has(author), 'the longer chain found the fork')
  assert.equal(view(a), view(b))
})

test('a periodic round pulls from PULL_FANOUT random peers, not every connected one; the mesh still converges by pull alone', async () => {
  const mesh = await createMesh(6, { ledger: { gossip: false, syncIntervalMs: 0 } })
  const peers = mesh.peers.map(ledgerPeer)
  const [a] = peers
  await waitFor(() => a.replicator.stats().syncsCompleted >= peers.length - 1, { message: 'the pulls on connect' })
  // A connection event may queue one more round per peer: wait until the count holds still.
  let last = -1
  await waitFor(() => { const now = a.replicator.stats().syncsCompleted; const still = now === last; last = now; return still }, { intervalMs: 300, message: 'the pulls on connect to settle' })
  const before = a.replicator.stats().syncsCompleted
  await a.replicator.syncSome()
  assert.equal(a.replicator.stats().syncsCompleted - before, PULL_FANOUT, `one round, ${PULL_FANOUT} of ${peers.length - 1} peers`)
  // An entry only one peer holds spreads by rounds of random few, as an epidemic does.
  await appendRandom(peers[5], 4, createPrng(15))
  for (let round = 0; round < 40 && !peers.every(p => view(p) === view(peers[5])); round++) {
    await Promise.all(peers.map(async p => { await p.replicator.syncSome() }))
  }
  await converged(peers, 4, 'rounds of a few random pulls to bring everyone the entries')
})
