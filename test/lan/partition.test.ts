/**
 * LAN scenario 5: the network splits 2 | 1 mid-job (one host's cable is pulled), both sides keep
 * working, and once the cable is back they converge to one ledger state and one leaderboard.
 */
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { assertSameResult, committedOn, FAULT_LEASE_TTL_MS, lanTest, REJOIN_BOUND_MS, startFaultJob, waitFullMesh, waitHoldsLease, waitJobDone } from '../helpers/lan.js'

/** Long enough for the cut-off host's leases to expire on the other side, and theirs on its side. */
const PARTITION_MS = 3 * FAULT_LEASE_TTL_MS

lanTest('5. partition 2 | 1 mid-job, then heal: both sides work, then converge to one state and one leaderboard', 300_000, async ({ t, createLan }) => {
  const dir = await tempDir('stratmesh-lan-partition-')
  const run = await startFaultJob(createLan, dir.path)
  const { submitted } = run
  const [h0, h1, lone] = run.lan.hosts
  await waitHoldsLease(lone, h0)
  const before = { pair: await committedOn(h0, submitted.jobId), lone: await committedOn(lone, submitted.jobId) }
  await lone.unplug()
  const cutAt = Date.now()

  // The scenario is "apart for 3 TTLs": a fixed wait, during which each side's progress is sampled.
  let pairGrew: number | undefined
  let loneGrew: number | undefined
  while (Date.now() - cutAt < PARTITION_MS) {
    const [pair, alone] = await Promise.all([committedOn(h0, submitted.jobId), committedOn(lone, submitted.jobId)])
    if (pairGrew === undefined && pair > before.pair) pairGrew = Date.now() - cutAt
    if (loneGrew === undefined && alone > before.lone) loneGrew = Date.now() - cutAt
    await new Promise(resolve => setTimeout(resolve, 250))
  }
  const during = { pair: (await committedOn(h0, submitted.jobId)) - before.pair, lone: (await committedOn(lone, submitted.jobId)) - before.lone }
  await lone.plugIn()
  const healedAt = Date.now()
  t.diagnostic(`during the partition the pair committed ${during.pair} unit(s) (first after ${pairGrew ?? '-'} ms), the lone host ${during.lone} (first after ${loneGrew ?? '-'} ms)`)
  assert.ok(during.pair > 0, 'the side of two kept working')
  assert.ok(during.lone > 0, 'the lone host kept working')

  const meshMs = await waitFullMesh([h0, h1, lone], REJOIN_BOUND_MS).then(() => Date.now() - healedAt)
  for (const h of run.lan.hosts) await waitJobDone(h, submitted.jobId, 120_000)
  t.diagnostic(`full mesh ${meshMs} ms after healing; job done everywhere ${Date.now() - healedAt} ms after healing`)
  await assertSameResult(run)
})
