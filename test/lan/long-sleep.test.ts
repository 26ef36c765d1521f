/**
 * LAN scenario 3, long form: a laptop that sleeps for minutes, longer than libp2p's own
 * reconnection tries (5 retries with doubling backoff: about a minute with our dial timeout) and
 * than the dialer's backoff cap, comes back by itself and catches up on a job submitted while it
 * slept. Slow by nature: the sleep is the scenario.
 */
import assert from 'node:assert/strict'
import { comparable } from '../helpers/reference-run.js'
import { tempDir } from '../helpers/temp-dir.js'
import { demoJob, lanTest, REJOIN_BOUND_MS, waitFullMesh, waitJobDone } from '../helpers/lan.js'

/** 90 s by default (half again libp2p's give-up); STRATMESH_LAN_LONG_SLEEP_S changes it (e.g. 600 for a ten-minute run). */
const SLEEP_MS = 1000 * Number(process.env.STRATMESH_LAN_LONG_SLEEP_S ?? 90)

lanTest(`3b. a long sleep (${SLEEP_MS / 1000} s): the host re-joins by itself and catches up on a job submitted meanwhile`, SLEEP_MS + 240_000, async ({ t, createLan }) => {
  assert.ok(Number.isFinite(SLEEP_MS) && SLEEP_MS > 0, 'STRATMESH_LAN_LONG_SLEEP_S must be a positive number')
  const dir = await tempDir('stratmesh-lan-long-sleep-')
  const job = await demoJob(dir.path)
  const lan = await createLan(2)
  const [awake, sleeper] = lan.hosts
  await lan.startAll()
  await waitFullMesh(lan.hosts, 20_000)
  sleeper.freeze()
  const frozenAt = Date.now()
  // While it sleeps the other machine takes a job and finishes it alone.
  const submitted = await awake.submit(job.request)
  await waitJobDone(awake, submitted.jobId, 120_000)
  const remaining = SLEEP_MS - (Date.now() - frozenAt)
  if (remaining > 0) await new Promise(resolve => setTimeout(resolve, remaining))
  sleeper.thaw()
  const thawedAt = Date.now()
  const rejoinMs = await waitFullMesh(lan.hosts, REJOIN_BOUND_MS)
  await waitJobDone(sleeper, submitted.jobId, 30_000)
  t.diagnostic(`asleep ${Math.round((thawedAt - frozenAt) / 1000)} s; back in the mesh ${rejoinMs} ms after waking; job caught up ${Date.now() - thawedAt} ms after waking`)
  const [a, b] = await Promise.all([awake.results(submitted.jobId, 10), sleeper.results(submitted.jobId, 10)])
  assert.equal(b.job.committed, b.job.total)
  assert.deepEqual(b.leaderboard, a.leaderboard, 'the woken host shows the same leaderboard')
  assert.deepEqual(comparable(a.leaderboard), comparable(await job.expected(submitted.spec)), 'equal to the single-machine run')
})
