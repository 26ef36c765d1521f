/**
 * LAN scenarios 1 and 2: peers in separate network namespaces find each other by real mDNS (no
 * addresses given) and finish a job together with the single-machine leaderboard.
 */
import assert from 'node:assert/strict'
import { comparable } from '../helpers/reference-run.js'
import { tempDir } from '../helpers/temp-dir.js'
import { demoJob, LAN_SUBNET, lanTest, waitFullMesh, waitJobDone } from '../helpers/lan.js'
import { agreedResults } from '../helpers/agreed-results.js'

/** The bound: a user who starts four machines sees all of them within ten seconds. */
const DISCOVERY_BOUND_MS = 10_000

lanTest('1. discovery: 4 hosts with no addresses given see each other within 10 s', 120_000, async ({ t, createLan }) => {
  const lan = await createLan(4)
  const spawned = Date.now()
  await lan.startAll()
  const started = Date.now()
  const meshMs = await waitFullMesh(lan.hosts, DISCOVERY_BOUND_MS)
  t.diagnostic(`${lan.launch}: peers started in ${started - spawned} ms; full mesh ${meshMs} ms after the last peer answered (${Date.now() - spawned} ms after the first spawn)`)
  for (const h of lan.hosts) {
    const st = await h.status()
    // Every connection is on the test LAN's own addresses: proof the peers met over the bridge.
    for (const p of st.peers.filter(p => !p.self)) {
      assert.ok(p.addresses.length > 0 && p.addresses.every(a => a.startsWith(`/ip4/${LAN_SUBNET}.`)), `${h.name} reaches ${p.name} at ${p.addresses.join(' ')}`)
    }
    assert.equal(st.peers.filter(p => !p.self && p.connected).length, 3, `${h.name} sees 3 others`)
  }
})

lanTest('2. the demo job over 3 hosts: every host shows the single-machine leaderboard', 240_000, async ({ t, createLan }) => {
  const dir = await tempDir('stratmesh-lan-job-')
  const job = await demoJob(dir.path)
  const lan = await createLan(3)
  await lan.startAll()
  await waitFullMesh(lan.hosts, 20_000)
  const submittedAt = Date.now()
  const submitted = await lan.hosts[0].submit(job.request)
  const want = await job.expected(submitted.spec)
  assert.ok(want.length > 0)
  for (const h of lan.hosts) await waitJobDone(h, submitted.jobId, 180_000)
  t.diagnostic(`${lan.launch}: job of 9 units done on all 3 hosts ${Date.now() - submittedAt} ms after submit`)
  const boards = await agreedResults(lan.hosts, async h => await h.results(submitted.jobId, 10))
  for (const [i, r] of boards.entries()) {
    assert.equal(r.job.committed, r.job.total, `${lan.hosts[i].name} counts every unit once`)
    assert.deepEqual(r.leaderboard, boards[0].leaderboard, `${lan.hosts[i].name} has the same leaderboard as h0`)
    assert.deepEqual(comparable(r.leaderboard), comparable(want), `${lan.hosts[i].name} matches the single-machine run`)
  }
  // Work was spread: more than one host committed units (otherwise this is not a mesh result).
  const st = await lan.hosts[0].status()
  assert.deepEqual(st.conflicts, [])
  const committers = new Set(boards[0].leaderboard.map(r => r.peer))
  t.diagnostic(`leaderboard rows found by ${committers.size} different peers`)
})
