/**
 * Faults on peers run as the user runs them (`peer start` child processes on 127.0.0.1, 3 s
 * leases): a peer frozen (SIGSTOP of its whole process group, as a closed laptop lid) while it
 * holds leases, and a peer killed (SIGKILL of the group, evaluators included) and restarted on the
 * same data dir. Either way the job completes with the single-machine leaderboard on every peer,
 * and every unit is counted once.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { comparable } from '../helpers/reference-run.js'
import { agreedResults } from '../helpers/agreed-results.js'
import type { LeaderboardRow } from '../../src/protocol/job-spec.js'
import type { PeerStatus, ResultsView, SubmitRequest, SubmitResult } from '../../src/node/peer-types.js'
import { groupPids, jsonOf, resultsViaCli, singleMachineLeaderboard, STRATEGY, submitArgs, waitFullMesh, withCliMesh, writeCandlesCsv, type CliMesh, type CliPeer } from '../helpers/cli-peer.js'

/** Seconds. Short, so a frozen peer's leases lapse within the test; renewals come every second. */
const LEASE_TTL_S = 3
/**
 * 3 islands x 4 epochs = 12 units of most of a second each on one free core: a fault lands
 * mid-job, a unit outlives a lease renewal and outlasts SETTLE_MS with room to spare (should the
 * engine get faster), and the whole file stays cheap on 2 cores (the reference run costs as much
 * as the job again). On an idle machine the two peers left awake may finish while the third
 * sleeps; on a loaded one the sleeper wakes into a running job.
 */
const FAULT_JOB = { islands: 3, epochs: 4, population: 48, generations: 20, seed: 11, minTrades: 1 }
const FAULT_BARS = 100_000
/** Entries cross loopback in milliseconds: a claim this old has reached everyone, and so have rival claims. */
const SETTLE_MS = 150
/** Time for a frozen peer's last log lines to reach the test through its pipe. */
const DRAIN_MS = 300
/**
 * A frozen peer's lease must lapse in the others' view within its TTL plus this: the takeover goal
 * (TTL + 5 s). A lease renewed just before the freeze lapses a TTL later, and p0 notices at its
 * next status.
 */
const LAPSE_SLACK_MS = 5_000
/** A job this size finishes in well under a minute on two shared cores even after a fault. */
const JOB_DONE_TIMEOUT_MS = 90_000

// Made once for both scenarios (the same job, so the single-machine reference is computed once).
const dir = await tempDir('stratmesh-cli-faults-')
const csv = await writeCandlesCsv(dir.path, FAULT_BARS)
const request: SubmitRequest = { strategyPath: STRATEGY, data: csv, ...FAULT_JOB }

const references = new Map<string, Promise<LeaderboardRow[]>>()
/** Started at the first submit, alongside the peers; the same job's reference is computed once. */
function reference (submitted: SubmitResult): Promise<LeaderboardRow[]> {
  let r = references.get(submitted.jobId)
  if (r === undefined) { r = singleMachineLeaderboard(submitted.spec, csv); references.set(submitted.jobId, r) }
  return r
}

/** Three peers with short leases, p1 and p2 bootstrapped to p0, the fault job submitted on p0. */
async function startFaultMesh (mesh: CliMesh): Promise<{ peers: CliPeer[], submitted: SubmitResult }> {
  const p0 = await mesh.add({ name: 'p0', leaseTtl: LEASE_TTL_S })
  const addr = await p0.address()
  const [p1, p2] = await Promise.all(['p1', 'p2'].map(async name => await mesh.add({ name, bootstrap: [addr], leaseTtl: LEASE_TTL_S })))
  await waitFor(async () => (await p0.status()).peers.filter(p => p.connected).length === 2, { timeoutMs: 20_000, intervalMs: 100, message: 'p0 to see p1 and p2' })
  const submitted = jsonOf<SubmitResult>(await p0.cli(submitArgs(request)), 'p0 submit')
  void reference(submitted)
  return { peers: [p0, p1, p2], submitted }
}

/** What a peer logs when it claims a unit, before the unit's name. */
const CLAIMED = 'claimed unit '

