/**
 * LAN scenarios 3 and 4: a machine that sleeps while holding leases, and one that crashes and is
 * restarted on the same data dir, mid-job. The mesh must finish with the single-machine
 * leaderboard and count every unit once; the sleeper must come back by itself.
 */
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { assertSameResult, committedOn, FAULT_LEASE_TTL_MS as LEASE_TTL_MS, lanTest, REJOIN_BOUND_MS, startFaultJob, waitFullMesh, waitHoldsLease, waitJobDone } from '../helpers/lan.js'

lanTest('3. sleep: a host frozen with leases for 3x the lease TTL; the job completes, it rejoins and catches up', 300_000, async ({ t, createLan }) => {
  const dir = await tempDir('stratmesh-lan-sleep-')
  const run = await startFaultJob(createLan, dir.path)
  const { lan, submitted } = run
  const [h0, sleeper, h2] = lan.hosts
  const sleeperId = (await sleeper.status()).self.id
  const heldBy = await waitHoldsLease(sleeper, h0)
  const before = await committedOn(h0, submitted.jobId)
  sleeper.freeze()
  const frozenAt = Date.now()

  // The scenario itself is "asleep for 3 TTLs": a fixed wait, during which h0 is watched.
  let expiredAfter: number | undefined
  while (Date.now() - frozenAt < 3 * LEASE_TTL_MS) {
    if (expiredAfter === undefined) {
      const view = (await h0.status()).peers.find(p => p.id === sleeperId)
      if (view !== undefined && view.leases === 0) expiredAfter = Date.now() - frozenAt
    }
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  const during = (await committedOn(h0, submitted.jobId)) - before
  sleeper.thaw()
  const thawedAt = Date.now()
  t.diagnostic(`sleeper held ${heldBy} lease(s) (h0's view); h0 saw them expire ${expiredAfter ?? 'never'} ms after the freeze; ${during} unit(s) committed while it slept`)
  // The takeover goal: within TTL + 5 s (a lease renewed just before the freeze lapses a TTL later).
  assert.ok(expiredAfter !== undefined && expiredAfter <= LEASE_TTL_MS + 5_000, 'the sleeper\'s leases expire within a TTL plus 5 s in the others\' view')
  assert.ok(during > 0, 'the others kept working while the sleeper slept')

  // The hosts that stayed awake finish on their own, with the single-machine leaderboard.
  for (const h of [h0, h2]) await waitJobDone(h, submitted.jobId, 180_000)
  t.diagnostic(`job done on the hosts that stayed awake ${Date.now() - thawedAt} ms after the sleeper woke`)
  await assertSameResult(run, [h0, h2])

  // Re-joins by itself: nothing here dials or restarts it.
  const rejoinMs = await waitFullMesh([h0, sleeper, h2], REJOIN_BOUND_MS).then(() => Date.now() - thawedAt)
  const total = (await h0.results(submitted.jobId, 1)).job.total
  await waitFor(async () => (await committedOn(sleeper, submitted.jobId)) === total,
    { timeoutMs: 30_000, intervalMs: 200, message: 'the woken host to catch up' })
  t.diagnostic(`woken host connected to both others ${rejoinMs} ms after waking; caught up ${Date.now() - thawedAt} ms after waking`)
  await waitJobDone(sleeper, submitted.jobId, 30_000)
  await assertSameResult(run)
})

lanTest('4. crash: a host killed mid-job and restarted on the same data dir; the job completes with the same leaderboard', 300_000, async ({ t, createLan }) => {
  const dir = await tempDir('stratmesh-lan-crash-')
  const run = await startFaultJob(createLan, dir.path)
  const { lan, submitted } = run
  const [h0, victim, h2] = lan.hosts
  const victimId = (await victim.status()).self.id
  await waitHoldsLease(victim, h0)
  const pid = victim.pid
  await victim.kill()
  const killedAt = Date.now()
  const atKill = await h0.results(submitted.jobId, 1)
  assert.ok(atKill.job.committed < atKill.job.total, 'the crash came mid-job')
  assert.equal(victim.pid, undefined)
  assert.throws(() => { process.kill(-(pid as number), 0) }, 'no process of the crashed peer\'s group survives')

  await victim.start()
  const restartedMs = Date.now() - killedAt
  assert.equal((await victim.status()).self.id, victimId, 'the same identity from the same data dir')
  const rejoinMs = await waitFullMesh([h0, victim, h2], 30_000).then(() => Date.now() - killedAt)
  t.diagnostic(`killed with ${atKill.job.committed}/${atKill.job.total} units committed; restarted peer answered ${restartedMs} ms after the kill; full mesh again ${rejoinMs} ms after the kill`)

  for (const h of lan.hosts) await waitJobDone(h, submitted.jobId, 180_000)
  t.diagnostic(`job done ${Date.now() - killedAt} ms after the kill`)
  await assertSameResult(run)
})
