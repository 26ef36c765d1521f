import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createPeerNode, type PeerNode } from '../../../src/node/mesh/libp2p-node.js'
import { swarmKeyFromSecret } from '../../../src/protocol/swarm-key.js'
import { waitFor } from '../../helpers/wait-for.js'

const LOOPBACK = ['/ip4/127.0.0.1/tcp/0']
const nodes: PeerNode[] = []
after(async () => { await Promise.all(nodes.map(async n => { await n.stop() })) })

async function node (secret?: string, bootstrap?: string[]): Promise<PeerNode> {
  const n = await createPeerNode({
    privateKey: await generateKeyPair('Ed25519'),
    listen: LOOPBACK,
    mdns: false,
    bootstrap,
    swarmKey: secret === undefined ? undefined : swarmKeyFromSecret(secret)
  })
  nodes.push(n)
  return n
}

test('two nodes with the same secret connect and ping', async () => {
  const a = await node('correct horse battery')
  const b = await node('correct horse battery')
  const rtt = await b.services.ping.ping(a.getMultiaddrs()[0])
  assert.ok(rtt >= 0)
  assert.equal(b.getConnections(a.peerId).length, 1)
})

/** Every error in a cause / AggregateError chain, so a test can find ours inside libp2p's. */
function errorChain (err: unknown): Array<{ code?: string, message?: string }> {
  const out: Array<{ code?: string, message?: string }> = []
  const walk = (e: unknown): void => {
    if (e === null || typeof e !== 'object' || out.includes(e as object)) return
    out.push(e as { code?: string })
    walk((e as { cause?: unknown }).cause)
    for (const inner of (e as { errors?: unknown[] }).errors ?? []) walk(inner)
  }
  walk(err)
  return out
}

test('a node with a different secret cannot connect, and the dial fails fast, every time', async () => {
  const a = await node('correct horse battery')
  // Without key confirmation, whether the dial failed at once or hung until the dial timeout
  // depended on what the garbage decrypted to: try several fresh dialers.
  for (let i = 0; i < 5; i++) {
    const b = await node('wrong horse battery')
    const start = Date.now()
    const err = await b.dial(a.getMultiaddrs()[0]).then(() => undefined, (e: unknown) => e)
    const elapsed = Date.now() - start
    assert.ok(err !== undefined, 'the dial must fail')
    assert.ok(elapsed < 2_000, `dial took ${elapsed} ms`)
    assert.ok(errorChain(err).some(e => e.code === 'SWARM_KEY_MISMATCH' || /SWARM_KEY_MISMATCH|private mesh/.test(e.message ?? '')), `not a key mismatch: ${String(err)}`)
    assert.equal(b.getConnections(a.peerId).length, 0)
    assert.equal(a.getConnections(b.peerId).length, 0)
  }
})

test('a node without a secret cannot connect to a private mesh', async () => {
  const a = await node('correct horse battery')
  const b = await node()
  await assert.rejects(b.dial(a.getMultiaddrs()[0]))
  assert.equal(b.getConnections().length, 0)
})

test('a bootstrap address is dialled at start', async () => {
  const a = await node('correct horse battery')
  const b = await node('correct horse battery', [a.getMultiaddrs()[0].toString()])
  await waitFor(() => b.getConnections(a.peerId).length > 0, { timeoutMs: 5_000, message: 'b to dial its bootstrap peer' })
})

test('gossipsub delivers a message between two connected nodes', async () => {
  const a = await node('correct horse battery')
  const b = await node('correct horse battery')
  const topic = 'stratmesh/test/1'
  const received: string[] = []
  b.services.pubsub.addEventListener('message', evt => {
    if (evt.detail.topic === topic) received.push(new TextDecoder().decode(evt.detail.data))
  })
  a.services.pubsub.subscribe(topic)
  b.services.pubsub.subscribe(topic)
  await b.dial(a.getMultiaddrs()[0])
  await waitFor(() => a.services.pubsub.getSubscribers(topic).some(p => p.equals(b.peerId)), { timeoutMs: 10_000, message: 'a to see b subscribed' })
  await a.services.pubsub.publish(topic, new TextEncoder().encode('hello'))
  await waitFor(() => received.includes('hello'), { timeoutMs: 10_000, message: 'b to receive the message' })
})

test('swarm keys: same secret same key, pnet format, short secrets refused', async () => {
  const k = new TextDecoder().decode(swarmKeyFromSecret('correct horse battery'))
  // Oracle: printf 'stratmesh/swarm-key/v1\ncorrect horse battery' | sha256sum
  assert.equal(k, '/key/swarm/psk/1.0.0/\n/base16/\nf667a44fc865f4bc7b93b538adeb3c9099b952354d6dbeffce7f582167b008db')
  assert.deepEqual(swarmKeyFromSecret('correct horse battery'), swarmKeyFromSecret('correct horse battery'))
  assert.notDeepEqual(swarmKeyFromSecret('correct horse battery'), swarmKeyFromSecret('correct horse batterz'))
  assert.throws(() => swarmKeyFromSecret('short'), { code: 'SWARM_SECRET_TOO_SHORT' })
})
