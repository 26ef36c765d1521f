/**
 * The order of checks: commits of a job whose units are still to be computed are checked before
 * those of a job with a commit for every unit (a peer that joins an old mesh has many of those to
 * check, and they gate no unit), even when the old job's commits are the older entries.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../../src/protocol/entry.js'
import type { Checkpoint, JobSpec } from '../../../src/protocol/job-spec.js'
import { createJobSpec } from '../../../src/engine/job-setup.js'
import { foldEntries } from '../../../src/ledger/fold.js'
import { createPeerEvents } from '../../../src/node/peer-events.js'
import { createCommitVerifier } from '../../../src/node/work/commit-verifier.js'
import type { PoolJob } from '../../../src/node/evaluators/index.js'
import { ENGINE_FIXTURE } from '../../helpers/job-spec-fixture.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

function jobOf (name: string): { spec: JobSpec, id: string } {
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'ab'.repeat(32), name }, dataset: { hash: 'cd'.repeat(32), name: 'd', bars: 500 }, ga: { islands: 2, epochs: 2 } })
  return { spec, id: canonicalHash(spec) }
}

/** A checkpoint the shape check refuses at once (an empty population), so a verdict needs no evaluator. */
function wrong (jobId: string, island: number, epoch: number): Checkpoint {
  return { jobId, island, epoch, population: [], best: [], evaluations: 0, errors: 0 }
}

test('a running job\'s commits are checked before an old job\'s, whatever order they arrived in', async () => {
  const key = await generateKeyPair('Ed25519')
  const author = peerIdFromPrivateKey(key).toString()
  const old = jobOf('old')
  const current = jobOf('current')
  const bodies: Array<[string, unknown]> = [['job', { spec: old.spec, id: old.id }]]
  // Every unit of the old job has a commit; the current job has only its first epoch.
  for (const [e, i] of [[0, 0], [0, 1], [1, 0], [1, 1]]) bodies.push(['commit', { jobId: old.id, island: i, epoch: e, checkpointHash: canonicalHash(wrong(old.id, i, e)), checkpoint: wrong(old.id, i, e) }])
  bodies.push(['job', { spec: current.spec, id: current.id }])
  for (const i of [0, 1]) bodies.push(['commit', { jobId: current.id, island: i, epoch: 0, checkpointHash: canonicalHash(wrong(current.id, i, 0)), checkpoint: wrong(current.id, i, 0) }])
  const entries: Entry[] = []
  for (const [type, body] of bodies) {
    const prev = entries.at(-1)
    entries.push(await signEntry(key, { v: 1, author, seq: entries.length + 1, prev: prev === undefined ? null : entryHash(prev), hlc: [1000 + entries.length, 0], type, body } as UnsignedEntry))
  }
  const state = foldEntries(entries)
  const order: string[] = []
  const verifier = createCommitVerifier({
    state: () => state,
    library: { readiness: (id, spec) => ({ ready: true, job: { key: id, spec } as unknown as PoolJob }), markBroken: async () => {} },
    pool: { evaluate: async () => [], warmChecker: async () => {}, lookAhead: async () => {} },
    events: createPeerEvents(),
    log: line => { const m = /^rejected the commit of island (\d) epoch (\d) of job (\w+)/.exec(line); if (m !== null) order.push(`${m[3] === current.id.slice(0, 12) ? 'current' : 'old'} ${m[1]},${m[2]}`) },
  }, { self: 'someone else', dataDir: (await tempDir()).path })
  await verifier.start()
  try {
    await waitFor(() => order.length === 6, { message: 'every commit checked' })
    assert.deepEqual(order, ['current 0,0', 'current 1,0', 'old 0,0', 'old 1,0', 'old 0,1', 'old 1,1'])
  } finally {
    await verifier.stop()
  }
})
