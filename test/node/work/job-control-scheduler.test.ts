/**
 * The scheduler's side of job control, with a real ledger (LevelDB) and a pool whose units finish
 * when the test says: higher priority is claimed first, equal priorities interleave, a cancel
 * stops the job's runs and nothing of it is committed or claimed again.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import type { Checkpoint } from '../../../src/protocol/job-spec.js'
import type { UnitInput } from '../../../src/engine/ga.js'
import { createLogStore, type LogStore } from '../../../src/node/replication/index.js'
import { createScheduler, type Scheduler } from '../../../src/node/work/index.js'
import { createPeerEvents } from '../../../src/node/peer-events.js'
import type { PoolJob } from '../../../src/node/evaluators/index.js'
import { jobSpecFixture } from '../../helpers/job-spec-fixture.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

interface Run { readonly input: UnitInput, readonly signal: AbortSignal, finish: () => void }

/** A pool that holds every unit until `finish` and ends it with UNIT_CANCELLED when aborted. */
function heldPool (): { runs: Run[], pool: { runUnit: (job: PoolJob, input: UnitInput, opts?: { signal?: AbortSignal }) => Promise<Checkpoint> } } {
  const runs: Run[] = []
  return {
    runs,
    pool: {
      runUnit: async (_job, input, opts) => await new Promise<Checkpoint>((resolve, reject) => {
        const signal = opts?.signal as AbortSignal
        const cp: Checkpoint = { jobId: input.spec === undefined ? '' : canonicalHash(input.spec), island: input.island, epoch: input.epoch, population: [], best: [], evaluations: 0, errors: 0 }
        runs.push({ input, signal, finish: () => { resolve(cp) } })
        signal.addEventListener('abort', () => { reject(Object.assign(new Error('cancelled'), { code: 'UNIT_CANCELLED' })) })
      })
    }
  }
}

async function setup (capacity: number): Promise<{ store: LogStore, scheduler: Scheduler, runs: Run[], stop: () => Promise<void> }> {
  const dir = await tempDir()
  const store = createLogStore({ dataDir: dir.path, privateKey: await generateKeyPair('Ed25519') })
  await store.start()
  const { runs, pool } = heldPool()
  const library = { readiness: () => ({ ready: true as const, job: { key: 'k' } as unknown as PoolJob }), markBroken: async () => {} }
  const events = createPeerEvents()
  // As the peer wires them (peer-services.ts): the scheduler hears of every entry.
  store.on('entry', ev => { events.emit('entry', ev) })
  const scheduler = createScheduler({ logStore: store, pool, library, events, clock: Date.now }, { capacity, leaseTtlMs: 3000 })
  return { store, scheduler, runs, stop: async () => { await scheduler.stop(); for (const r of runs) r.finish(); await store.stop() } }
}

async function submit (store: LogStore, seed: number, priority?: number): Promise<string> {
  const spec = jobSpecFixture({ islands: 4, epochs: 2 })
  const id = canonicalHash({ ...spec, seed })
  await store.append('job', { spec: { ...spec, seed }, id, ...(priority === undefined ? {} : { priority }) })
  return id
}

function claimsOf (store: LogStore, jobId: string): number {
  let n = 0
  for (const chain of store.state().chains.values()) for (const e of chain.entries) if (e.type === 'claim' && e.body.jobId === jobId) n++
  return n
}

test('the higher priority is claimed first, and a raised priority takes over', async () => {
  const { store, scheduler, runs, stop } = await setup(2)
  const low = await submit(store, 1)
  const high = await submit(store, 2, 5)
  scheduler.start()
  await waitFor(() => runs.length === 2)
  assert.deepEqual(runs.map(r => canonicalHash(r.input.spec)), [high, high])
  await store.append('priority', { jobId: low, priority: 10 })
  runs[0].finish()
  await waitFor(() => runs.length === 3)
  assert.equal(canonicalHash(runs[2].input.spec), low)
  await stop()
})

test('equal priorities interleave instead of the first-submitted job taking every evaluator', async () => {
  const { store, scheduler, runs, stop } = await setup(4)
  const a = await submit(store, 1)
  const b = await submit(store, 2)
  scheduler.start()
  await waitFor(() => runs.length === 4)
  assert.equal(claimsOf(store, a), 2)
  assert.equal(claimsOf(store, b), 2)
  await stop()
})

test('a cancel stops the running units of the job, releases them, and nothing of it is claimed or committed', async () => {
  const { store, scheduler, runs, stop } = await setup(2)
  const job = await submit(store, 1)
  scheduler.start()
  await waitFor(() => runs.length === 2)
  const cancelledAt = Date.now()
  await store.append('cancel', { jobId: job })
  await waitFor(() => runs.every(r => r.signal.aborted), { timeoutMs: 3000 + 5000 })
  assert.ok(Date.now() - cancelledAt < 3000 + 5000)
  const own = (): string[] => [...store.state().chains.values()].flatMap(c => c.entries).map(e => e.type)
  await waitFor(() => own().filter(t => t === 'release').length === 2)
  scheduler.kick()
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.equal(runs.length, 2, 'no unit of a cancelled job is claimed')
  assert.equal(claimsOf(store, job), 2)
  assert.ok(!own().includes('commit'))
  await stop()
})

test('a result that arrives after the cancel is not committed', async () => {
  const { store, scheduler, runs, stop } = await setup(1)
  const job = await submit(store, 1)
  scheduler.start()
  await waitFor(() => runs.length === 1)
  await store.append('cancel', { jobId: job })
  runs[0].finish()
  const types = (): string[] => [...store.state().chains.values()].flatMap(c => c.entries).map(e => e.type)
  await waitFor(() => types().includes('release'))
  assert.ok(!types().includes('commit'))
  await stop()
})
