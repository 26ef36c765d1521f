/**
 * LAN scenario 8: a hostile member. It holds the mesh secret (so it is admitted) and real keys of
 * its own, and sends what a compromised machine could: a commit with a wrong checkpoint, two
 * entries at one seq, an entry forged in an honest member's name, an oversized entry, an
 * oversized gossip message and an oversized sync response. Every honest host must reject each
 * with its code, counted against the sender (or record it as a conflict naming both authors, or
 * freeze the equivocator), and keep the single-machine leaderboard.
 */
import assert from 'node:assert/strict'
import { byHlcThenAuthor } from '../../src/ledger/queries.js'
import { comparable } from '../helpers/reference-run.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { GARBAGE_FITNESS, startHostile, type HostileMember } from '../helpers/hostile.js'
import { demoJob, lanTest, waitFullMesh, waitJobDone, type LanHost } from '../helpers/lan.js'
import { agreedResults } from '../helpers/agreed-results.js'
import type { PeerStatus } from '../../src/node/peer-types.js'

/** Rejection codes that mean "not now" (replicator-log.ts): a relay of a frozen author's entry is one. */
const BENIGN = new Set(['ENTRY_GAP', 'ENTRY_CLOCK_SKEW', 'ENTRY_AUTHOR_FROZEN'])
/** Bound on every "each honest host has seen it" wait: gossip is instant, a pull round is 5 s. */
const SEEN_BOUND_MS = 30_000

async function waitEvery (hosts: readonly LanHost[], what: string, ok: (st: PeerStatus) => boolean): Promise<void> {
  for (const h of hosts) {
    let last: PeerStatus | undefined
    await waitFor(async () => ok(last = await h.status()), { timeoutMs: SEEN_BOUND_MS, intervalMs: 250, message: `${h.name}: ${what}` }).catch((err: Error) => {
      const seen = last === undefined ? 'no status' : JSON.stringify({ conflicts: last.conflicts.length, frozen: last.frozen, rejected: last.rejected, syncErrors: last.syncErrors })
      throw new Error(`${err.message}; last seen: ${seen}`, { cause: err })
    })
  }
}

