/**
 * LAN scenario 10: machines whose clocks disagree. Leases expire at the claim's hlc + TTL as read
 * by each peer's own clock, and entries too far ahead of a peer's clock are refused
 * (MAX_CLOCK_SKEW_MS), so unsynced clocks are a real fault: one host runs 25 s ahead, one 25 s
 * behind (within the skew bound: each sees the others' leases lapse early or late, so units may be
 * claimed twice), and one 90 s ahead (beyond it: its entries are refused until real time catches up
 * with them). The job must still complete with the single-machine leaderboard everywhere.
 *
 * A fast clock also spreads: once real time lets a host accept the 90 s host's entries, its hybrid
 * clock adopts their time (as a hybrid logical clock must, to order what it signs after what it
 * saw), and it passes on those entries too; a host with a slower clock may then refuse what it
 * sends, for a while. What a host sends is at most its own clock + MAX_CLOCK_SKEW_MS, so a host
 * never refuses a sender whose clock is not ahead of its own: that is what the test asserts.
 */
import assert from 'node:assert/strict'
import { MAX_CLOCK_SKEW_MS } from '../../src/protocol/limits.js'
import { comparable } from '../helpers/reference-run.js'
import { tempDir } from '../helpers/temp-dir.js'
import { demoJob, lanTest, waitFullMesh, waitJobDone } from '../helpers/lan.js'

/** Offsets of hosts h0..h3 from real time. */
const OFFSETS_MS = [0, 25_000, -25_000, 90_000]

lanTest('10. clocks 25 s ahead, 25 s behind and 90 s ahead: the job completes with the single-machine leaderboard on every host', 300_000, async ({ t, createLan }) => {
  assert.ok(OFFSETS_MS[3] > MAX_CLOCK_SKEW_MS && Math.abs(OFFSETS_MS[1] - OFFSETS_MS[2]) < MAX_CLOCK_SKEW_MS, 'the offsets straddle the skew bound as described')
  const dir = await tempDir('stratmesh-lan-clock-')
  // Units long enough (~0.3 s) that all four hosts claim some while the others' leases are read
  // through skewed clocks.
  const job = await demoJob(dir.path, { seed: 7, islands: 4, population: 16, generations: 20 }, 20_000)
  const lan = await createLan(4, { launch: 'runner' })
  await Promise.all(lan.hosts.map(async (h, i) => { await h.start({ clockOffsetMs: OFFSETS_MS[i] }) }))
  // h3's entries are refused for now, but the connections (and mDNS) do not depend on clocks.
  await waitFullMesh(lan.hosts, 30_000)
  const ids = await Promise.all(lan.hosts.map(async h => (await h.status()).self.id))
  const submittedAt = Date.now()
  const submitted = await lan.hosts[0].submit(job.request)
  const want = comparable(await job.expected(submitted.spec))
  for (const h of lan.hosts) {
    await waitJobDone(h, submitted.jobId, 180_000)
    t.diagnostic(`${h.name} (clock ${OFFSETS_MS[h.index] / 1000} s): job done ${Date.now() - submittedAt} ms after submit`)
  }
  const boards = await Promise.all(lan.hosts.map(async h => await h.results(submitted.jobId, 10)))
  for (const [i, h] of lan.hosts.entries()) {
    assert.deepEqual(comparable(boards[i].leaderboard), want, `${h.name}: the single-machine leaderboard`)
    const st = await h.status()
    assert.deepEqual(st.conflicts, [], `${h.name}: no conflict`)
    assert.deepEqual(st.checks.rejected, [], `${h.name}: no commit failed its check`)
    t.diagnostic(`${h.name}: ${JSON.stringify(Object.fromEntries(Object.entries(st.rejected).map(([p, c]) => [`h${ids.indexOf(p)}`, c])))} refused; checks: ${st.checks.checked} known right, ${st.checks.evaluations} evaluations`)
  }
  // The host 90 s ahead was refused, by its clock, by at least one host (then counted against it).
  const refusedH3 = await Promise.all(lan.hosts.slice(0, 3).map(async h => (await h.status()).rejected[ids[3]]?.ENTRY_CLOCK_SKEW ?? 0))
  assert.ok(refusedH3.some(n => n > 0), `h3's entries were refused as too far ahead (${refusedH3.join(', ')})`)
  // A host refuses nothing, for its clock, from a sender whose clock is not ahead of its own
  // (counted per sender: its own entries and those it passes on).
  let checkedPairs = 0
  for (const i of [0, 1, 2]) {
    const st = await lan.hosts[i].status()
    t.diagnostic(`h${i} refused for clock skew: ${JSON.stringify(Object.fromEntries(ids.map((p, j) => [`h${j}`, st.rejected[p]?.ENTRY_CLOCK_SKEW ?? 0])))}`)
    for (const j of [0, 1, 2]) {
      if (j === i || OFFSETS_MS[j] > OFFSETS_MS[i]) continue
      assert.equal(st.rejected[ids[j]]?.ENTRY_CLOCK_SKEW ?? 0, 0, `h${i} (clock ${OFFSETS_MS[i] / 1000} s) refused nothing from h${j} (clock ${OFFSETS_MS[j] / 1000} s, not ahead of it)`)
      checkedPairs++
    }
  }
  assert.equal(checkedPairs, 3, 'h0 from h2, h1 from h0 and h2')
  const committers = new Set(boards[0].leaderboard.map(r => r.peer))
  t.diagnostic(`leaderboard rows found by ${[...committers].map(p => `h${ids.indexOf(p ?? '')}`).join(', ')}`)
})
