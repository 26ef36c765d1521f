import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { LEDGER_TOPIC } from '../../../src/protocol/sync-messages.js'
import { createLogStore } from '../../../src/node/replication/log-store.js'
import { createMesh, ledgerPeer, type LedgerPeer } from '../../helpers/mesh.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

const hex = (s: string): string => createHash('sha256').update(s).digest('hex')

async function appendBlobs (peer: LedgerPeer, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await peer.logStore.append('blob-have', { blobs: [{ hash: hex(`blob ${i}`), size: 1000 + i, kind: 'dataset' }] })
}

async function entryCount (peer: LedgerPeer): Promise<number> {
  return Object.values(await peer.logStore.heads()).reduce((a, b) => a + b, 0)
}

test('gossip bytes are counted where published and where received', async () => {
  const mesh = await createMesh(2, { ledger: { syncIntervalMs: 0 } })
  const [a, b] = mesh.peers.map(ledgerPeer)
  await waitFor(() => a.node.services.pubsub.getSubscribers(LEDGER_TOPIC).length === 1 && b.node.services.pubsub.getSubscribers(LEDGER_TOPIC).length === 1,
    { timeoutMs: 10_000, message: 'both peers to see the other subscribed' })
  // The pull on connect has exchanged heads already; gossip has carried nothing yet.
  assert.equal(a.replicator.stats().bytes.gossipOut + b.replicator.stats().bytes.gossipIn, 0, 'no gossip is counted before anything is published')
  await appendBlobs(a, 6)
  await waitFor(async () => await entryCount(b) === 6, { timeoutMs: 10_000, message: 'b to hold a\'s 6 entries' })
  await waitFor(() => b.replicator.stats().bytes.gossipIn === a.replicator.stats().bytes.gossipOut, { timeoutMs: 5_000, message: 'b to count every gossip byte a published' })
  const sent = a.replicator.stats().bytes.gossipOut
  const entryBytes = (await a.logStore.range(a.logStore.author, 1, 6)).reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0)
  // The published messages carry the entries as JSON, and little besides.
  assert.ok(sent >= entryBytes && sent < 2 * entryBytes, `published ${sent} bytes, the entries take ${entryBytes}`)
  assert.equal(b.replicator.stats().bytes.gossipOut, 0, 'b published nothing')
})

test('pull bytes are counted by the puller and the server', async () => {
  const mesh = await createMesh(1, { ledger: { syncIntervalMs: 0, gossip: false } })
  const [a] = mesh.peers.map(ledgerPeer)
  await appendBlobs(a, 9)
  const b = ledgerPeer(await mesh.add({ gossip: false, syncIntervalMs: 0 }))
  await mesh.connect(b, a)
  await waitFor(async () => await entryCount(b) === 9, { timeoutMs: 10_000, message: 'b to pull a\'s 9 entries' })
  await b.replicator.syncNow(a.node.peerId)
  const pulled = b.replicator.stats().bytes
  const served = a.replicator.stats().bytes
  const entryBytes = (await a.logStore.range(a.logStore.author, 1, 9)).reduce((sum, e) => sum + Buffer.byteLength(JSON.stringify(e)), 0)
  assert.equal(pulled.gossipIn, 0)
  // Two rounds (on connect, then syncNow): heads twice, the entries once.
  assert.ok(pulled.pullIn > entryBytes, `pulled ${pulled.pullIn} bytes for entries of ${entryBytes}`)
  assert.equal(served.pullServed, pulled.pullIn, 'what a served is what b pulled')
})

test('stored size is kept by entry type and is the same after a restart', async () => {
  const dir = (await tempDir()).path
  const key = await generateKeyPair('Ed25519')
  const store = createLogStore({ dataDir: dir, privateKey: key, syncAppends: false })
  await store.start()
  assert.deepEqual(store.storedSize(), {})
  await store.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: 'a' })
  for (let i = 0; i < 3; i++) await store.append('blob-have', { blobs: [{ hash: hex(`b${i}`), size: i + 1, kind: 'strategy' }] })
  const before = store.storedSize()
  assert.equal(before.hello.entries, 1)
  assert.equal(before['blob-have'].entries, 3)
  assert.ok(before['blob-have'].bytes > 3 * 64, 'each entry holds at least its 64-character hash')
  await store.stop()
  await store.start()
  assert.deepEqual(store.storedSize(), before, 'rebuilt from disk, the same sizes')
  await store.stop()
})
