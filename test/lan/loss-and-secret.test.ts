/**
 * LAN scenarios 6 and 7: a slow, lossy link to one host (a delay link: the kernel here has no
 * netem, see docs/RELIABILITY.md), and a machine with the wrong mesh secret on the same LAN.
 */
import assert from 'node:assert/strict'
import { comparable } from '../helpers/reference-run.js'
import { tempDir } from '../helpers/temp-dir.js'
import { delayLinkSkip, demoJob, lanTest, waitFullMesh, waitJobDone } from '../helpers/lan.js'
import { agreedResults } from '../helpers/agreed-results.js'

/** Every frame in or out of one host is dropped with this probability, each way (the delay link). */
const LOSS_PERCENT = 20
/** And delayed by this much each way: a round trip to that host gains twice this. */
const DELAY_MS = 100
/** How long a wrong-secret peer is watched: several mDNS rounds (10 s each) and dial attempts. */
const OUTSIDER_WATCH_MS = 12_000

lanTest(`6. ${LOSS_PERCENT} % packet loss and ${DELAY_MS} ms delay on one host from the start: it joins and the demo job ends with the single-machine leaderboard`, 240_000, async ({ t, createLan }) => {
  const dir = await tempDir('stratmesh-lan-loss-')
  const job = await demoJob(dir.path)
  const lan = await createLan(3, { delayed: { host: 1, delayMs: DELAY_MS, lossPercent: LOSS_PERCENT } })
  const lossy = lan.hosts[1]
  const spawned = Date.now()
  await lan.startAll()
  const meshMs = await waitFullMesh(lan.hosts, 60_000)
  const submittedAt = Date.now()
  const submitted = await lan.hosts[0].submit(job.request)
  for (const h of lan.hosts) await waitJobDone(h, submitted.jobId, 180_000)
  const link = await lossy.linkCounts()
  t.diagnostic(`${lan.launch}: full mesh ${meshMs} ms after the peers answered (${Date.now() - spawned} ms in all); job done on all ${Date.now() - submittedAt} ms after submit; the slow link forwarded ${link.forwarded} frames and dropped ${link.lost}`)
  assert.ok(link.lost > 0, 'the link really dropped frames')
  const want = await job.expected(submitted.spec)
  const boards = await agreedResults(lan.hosts, async h => await h.results(submitted.jobId, 10))
  for (const [i, r] of boards.entries()) {
    assert.equal(r.job.committed, r.job.total)
    assert.deepEqual(r.leaderboard, boards[0].leaderboard, `${lan.hosts[i].name} has h0's leaderboard`)
    assert.deepEqual(comparable(r.leaderboard), comparable(want), `${lan.hosts[i].name} matches the single-machine run`)
  }
  // Whether the slow host committed units itself (it may lose the race for them to the fast ones).
  const committers = new Set(boards[0].leaderboard.map(r => r.peer))
  t.diagnostic(`leaderboard rows committed by ${committers.size} peer(s); the slow host ${committers.has((await lossy.status()).self.id) ? 'among them' : 'not among them'}`)
}, delayLinkSkip)

lanTest('7. a peer with the wrong secret on the same LAN is found by mDNS but never admitted', 120_000, async ({ t, createLan }) => {
  const lan = await createLan(3)
  const [a, b, outsider] = lan.hosts
  await Promise.all([a.start(), b.start(), outsider.start({ secret: 'not the secret of this mesh' })])
  await waitFullMesh([a, b], 20_000)
  const outsiderId = (await outsider.status()).self.id
  // The claim is "never": watched for a bounded window covering several discovery rounds.
  const until = Date.now() + OUTSIDER_WATCH_MS
  while (Date.now() < until) {
    const [sa, sb, so] = await Promise.all([a.status(), b.status(), outsider.status()])
    assert.ok(!sa.peers.some(p => p.id === outsiderId && p.connected), 'h0 never connects to the outsider')
    assert.ok(!sb.peers.some(p => p.id === outsiderId && p.connected), 'h1 never connects to the outsider')
    assert.deepEqual(so.peers.filter(p => !p.self && p.connected), [], 'the outsider connects to nobody')
    await new Promise(resolve => setTimeout(resolve, 500))
  }
  // It really was on the LAN: the members reach it over TCP, they just do not let it in.
  assert.equal(await a.reaches(outsider), true)
  const log = await outsider.readLog()
  t.diagnostic(`outsider watched ${OUTSIDER_WATCH_MS} ms: no connection either way`)
  assert.ok(!log.includes('fetching'), 'the outsider fetched nothing from the mesh')
})