lanTest('8. a hostile member: forged signature, equivocation, oversized messages and a wrong checkpoint are rejected or recorded as a conflict; the honest leaderboard is unaffected', 300_000, async ({ t, createLan }) => {
  const dir = await tempDir('stratmesh-lan-hostile-')
  const jobA = await demoJob(dir.path)
  const lan = await createLan(4)
  const honest = lan.hosts.slice(0, 3)
  await Promise.all(honest.map(async h => { await h.start() }))
  await waitFullMesh(honest, 20_000)
  const ids = await Promise.all(honest.map(async h => (await h.status()).self.id))
  let mallory: HostileMember | undefined
  try {
    mallory = await startHostile(lan.hosts[3])
    const m = mallory.peerId
    await mallory.waitMesh(ids)
    await mallory.hello()
    const startedAt = Date.now()
    const submitted = await honest[0].submit(jobA.request)
    for (const h of honest) await waitJobDone(h, submitted.jobId, 120_000)
    t.diagnostic(`job A done on the 3 honest hosts ${Date.now() - startedAt} ms after submit`)

    // A wrong checkpoint for a unit the honest mesh has committed (it arrives second, later hlc).
    const unit = { jobId: submitted.jobId, island: 1, epoch: 1 }
    const ledger = await mallory.pull(ids[0])
    // Two honest peers may both have committed it (a claim race): the one that counts comes first
    // in the ledger's order, whatever order the pull listed them in.
    const honestCommits = ledger.commits.filter(c => c.jobId === unit.jobId && c.island === unit.island && c.epoch === unit.epoch).sort(byHlcThenAuthor)
    const honestCommit = honestCommits[0]
    assert.ok(honestCommit !== undefined, 'the honest commit of the unit is in the ledger')
    assert.ok(honestCommits.every(c => c.checkpointHash === honestCommit.checkpointHash), 'honest commits of one unit agree')
    const wrong = await mallory.commitWrong(unit)
    assert.notEqual(wrong.checkpointHash, honestCommit.checkpointHash)
    await waitEvery(honest, 'the conflict recorded', st => st.conflicts.some(c => c.other.author === m))

    // Two different entries at one seq, both validly signed: the author is frozen from that seq.
    const eq = await mallory.equivocate()
    await waitEvery(honest, 'the equivocator frozen', st => st.frozen.some(f => f.author === m))

    // An entry in h0's name with a signature that is not h0's; an entry over the size limit; a
    // gossip message over the gossip cap; a sync response over the frame cap.
    await mallory.forge(ids[0])
    await mallory.oversizedEntry()
    await mallory.oversizedGossip()
    await mallory.oversizedSync()
    await waitEvery(honest, 'every rejection counted against the hostile member', st => {
      const r = st.rejected[m] ?? {}
      return (r.ENTRY_BAD_SIGNATURE ?? 0) > 0 && (r.ENTRY_TOO_LARGE ?? 0) > 0 && (r.SYNC_TOO_LARGE ?? 0) > 0 && (st.syncErrors[m]?.SYNC_TOO_LARGE ?? 0) > 0
    })

    const want = comparable(await jobA.expected(submitted.spec))
    const boards = await agreedResults(honest, async h => await h.results(submitted.jobId, 10))
    for (const [i, h] of honest.entries()) {
      const st = await h.status()
      t.diagnostic(`${h.name}: rejected from the hostile member ${JSON.stringify(st.rejected[m])}; its failed pulls ${JSON.stringify(st.syncErrors[m])}; frozen ${JSON.stringify(st.frozen.map(f => [f.author.slice(-6), f.seq]))}`)
      assert.deepEqual(st.conflicts.map(c => [c.jobId, c.island, c.epoch, c.counted.author, c.counted.checkpointHash, c.other.author, c.other.checkpointHash]),
        [[unit.jobId, unit.island, unit.epoch, honestCommit.author, honestCommit.checkpointHash, m, wrong.checkpointHash]],
        `${h.name}: one conflict, naming the honest author (counted) and the hostile one`)
      assert.deepEqual(st.frozen, [{ author: m, seq: eq.seq }], `${h.name}: the equivocator, and only it, is frozen (the forgery in h0's name froze nobody)`)
      assert.ok((st.rejected[m]?.ENTRY_EQUIVOCATION ?? 0) > 0, `${h.name}: the equivocation is counted against its author`)
      // An honest peer may relay the hostile member's entries (gossip, pull); at most "not now" codes go to its name.
      const blamed = Object.entries(st.rejected).filter(([p]) => p !== m).flatMap(([p, byCode]) => Object.keys(byCode).filter(c => !BENIGN.has(c)).map(c => `${p.slice(-6)} ${c}`))
      assert.deepEqual(blamed, [], `${h.name}: no honest peer is blamed for misbehaving`)
      assert.deepEqual(comparable(boards[i].leaderboard), want, `${h.name}: the single-machine leaderboard`)
      assert.deepEqual(boards[i].leaderboard, boards[0].leaderboard, `${h.name}: the same leaderboard as h0`)
    }

    // The hostile member commits first: a unit nobody has computed yet, with a second key (the
    // first is frozen). Counted by (hlc, author) it would win; every honest peer checks it first
    // (src/node/work/commit-verifier.ts), rejects it, computes the unit and records the conflict.
    await t.test('8b. a wrong checkpoint committed before any honest one does not reach the leaderboard', async () => {
      const jobB = await demoJob(dir.path, { seed: 43 })
      const hostile = mallory as HostileMember
      const second = (await hostile.authors())[1]
      const subB = await honest[0].submit(jobB.request)
      const last = { jobId: subB.jobId, island: 0, epoch: (jobB.request.epochs ?? 3) - 1 }
      const wrongB = await hostile.commitWrong(last, { key: 1, template: { jobId: submitted.jobId, island: 0, epoch: 2 } })
      for (const h of honest) await waitJobDone(h, subB.jobId, 120_000)
      const wantB = comparable(await jobB.expected(subB.spec))
      const seen = await Promise.all(honest.map(async h => ({ h, st: await h.status(), board: await h.results(subB.jobId, 10) })))
      for (const { h, st, board } of seen) {
        const top = board.leaderboard[0]
        t.diagnostic(`${h.name}: job B top row fitness ${top?.fitness} by ${top?.peer === second ? 'the hostile member' : top?.peer?.slice(-6)}; conflicts on job B: ${st.conflicts.filter(c => c.jobId === subB.jobId).length}; rejected: ${JSON.stringify(st.checks.rejected.map(r => r.reason))}`)
      }
      for (const { h, st, board } of seen) {
        assert.ok(!board.leaderboard.some(r => r.fitness === GARBAGE_FITNESS), `${h.name}: no garbage row`)
        assert.deepEqual(comparable(board.leaderboard), wantB, `${h.name}: the single-machine leaderboard`)
        assert.ok(st.checks.rejected.some(r => r.jobId === subB.jobId && r.author === second && r.checkpointHash === wrongB.checkpointHash), `${h.name}: the wrong commit is listed as rejected`)
        const onB = st.conflicts.filter(c => c.jobId === subB.jobId)
        assert.deepEqual(onB.map(c => [c.island, c.epoch, c.other.author, c.other.checkpointHash, c.rejected]), [[last.island, last.epoch, second, wrongB.checkpointHash, true]],
          `${h.name}: one conflict on job B: an honest commit counted, the hostile one rejected`)
        assert.ok(ids.includes(onB[0].counted.author), `${h.name}: the counted commit is an honest peer's`)
      }
    })
  } finally {
    await mallory?.stop()
  }
})
