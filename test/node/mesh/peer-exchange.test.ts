/**
 * Without mDNS (across a VPN, another subnet), each machine is given one bootstrap address. The
 * members must still end in a full mesh, so that the bootstrap peer going to sleep does not split
 * the others: they learn each other's addresses from the hello entries in the ledger.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { createPeer, type Peer } from '../../../src/node/peer.js'
import { validateBody } from '../../../src/protocol/entry-bodies.js'
import { MAX_HELLO_ADDRS } from '../../../src/protocol/limits.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

const SECRET = 'peer exchange test secret'
const started: Peer[] = []
after(async () => { await Promise.all(started.map(async p => { await p.stop() })) })

async function startPeer (name: string, bootstrap: string[] = []): Promise<Peer> {
  const dir = await tempDir(`stratmesh-px-${name}-`)
  const peer = await createPeer({ dataDir: dir.path, name, cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, mdns: false, secret: SECRET })
  await peer.start()
  started.push(peer)
  return peer
}

const connectedIds = async (p: Peer): Promise<string[]> => (await p.status()).peers.filter(x => !x.self && x.connected).map(x => x.id).sort()

test('peers that only know one bootstrap peer find each other through the ledger, and stay meshed when it stops', async () => {
  const hub = await startPeer('hub')
  const addr = hub.listenAddresses()[0]
  const a = await startPeer('a', [addr])
  const b = await startPeer('b', [addr])
  await waitFor(async () => (await connectedIds(a)).includes(b.id) && (await connectedIds(b)).includes(a.id), { timeoutMs: 20_000, intervalMs: 200, message: 'a and b to connect to each other' })
  await hub.stop()
  // Each side sees the hub's connection close in its own time: wait for both.
  await waitFor(async () => !(await connectedIds(a)).includes(hub.id) && !(await connectedIds(b)).includes(hub.id), { timeoutMs: 10_000, message: 'the hub gone for a and b' })
  assert.deepEqual(await connectedIds(a), [b.id], 'a and b still meshed without the hub')
  assert.deepEqual(await connectedIds(b), [a.id])
})

test('hello addresses are checked: multiaddrs only, bounded in count', () => {
  const ok = { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: 'x', addrs: ['/ip4/10.0.0.2/tcp/4001'] }
  validateBody('hello', ok)
  validateBody('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: 'x' })
  const bad = (body: unknown, field: RegExp): void => {
    assert.throws(() => { validateBody('hello', body) }, (err: unknown) => isStratmeshError(err) && err.code === 'ENTRY_BAD_SCHEMA' && field.test(err.message))
  }
  bad({ ...ok, addrs: ['http://x'] }, /addrs\[0\]/)
  bad({ ...ok, addrs: 'x' }, /addrs/)
  bad({ ...ok, addrs: Array.from({ length: MAX_HELLO_ADDRS + 1 }, (_, i) => `/ip4/10.0.0.${i}/tcp/1`) }, /addrs/)
})
