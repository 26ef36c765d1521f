/**
 * The LAN harness itself: the faults it injects are real (an unplugged host is unreachable, 100 %
 * loss drops everything), and it leaves nothing behind (namespaces, processes, a dead run's
 * namespaces). The scenarios' verdicts are only as good as these.
 */
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { delayLinkSkip, lanTest, packetLossSkip, waitFullMesh } from '../helpers/lan.js'
import { listNamespaces, sh, sweepStale } from '../../scripts/lan/netns.js'

lanTest('harness: unplug cuts traffic between hosts; plug-in restores it', 60_000, async ({ createLan }) => {
  const lan = await createLan(2)
  const [a, b] = lan.hosts
  assert.equal(await a.reaches(b), true, 'hosts reach each other over the bridge')
  await b.unplug()
  assert.equal(await a.reaches(b), false, 'an unplugged host is unreachable')
  await b.plugIn()
  assert.equal(await a.reaches(b), true, 'a plugged-in host is reachable again')
})

lanTest('harness: packet loss of 100 % cuts traffic between hosts; 0 % restores it', 60_000, async ({ createLan }) => {
  const lan = await createLan(2)
  const [a, b] = lan.hosts
  assert.equal(await a.reaches(b), true, 'hosts reach each other over the bridge')
  await b.setPacketLoss(100)
  assert.equal(await a.reaches(b), false, '100 % loss drops everything')
  await b.setPacketLoss(0)
  assert.equal(await a.reaches(b), true, '0 % loss removes the rules')
}, packetLossSkip)

lanTest('harness: destroy stops the peers by pid and removes the namespaces and the run dir', 60_000, async ({ createLan }) => {
  const lan = await createLan(2)
  await lan.startAll()
  const pids = lan.hosts.map(h => h.pid as number)
  const names = [...lan.net.hosts.map(h => h.ns), lan.net.bridgeNs]
  await lan.destroy()
  for (const pid of pids) assert.throws(() => { process.kill(-pid, 0) }, `peer group ${pid} is gone`)
  const left = await listNamespaces()
  assert.deepEqual(names.filter(n => left.includes(n)), [])
  assert.equal(existsSync(lan.dir), false)
})

lanTest('harness: namespaces of a run that died are swept; those of a live run are kept', 30_000, async () => {
  // A pid that certainly ended: a process that ran and exited.
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString()
  const stale = `smt${dead}-h0`
  const mine = `smt${process.pid}-keep`
  await sh('ip', ['netns', 'add', stale])
  await sh('ip', ['netns', 'add', mine])
  try {
    const removed = await sweepStale()
    assert.ok(removed.includes(stale), `the dead run's ${stale} is removed`)
    assert.ok((await listNamespaces()).includes(mine), 'our own namespace is kept')
  } finally {
    await sh('ip', ['netns', 'del', stale]).catch(() => {})
    await sh('ip', ['netns', 'del', mine]).catch(() => {})
  }
})

/** One-way delay of the link under test; a round trip through it gains twice this. */
const LINK_DELAY_MS = 100

lanTest('harness: a delay link adds its delay each way (TCP round trip) and carries mDNS; destroy stops its relay and removes its devices', 60_000, async ({ t, createLan }) => {
  const lan = await createLan(3, { delayed: { host: 1, delayMs: LINK_DELAY_MS } })
  const [a, slow, c] = lan.hosts
  const link = lan.net.links.get(1)
  assert.ok(link !== undefined)
  const [viaLink, direct] = [await a.roundTripMs(slow), await a.roundTripMs(c)]
  t.diagnostic(`TCP round trip h0 -> h1 (delay link, ${LINK_DELAY_MS} ms each way) ${viaLink.toFixed(1)} ms; h0 -> h2 (veth) ${direct.toFixed(1)} ms`)
  assert.ok(viaLink >= 2 * LINK_DELAY_MS, `a round trip through the link takes at least ${2 * LINK_DELAY_MS} ms (took ${viaLink.toFixed(1)})`)
  // Generous: the relay is a python process on a loaded 2-core box.
  assert.ok(viaLink < 2 * LINK_DELAY_MS + 300, `and not much more (took ${viaLink.toFixed(1)})`)
  assert.ok(direct < LINK_DELAY_MS, `a veth round trip stays fast (took ${direct.toFixed(1)})`)
  const dev = await sh('ip', ['-n', slow.net.ns, '-d', 'link', 'show', 'eth0'])
  assert.match(dev, /\btun\b/, 'the slow host\'s eth0 is the relay\'s TAP device')
  // Peers find each other across the link by mDNS: multicast crosses it like any frame.
  await lan.startAll()
  await waitFullMesh(lan.hosts, 30_000)
  assert.ok((await slow.linkCounts()).forwarded > 0)
  const pid = link.pid
  const names = [...lan.net.hosts.map(h => h.ns), lan.net.bridgeNs]
  await lan.destroy()
  assert.throws(() => { process.kill(pid, 0) }, `the relay ${pid} is gone`)
  const left = await listNamespaces()
  assert.deepEqual(names.filter(n => left.includes(n)), [])
  // Its devices were only ever in our namespaces; none surfaced in this one when they closed.
  assert.doesNotMatch(await sh('ip', ['-o', 'link', 'show']), /: (t1|p1)[@:]/)
}, delayLinkSkip)
