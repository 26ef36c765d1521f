/**
 * What the peer does after a late tick: a sleep probes old connections, re-dials and re-syncs;
 * an event-loop stall only pulls once, leaving connections and dial backoffs alone.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRejoin, type RejoinComponents } from '../../src/node/peer-rejoin.js'
import { createPeerEvents } from '../../src/node/peer-events.js'

function rig (): { components: RejoinComponents, calls: string[] } {
  const calls: string[] = []
  const conn = { id: 'c1', remotePeer: 'p1', abort: () => { calls.push('abort') } }
  const node = {
    getConnections: () => [conn],
    services: {
      ping: { ping: async () => { calls.push('ping'); return 1 } },
      meshDialer: { wake: () => { calls.push('dial everyone') } }
    }
  } as unknown as RejoinComponents['node']
  const replicator = {
    syncNow: async () => { calls.push('pull from all') },
    syncSome: async () => { calls.push('pull from some') }
  }
  const scheduler = { holdUntil: (sync: Promise<void>) => { calls.push('hold'); void sync } }
  return { components: { node, replicator, scheduler, events: createPeerEvents() }, calls }
}

test('after a stall: claims wait for one ordinary pull; no probe, no re-dial', async () => {
  const { components, calls } = rig()
  const rejoin = createRejoin(components)
  rejoin.start()
  components.events.emit('stalled', { gapMs: 9_000 })
  await new Promise(resolve => setImmediate(resolve))
  assert.deepEqual(calls, ['pull from some', 'hold'])
  rejoin.stop()
})

test('after a sleep: old connections are probed, every peer is dialled, and claims wait for a re-sync', async () => {
  const { components, calls } = rig()
  const rejoin = createRejoin(components)
  rejoin.start()
  components.events.emit('woke', { gapMs: 60_000 })
  await new Promise(resolve => setTimeout(resolve, 200))
  rejoin.stop()
  for (const call of ['hold', 'ping', 'dial everyone', 'pull from all']) assert.ok(calls.includes(call), `${call} in ${calls.join(', ')}`)
  assert.ok(!calls.includes('pull from some'))
})
