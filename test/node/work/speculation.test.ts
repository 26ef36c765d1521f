/**
 * Speculation in the scheduler: a unit whose inputs are another member's commits still being
 * checked starts at once, and its checkpoint is committed only once those inputs count; a unit
 * computed from an input that failed its check is never committed, and is computed again from
 * the honest input. The verifier is a stand-in whose verdicts the test gives, so the check is
 * held at the boundary for as long as the test needs.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import type { Checkpoint } from '../../../src/protocol/job-spec.js'
import type { CommitVerdict } from '../../../src/ledger/queries.js'
import type { UnitInput } from '../../../src/engine/ga.js'
import { createLogStore, type LogStore } from '../../../src/node/replication/log-store.js'
import { createPeerEvents } from '../../../src/node/peer-events.js'
import { createScheduler } from '../../../src/node/work/index.js'
import type { PoolJob } from '../../../src/node/evaluators/index.js'
import { jobId, spec } from '../../helpers/ledger-entries.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

const stops: Array<() => Promise<void>> = []
after(async () => { for (const stop of stops.splice(0).reverse()) await stop().catch(() => {}) })

async function store (): Promise<LogStore> {
  const s = createLogStore({ dataDir: (await tempDir()).path, privateKey: await generateKeyPair('Ed25519'), syncAppends: false })
  await s.start()
  stops.push(async () => { await s.stop() })
  return s
}

/** A checkpoint that names the checkpoints it was computed from, so the test can tell which input a commit used. */
function computed (input: UnitInput): Checkpoint {
  const from = (cp: Checkpoint | null): string => cp === null ? '-' : canonicalHash(cp).slice(0, 16)
  const params = { previous: from(input.previous), migrants: from(input.migrants) }
  const g = { params, fitness: input.island + input.epoch, inSample: null, outOfSample: null }
  return { jobId, island: input.island, epoch: input.epoch, population: [{ params, fitness: g.fitness }], best: [g], evaluations: 1, errors: 0 }
}

/** A remote member's epoch-0 checkpoint of `island`; `variant` 1 is the one that fails its check. */
function remote (island: number, variant = 0): Checkpoint {
  const params = { previous: '-', migrants: '-', variant }
  const g = { params, fitness: 10 + island, inSample: null, outOfSample: null }
  return { jobId, island, epoch: 0, population: [{ params, fitness: g.fitness }], best: [g], evaluations: 1, errors: 0 }
}

test('a unit starts while its inputs are checked, commits only once they pass, and a result from a failed input is never committed', async () => {
  const member = await store()
  const peer = await store()
  // The member submits the job and commits every epoch-0 unit; island 2's checkpoint will fail its check.
  await member.append('job', { spec, id: jobId })
  const bad = remote(2, 1)
  for (const cp of [remote(0), remote(1), bad]) {
    await member.append('commit', { jobId, island: cp.island, epoch: 0, checkpointHash: canonicalHash(cp), checkpoint: cp })
  }
  await peer.ingest(await member.range(member.author, 1, 100))

  const verdicts = new Map<string, CommitVerdict>()
  const events = createPeerEvents()
  peer.on('entry', ev => { events.emit('entry', ev) })
  const started: Array<{ island: number, epoch: number, from: string[], pendingVerdicts: number }> = []
  const scheduler = createScheduler({
    logStore: peer,
    pool: {
      async runUnit (_job, input) {
        const cp = computed(input)
        started.push({ island: input.island, epoch: input.epoch, from: [String(cp.best[0].params.previous), String(cp.best[0].params.migrants)], pendingVerdicts: 3 - verdicts.size })
        return cp
      },
    },
    library: { readiness: () => ({ ready: true, job: { key: jobId } as PoolJob }), markBroken: async () => {} },
    verifier: {
      trust: c => c.author === peer.author ? 'trusted' : verdicts.get(c.checkpointHash) ?? 'pending',
      vouch: async () => {},
    },
    events,
    clock: () => Date.now(),
  }, { capacity: 1 })
  scheduler.start()
  stops.push(async () => { await scheduler.stop() })
  const ownCommits = (): Checkpoint[] => [...peer.state().units.values()].flatMap(u => u.commits.filter(c => c.author === peer.author))
    .map(c => peer.state().checkpoints.get(c.checkpointHash) as Checkpoint)

  // With one evaluator, all three epoch-1 units are computed while no input has a verdict.
  await waitFor(() => started.filter(s => s.epoch === 1).length === 3, { message: 'the three epoch-1 units computed before any verdict' })
  assert.ok(started.every(s => s.pendingVerdicts === 3), 'no verdict was given before they started')
  assert.deepEqual(ownCommits(), [], 'nothing is committed while its inputs are being checked')
  assert.equal(scheduler.running().filter(r => r.awaitingInputs).length, 3)

  // Islands 0 and 1 pass, island 2's checkpoint fails: only unit (1, 1), whose inputs are (1, 0) and (0, 0), may commit its result.
  const badShort = canonicalHash(bad).slice(0, 16)
  verdicts.set(canonicalHash(remote(0)), 'trusted')
  verdicts.set(canonicalHash(remote(1)), 'trusted')
  verdicts.set(canonicalHash(bad), 'rejected')
  events.emit('commit:verdict')

  // Then (2, 0) is computed here, and (0, 1) and (2, 1) again from it.
  await waitFor(() => ownCommits().length === 4, { message: 'the honest (2, 0) and the three epoch-1 units committed' })
  const committed = ownCommits().map(cp => [cp.island, cp.epoch, String(cp.best[0].params.previous), String(cp.best[0].params.migrants)])
  assert.ok(committed.every(([, , p, m]) => p !== badShort && m !== badShort), 'no committed checkpoint was computed from the rejected one')
  assert.deepEqual(committed.map(([i, e]) => `${String(i)},${String(e)}`).sort(), ['0,1', '1,1', '2,0', '2,1'])
  assert.equal(started.filter(s => s.from.includes(badShort)).length, 2, 'two units had started from the checkpoint that failed')
  assert.equal(started.filter(s => s.epoch === 1).length, 5, 'and those two were computed again')
})
