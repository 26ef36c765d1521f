/**
 * A late tick: a machine that slept (the monotonic clock stopped while wall time jumped) against
 * an event loop that stalled under load (both clocks advanced alike), with injected clocks and
 * the scheduler's own 1 s timer. And renews: one entry for all of a peer's leases.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createLogStore, type LogStore } from '../../../src/node/replication/log-store.js'
import { loadOrCreateIdentity } from '../../../src/node/mesh/identity.js'
import { pauseKind, LATE_TICK_MS, SUSPEND_GAP_MAX_MS } from '../../../src/node/work/pause-kind.js'
import { DEFAULT_LEASE_TTL_MS } from '../../../src/node/work/index.js'
import { jobSpecFixture } from '../../helpers/job-spec-fixture.js'
import { schedulerRig, submitJob } from '../../helpers/scheduler-rig.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

async function store (): Promise<LogStore> {
  const dir = await tempDir()
  const { privateKey } = await loadOrCreateIdentity(dir.path)
  const logStore = createLogStore({ dataDir: dir.path, privateKey })
  await logStore.start()
  return logStore
}

/** A scheduler whose wall and monotonic clocks move only when the test moves them. */
async function pausedRig (unitMs: number | null = null): Promise<{ rig: ReturnType<typeof schedulerRig>, logStore: LogStore, jump: (wallMs: number, monotonicMs: number) => void, seen: string[] }> {
  const logStore = await store()
  const base = Date.now()
  let wall = 0
  let mono = 0
  const rig = schedulerRig(logStore, { clock: () => base + wall, monotonic: () => mono, unitMs })
  const seen: string[] = []
  rig.events.on('woke', ({ gapMs }) => { seen.push(`woke ${gapMs}`) })
  rig.events.on('stalled', ({ gapMs }) => { seen.push(`stalled ${gapMs}`) })
  return { rig, logStore, seen, jump: (w, m) => { wall += w; mono += m } }
}

test('pauseKind: on time, a stall (both clocks advanced), a suspend (wall jumped, monotonic did not), and a gap too long to be a stall', () => {
  assert.equal(pauseKind(1_000, 1_000, DEFAULT_LEASE_TTL_MS), null)
  assert.equal(pauseKind(LATE_TICK_MS, LATE_TICK_MS, DEFAULT_LEASE_TTL_MS), null)
  assert.equal(pauseKind(14_000, 14_000, DEFAULT_LEASE_TTL_MS), 'stall')
  assert.equal(pauseKind(14_000, 13_500, DEFAULT_LEASE_TTL_MS), 'stall', 'a little drift is still a stall')
  assert.equal(pauseKind(14_000, 1_000, DEFAULT_LEASE_TTL_MS), 'suspend')
  assert.equal(pauseKind(SUSPEND_GAP_MAX_MS + 1, SUSPEND_GAP_MAX_MS + 1, 5 * 60_000), 'suspend', 'a monotonic clock that counts through sleep, or SIGSTOP')
  assert.equal(pauseKind(16_000, 16_000, 5_000), 'suspend', 'over two lease TTLs')
  assert.equal(pauseKind(9_000, 9_000, 5_000), 'stall')
})

test('a stall (both clocks jump) logs a stall, emits `stalled`, and keeps a unit whose lease has not lapsed', async () => {
  const { rig, logStore, jump, seen } = await pausedRig()
  await submitJob(logStore, jobSpecFixture({ islands: 2, epochs: 1 }))
  rig.scheduler.start()
  try {
    await waitFor(() => rig.scheduler.running().length === 1, { message: 'a unit to be claimed' })
    jump(8_000, 8_000)
    await waitFor(() => seen.length > 0, { timeoutMs: 5_000, message: 'the late tick' })
    assert.deepEqual(seen, ['stalled 8000'])
    assert.ok(rig.lines.includes('event loop stalled 8 s'), rig.lines.join('\n'))
    assert.ok(!rig.lines.some(l => l.startsWith('woke up')))
    assert.equal(rig.scheduler.running().length, 1, 'its lease (20 s) has not lapsed: the unit keeps running')
  } finally {
    await rig.scheduler.stop()
    await logStore.stop()
  }
})

test('a stall longer than the lease still gives up the unit, as the ledger says its lease lapsed', async () => {
  const { rig, logStore, jump, seen } = await pausedRig()
  await submitJob(logStore, jobSpecFixture({ islands: 2, epochs: 1 }))
  // What the peer's re-sync does: claims wait (here for good: the injected clock stands still).
  rig.events.on('stalled', () => { rig.scheduler.holdUntil(new Promise(() => {})) })
  rig.scheduler.start()
  try {
    await waitFor(() => rig.scheduler.running().length === 1, { message: 'a unit to be claimed' })
    jump(DEFAULT_LEASE_TTL_MS + 5_000, DEFAULT_LEASE_TTL_MS + 5_000)
    await waitFor(() => seen.length > 0, { timeoutMs: 5_000, message: 'the late tick' })
    assert.deepEqual(seen, [`stalled ${DEFAULT_LEASE_TTL_MS + 5_000}`])
    assert.equal(rig.scheduler.running().length, 0, 'the unit whose lease lapsed is abandoned')
  } finally {
    await rig.scheduler.stop()
    await logStore.stop()
  }
})

test('a suspend (monotonic frozen, wall jumps) and a long SIGSTOP-like gap (both jump) are taken for sleep', async () => {
  const { rig, logStore, jump, seen } = await pausedRig()
  rig.scheduler.start()
  try {
    jump(30_000, 0)
    await waitFor(() => seen.length >= 1, { timeoutMs: 5_000, message: 'the late tick after a suspend' })
    jump(SUSPEND_GAP_MAX_MS + 10_000, SUSPEND_GAP_MAX_MS + 10_000)
    await waitFor(() => seen.length >= 2, { timeoutMs: 5_000, message: 'the late tick after a long stop' })
    assert.deepEqual(seen, ['woke 30000', `woke ${SUSPEND_GAP_MAX_MS + 10_000}`])
    assert.ok(rig.lines.includes('woke up after 30 s'), rig.lines.join('\n'))
    assert.ok(!rig.lines.some(l => l.startsWith('event loop stalled')))
  } finally {
    await rig.scheduler.stop()
    await logStore.stop()
  }
})

test('a peer running several units renews all their leases in one entry per renew period', async () => {
  const logStore = await store()
  const jobId = await submitJob(logStore, jobSpecFixture({ islands: 3, epochs: 1 }))
  const rig = schedulerRig(logStore, { capacity: 3, leaseTtlMs: 3_000, unitMs: null })
  rig.scheduler.start()
  try {
    await waitFor(() => rig.scheduler.running().length === 3, { message: 'three units to be claimed' })
    const renews = async (): Promise<Array<{ units?: unknown[] }>> => (await logStore.range(logStore.author, 1, 1000)).filter(e => e.type === 'renew').map(e => e.body as { units?: unknown[] })
    await waitFor(async () => (await renews()).length >= 2, { timeoutMs: 10_000, message: 'two renew periods' })
    for (const body of await renews()) assert.equal(body.units?.length, 3, 'each renew lists every running unit')
    const state = logStore.state()
    for (let island = 0; island < 3; island++) {
      const lease = state.units.get(`${jobId}:${island}:0`)?.leases.get(logStore.author)
      assert.ok(lease !== undefined && lease.until > Date.now(), `the lease of island ${island} is held`)
    }
  } finally {
    await rig.scheduler.stop()
    await logStore.stop()
  }
})
