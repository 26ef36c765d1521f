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
import { statusText } from '../../src/node/cli/commands-status.js'
import { emptyLedger, type UnitRecord } from '../../src/ledger/fold.js'
import { unitKey } from '../../src/ledger/queries.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import { resolveWalkForward } from '../../src/engine/walk-forward.js'
import type { JobSpec } from '../../src/protocol/job-spec.js'
import type { Hlc } from '../../src/protocol/hlc.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

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

test('status: a walk-forward job shows units committed per window, in JSON and in the text; a plain job has no windows', () => {
  const state = emptyLedger()
  const walkForward = resolveWalkForward({ mode: 'rolling', windows: 3 }, Float64Array.from({ length: 600 }, (_, i) => i * 3_600_000))
  const spec = (wf: boolean): JobSpec => createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'a'.repeat(64), name: 's' }, dataset: { hash: 'b'.repeat(64), name: 'd', bars: 600 }, ga: { islands: 2, epochs: 2 }, ...(wf ? { walkForward } : {}) })
  const wfId = 'c'.repeat(64)
  const plainId = '9'.repeat(64)
  state.jobs.set(wfId, { id: wfId, spec: spec(true), submissions: [{ author: 'A', hlc: [1, 0] as unknown as Hlc, seq: 1 }] })
  state.jobs.set(plainId, { id: plainId, spec: spec(false), submissions: [{ author: 'A', hlc: [1, 0] as unknown as Hlc, seq: 2 }] })
  const commit = (jobId: string, island: number, epoch: number): void => {
    const u: UnitRecord = { jobId, island, epoch, leases: new Map(), commits: [{ author: 'B', hlc: [2, 0] as unknown as Hlc, seq: 3, checkpointHash: 'd'.repeat(64) }] }
    state.units.set(unitKey(jobId, island, epoch), u)
  }
  // Window 0 is islands 0-1, window 1 islands 2-3, window 2 islands 4-5.
  commit(wfId, 0, 0); commit(wfId, 1, 0); commit(wfId, 0, 1); commit(wfId, 3, 0); commit(plainId, 0, 0)
  const st = buildStatus({ ...inputs([]), state })
  const wfJob = st.jobs.find(j => j.id === wfId)
  assert.deepEqual(wfJob?.windows, [{ committed: 3, total: 4 }, { committed: 1, total: 4 }, { committed: 0, total: 4 }])
  assert.equal(wfJob?.committed, 4)
  assert.equal(st.jobs.find(j => j.id === plainId)?.windows, undefined)
  const text = statusText(st)
  assert.match(text, /walk-forward windows \(units committed\/total per window\):\n {2}job c{12}: 0 3\/4, 1 1\/4, 2 0\/4\n/)
  assert.doesNotMatch(text, /job 9{12}: /)
})