/** The last claim in a peer's log so far: the unit, the whole line, and when the line arrived. */
function lastClaim (peer: CliPeer): { unit: string, text: string, at: number } | undefined {
  const line = peer.linesSince(0).filter(l => l.text.startsWith(CLAIMED)).at(-1)
  return line === undefined ? undefined : { unit: line.text.slice(CLAIMED.length), text: line.text, at: line.at }
}

/**
 * Waits until one of `candidates` runs a unit that it alone claimed and `observer` has the claim
 * in its ledger, so the fault costs the mesh a lease it knows of and nobody else is computing that
 * unit (two peers that become ready together may claim one unit at once; the ledger's order then
 * picks one, and today the other computes it anyway). Returns that peer and the unit, as the logs
 * name it. Either leaf will do: it doubles the chances before the job ends.
 */
async function waitLeaseOfItsOwn (candidates: readonly CliPeer[], observer: CliPeer, all: readonly CliPeer[]): Promise<{ peer: CliPeer, id: string, unit: string }> {
  const ids = await Promise.all(candidates.map(async c => (await c.status()).self.id))
  return await waitFor(async () => {
    for (const [i, peer] of candidates.entries()) {
      const claim = lastClaim(peer)
      if (claim === undefined || Date.now() - claim.at < SETTLE_MS) continue
      if (all.some(o => o !== peer && o.linesSince(0).some(l => l.text === claim.text))) continue
      if ((await peer.status()).self.leases === 0) continue
      if (((await observer.status()).peers.find(p => p.id === ids[i])?.leases ?? 0) === 0) continue
      return { peer, id: ids[i], unit: claim.unit }
    }
    return undefined
  }, { timeoutMs: 30_000, intervalMs: 50, message: `a leaf to hold a lease of its own that ${observer.name} knows of` })
}

/** Every peer counts each unit once, shows the same leaderboard, the single-machine one, and no conflict. */
async function assertSameResult (peers: readonly CliPeer[], done: readonly ResultsView[], want: readonly LeaderboardRow[]): Promise<void> {
  assert.ok(done.every(r => r.done), 'every peer reported the job done')
  const jobId = done[0].job.id
  const boards = await agreedResults(peers, async p => await resultsViaCli(p, jobId))
  for (const [i, r] of boards.entries()) {
    const name = peers[i].name
    assert.equal(r.done, true, `${name}: the job is done`)
    // The ledger is keyed by unit: one computed twice (by a sleeper and its replacement) counts once.
    assert.equal(r.job.committed, r.job.total, `${name}: every unit counted exactly once`)
    assert.deepEqual(r.leaderboard, boards[0].leaderboard, `${name} shows ${peers[0].name}'s leaderboard, row for row`)
    assert.deepEqual(comparable(r.leaderboard), comparable(want), `${name} shows the single-machine leaderboard`)
  }
  const statuses = await Promise.all(peers.map(async p => jsonOf<PeerStatus>(await p.cli(['status', '--json']), `${p.name} status`)))
  for (const [i, s] of statuses.entries()) assert.deepEqual(s.conflicts, [], `${peers[i].name} sees no conflicting checkpoints`)
}

