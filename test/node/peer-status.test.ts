/**
 * buildStatus (src/node/peer-status.ts), pure: what `peer status --json` says about misbehaving
 * and mismatched peers. The LAN scenarios 8 and 9 read these fields on real networks.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { signEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import { foldEntries } from '../../src/ledger/fold.js'
import { ISOLATE_INTERFACE_VERSION } from '../../src/engine/isolate/interface.js'
import { buildStatus, type StatusInputs } from '../../src/node/peer-status.js'

async function hello (key: PrivateKey, name: string, isolateInterface = ISOLATE_INTERFACE_VERSION, fingerprint = 'f'.repeat(64)): Promise<Entry> {
  const author = peerIdFromPrivateKey(key).toString()
  return await signEntry(key, { v: 1, author, seq: 1, prev: null, hlc: [1_000, 0], type: 'hello', body: { fingerprint, isolateInterface, cores: 1, name } } as UnsignedEntry)
}

function inputs (entries: Entry[], over: Partial<StatusInputs> = {}): StatusInputs {
  return {
    state: foldEntries(entries),
    now: 10_000,
    self: { id: 'self', name: 'self', cores: 1, dataDir: '/data', startedAt: 0, listen: [], evalsPerSec: 0, running: 0, fingerprint: 'e'.repeat(64) },
    connections: new Map(),
    lastSeen: new Map(),
    blocked: new Map(),
    rejected: {},
    ...over,
  }
}

test('status: an author who signed two entries at one seq is listed as frozen, with the seq', async () => {
  const key = await generateKeyPair('Ed25519')
  const author = peerIdFromPrivateKey(key).toString()
  const st = buildStatus(inputs([await hello(key, 'a'), await hello(key, 'b')]))
  assert.deepEqual(st.frozen, [{ author, seq: 1 }])
  assert.deepEqual(buildStatus(inputs([await hello(key, 'a')])).frozen, [])
})

test('status: rejected adds the gossip messages refused whole to the entries refused, per peer and code; syncErrors are passed on', () => {
  const st = buildStatus(inputs([], {
    rejected: { p1: { ENTRY_BAD_SIGNATURE: 2 }, p2: { ENTRY_TOO_LARGE: 1 } },
    refusedMessages: { p1: { SYNC_TOO_LARGE: 1 }, p3: { SYNC_BAD_MESSAGE: 4 } },
    syncErrors: { p1: { SYNC_TOO_LARGE: 3 } },
  }))
  assert.deepEqual(st.rejected, { p1: { ENTRY_BAD_SIGNATURE: 2, SYNC_TOO_LARGE: 1 }, p2: { ENTRY_TOO_LARGE: 1 }, p3: { SYNC_BAD_MESSAGE: 4 } })
  assert.deepEqual(st.syncErrors, { p1: { SYNC_TOO_LARGE: 3 } })
  assert.deepEqual(buildStatus(inputs([])).syncErrors, {})
})

test('status: a peer of another runtime fingerprint is a member like any (jobs carry their engine); one of another isolate interface is incompatible', async () => {
  const key = await generateKeyPair('Ed25519')
  const same = buildStatus(inputs([await hello(key, 'other')]))
  assert.deepEqual([same.self.fingerprint, same.self.isolateInterface], ['e'.repeat(64), ISOLATE_INTERFACE_VERSION])
  assert.deepEqual([same.peers[0].state, same.peers[0].fingerprint, same.peers[0].isolateInterface], ['offline', 'f'.repeat(64), ISOLATE_INTERFACE_VERSION])
  const st = buildStatus(inputs([await hello(key, 'other', ISOLATE_INTERFACE_VERSION + 1)]))
  assert.equal(st.peers[0].state, 'incompatible')
  assert.equal(st.peers[0].reason, `isolate interface ${ISOLATE_INTERFACE_VERSION + 1}, this peer speaks ${ISOLATE_INTERFACE_VERSION}`)
})
