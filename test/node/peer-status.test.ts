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
import { ENGINE_VERSION } from '../../src/protocol/job-spec.js'
import { buildStatus, type StatusInputs } from '../../src/node/peer-status.js'

async function hello (key: PrivateKey, name: string, engineVersion = ENGINE_VERSION): Promise<Entry> {
  const author = peerIdFromPrivateKey(key).toString()
  return await signEntry(key, { v: 1, author, seq: 1, prev: null, hlc: [1_000, 0], type: 'hello', body: { engineVersion, cores: 1, name } } as UnsignedEntry)
}

function inputs (entries: Entry[], over: Partial<StatusInputs> = {}): StatusInputs {
  return {
    state: foldEntries(entries),
    now: 10_000,
    self: { id: 'self', name: 'self', cores: 1, dataDir: '/data', startedAt: 0, listen: [], evalsPerSec: 0, running: 0 },
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

test('status: a peer compares engine versions with its own (a test may give it another)', async () => {
  const key = await generateKeyPair('Ed25519')
  const entries = [await hello(key, 'other')]
  const same = buildStatus(inputs(entries)).peers[0]
  assert.equal(same.state, 'offline')
  const st = buildStatus(inputs(entries, { self: { ...inputs([]).self, engineVersion: 'x' } }))
  assert.equal(st.self.engineVersion, 'x')
  assert.equal(st.peers[0].state, 'incompatible')
  assert.equal(st.peers[0].reason, `engine version ${ENGINE_VERSION}, this peer runs x`)
})