test(`sleep: a peer frozen with leases for 3x the lease TTL (${LEASE_TTL_S} s); the job completes, it catches up`, { timeout: 180_000 }, async t => {
  await withCliMesh(t, async mesh => {
    const { peers, submitted } = await startFaultMesh(mesh)
    const [p0] = peers
    const p0Id = (await p0.status()).self.id
    const { peer: sleeper, id: sleeperId, unit: chosen } = await waitLeaseOfItsOwn(peers.slice(1), p0, peers)
    const awake = peers.filter(p => p !== sleeper)
    const before = (await p0.results(submitted.jobId, 1)).job.committed
    sleeper.signalGroup('SIGSTOP')
    const frozenAt = Date.now()
    // The unit it holds is the last one it claimed before the freeze: had it finished the chosen
    // unit and claimed the next between the choice and the signal, that claim's line may have
    // still been in the pipe. Frozen, it writes nothing more.
    await new Promise(resolve => setTimeout(resolve, DRAIN_MS))
    const held = lastClaim(sleeper)?.unit ?? chosen
    assert.ok(before < submitted.spec.ga.islands * submitted.spec.ga.epochs, 'frozen mid-job')

    // The scenario is "asleep for 3 TTLs": a fixed span of the fault itself, during which p0 is watched.
    let expiredAfter: number | undefined
    while (Date.now() - frozenAt < 3 * LEASE_TTL_S * 1000) {
      if (expiredAfter === undefined) {
        const view = (await p0.status()).peers.find(p => p.id === sleeperId)
        if (view !== undefined && view.leases === 0) expiredAfter = Date.now() - frozenAt
      }
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    const during = (await p0.results(submitted.jobId, 1)).job.committed - before
    sleeper.signalGroup('SIGCONT')
    const wokeAt = Date.now()
    // Who claimed the sleeper's unit, and when (from the peers' own logs, timed as they arrived).
    const takeover = awake.flatMap(p => p.linesSince(frozenAt).filter(l => l.text === `${CLAIMED}${held}`).map(l => `${p.name} after ${l.at - frozenAt} ms`))
    t.diagnostic(`the sleeper ${sleeper.name} held the lease of ${held} alone; p0 saw it lapse ${expiredAfter ?? 'never'} ms after the freeze; taken over by ${takeover.join(', ') || 'nobody'}; ${during} unit(s) committed while it slept`)
    assert.ok(expiredAfter !== undefined && expiredAfter <= LEASE_TTL_S * 1000 + LAPSE_SLACK_MS, 'the sleeper\'s lease lapses within a TTL (plus the takeover goal\'s 5 s) in p0\'s view')
    assert.ok(during > 0, 'the others kept working while it slept')
    assert.ok(takeover.length > 0, `another peer claimed the sleeper's unit (${held}) once its lease lapsed`)

    const want = await reference(submitted)
    t.diagnostic(`single-machine reference ready ${Date.now() - wokeAt} ms after the wake-up`)
    const boards = await Promise.all(peers.map(async p => await resultsViaCli(p, submitted.jobId, JOB_DONE_TIMEOUT_MS)))
    const doneAt = Date.now()
    t.diagnostic(`job done on all three (the woken peer caught up) ${doneAt - wokeAt} ms after the wake-up; the woken peer committed ${sleeper.linesSince(wokeAt).filter(l => l.text.startsWith('committed ')).length} unit(s) after it`)
    await assertSameResult(peers, boards, want)
    // Woken, it is part of the mesh again: connected to p0, its bootstrap peer.
    await waitFor(async () => (await sleeper.status()).peers.some(p => p.connected && p.id === p0Id), { timeoutMs: 20_000, intervalMs: 200, message: 'the woken peer to be connected to p0' })
    const dropped = sleeper.log().match(/dropping result of island/g)?.length ?? 0
    t.diagnostic(`the woken peer dropped ${dropped} late result(s) of units taken over while it slept`)
  })
})

test('crash: a peer SIGKILLed mid-job with its evaluators and restarted on the same data dir; the job completes', { timeout: 180_000 }, async t => {
  await withCliMesh(t, async mesh => {
    const { peers, submitted } = await startFaultMesh(mesh)
    const [p0] = peers
    const { peer: victim, id: victimId } = await waitLeaseOfItsOwn(peers.slice(1), p0, peers)
    const pgid = victim.pid as number
    const group = await groupPids(pgid)
    assert.ok(group.length >= 3, `the victim runs a peer, an evaluator and a reaper: ${group.join(' ')}`)
    await victim.kill()
    const killedAt = Date.now()
    assert.deepEqual(await groupPids(pgid), [], 'no process of the killed peer\'s group survives')
    const atKill = await p0.results(submitted.jobId, 1)
    assert.ok(atKill.job.committed < atKill.job.total, 'killed mid-job')

    await victim.start()
    const restartedMs = Date.now() - killedAt
    assert.equal((await victim.status()).self.id, victimId, 'the same identity from the same data dir')
    const rejoinMs = await waitFullMesh([p0, victim], 20_000).then(() => Date.now() - killedAt)
    t.diagnostic(`${victim.name} killed with ${atKill.job.committed}/${atKill.job.total} units committed; answering again ${restartedMs} ms after the kill; connected to p0 ${rejoinMs} ms after it`)

    const want = await reference(submitted)
    const boards = await Promise.all(peers.map(async p => await resultsViaCli(p, submitted.jobId, JOB_DONE_TIMEOUT_MS)))
    t.diagnostic(`job done on all three ${Date.now() - killedAt} ms after the kill`)
    await assertSameResult(peers, boards, want)
  })
})
