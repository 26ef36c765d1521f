/**
 * Peers as the user runs them (`peer start` child processes on 127.0.0.1): three peers finish a
 * job and every one shows the leaderboard a single peer computes alone; then, while they work on a
 * second job, each of the three ways to stop a peer (`peer stop`, SIGTERM, Ctrl-C's SIGINT to the
 * whole process group) ends the peer and every evaluator it started.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { DEFAULT_LEASE_TTL_MS } from '../../src/node/work/scheduler.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { comparable } from '../helpers/reference-run.js'
import { agreedResults } from '../helpers/agreed-results.js'
import type { LeaderboardRow } from '../../src/protocol/job-spec.js'
import type { PeerStatus, ResultsView, SubmitResult } from '../../src/node/peer-types.js'
import type { SubmitRequest } from '../../src/node/peer-types.js'
import { groupPids, jsonOf, livePids, resultsViaCli, singleMachineLeaderboard, STRATEGY, submitArgs, withCliMesh, writeCandlesCsv, type CliPeer } from '../helpers/cli-peer.js'

/** 3 islands x 4 epochs = 12 units of a fraction of a second each: the whole job takes seconds. */
const SMALL_JOB = { islands: 3, epochs: 4, population: 24, generations: 10, seed: 7, minTrades: 1 }
const SMALL_BARS = 20_000
/** A second job, far longer than the test lets it run: the peers are stopped while they work on it. */
const BUSY_JOB = { seed: 8, epochs: 30, population: 48, generations: 20 }

/** Bound on `peer results --wait` for the small job. */
const JOB_DONE_TIMEOUT_MS = 60_000

/** The peer's results of a complete job once its overfitting statistics are computed (bounded). */
async function withStatistics (p: CliPeer, jobId: string): Promise<ResultsView> {
  return await waitFor(async () => {
    const r = await resultsViaCli(p, jobId)
    return r.statistics.ready ? r : undefined
  }, { timeoutMs: JOB_DONE_TIMEOUT_MS, intervalMs: 250, message: `${p.name} to compute the job's statistics` })
}

/** PIDs of the peer's group while it runs: the peer, its evaluators and their reaper. */
async function runningGroup (p: CliPeer): Promise<number[]> {
  const pid = p.pid
  assert.ok(pid !== undefined, `${p.name} runs`)
  const pids = await groupPids(pid)
  // One evaluator (--cpus 1) and the reaper besides the peer itself.
  assert.ok(pids.length >= 3 && pids.includes(pid), `${p.name}'s group holds the peer and its children: ${pids.join(' ')}`)
  return pids
}

test('three CLI peers finish a job; each `peer results --json` shows the leaderboard of the same job on one peer', { timeout: 120_000 }, async t => {
  const dir = await tempDir('stratmesh-cli-job-')
  const csv = await writeCandlesCsv(dir.path, SMALL_BARS)
  const request: SubmitRequest = { strategyPath: STRATEGY, data: csv, ...SMALL_JOB }

  let alone: ResultsView | undefined
  let engineRun: Promise<LeaderboardRow[]> | undefined
  await withCliMesh(t, async mesh => {
    const solo = await mesh.add({ name: 'solo', secret: 'a mesh of one for the reference run' })
    const start = Date.now()
    const submitted = jsonOf<SubmitResult>(await solo.cli(submitArgs(request)), 'solo submit')
    engineRun = singleMachineLeaderboard(submitted.spec, csv)
    await resultsViaCli(solo, submitted.jobId, JOB_DONE_TIMEOUT_MS)
    t.diagnostic(`one peer: ${submitted.spec.ga.islands * submitted.spec.ga.epochs} units in ${Date.now() - start} ms`)
    alone = await withStatistics(solo, submitted.jobId)
  })
  assert.ok(alone !== undefined && alone.done && alone.leaderboard.length > 0)

  await withCliMesh(t, async mesh => {
    const p0 = await mesh.add({ name: 'p0' })
    const addr = await p0.address()
    const [p1, p2] = await Promise.all([mesh.add({ name: 'p1', bootstrap: [addr] }), mesh.add({ name: 'p2', bootstrap: [addr] })])
    const peers = [p0, p1, p2]
    const ids = await Promise.all(peers.map(async p => (await p.status()).self.id))
    // Both bootstrapped to p0: p0 sees both (whether p1 and p2 also meet directly is up to discovery).
    await waitFor(async () => (await p0.status()).peers.filter(p => p.connected).length === 2, { timeoutMs: 20_000, intervalMs: 100, message: 'p0 to see p1 and p2' })

    const start = Date.now()
    // Submitted on p2, not on the bootstrap peer: the job and its blobs travel from a leaf.
    const submitted = jsonOf<SubmitResult>(await p2.cli(submitArgs(request)), 'p2 submit')
    assert.equal(submitted.jobId, alone?.job.id, 'the same job (same strategy, data, settings) has the same id')
    await Promise.all(peers.map(async p => await resultsViaCli(p, submitted.jobId, JOB_DONE_TIMEOUT_MS)))
    t.diagnostic(`three peers: ${submitted.spec.ga.islands * submitted.spec.ga.epochs} units done on all in ${Date.now() - start} ms`)
    await Promise.all(peers.map(async p => await withStatistics(p, submitted.jobId)))
    const boards = await agreedResults(peers, async p => await resultsViaCli(p, submitted.jobId))

    const statuses = await Promise.all(peers.map(async p => jsonOf<PeerStatus>(await p.cli(['status', '--json']), `${p.name} status`)))
    const committers = new Set(boards[0].leaderboard.map(r => r.peer ?? '?'))
    for (const [i, r] of boards.entries()) {
      const name = peers[i].name
      assert.equal(r.done, true, name)
      assert.equal(r.job.committed, r.job.total, `${name} counts every unit once`)
      assert.deepEqual(r.leaderboard, boards[0].leaderboard, `${name} shows p0's leaderboard, row for row`)
      assert.deepEqual(comparable(r.leaderboard), comparable(alone?.leaderboard ?? []), `${name} shows the one-peer leaderboard`)
      // Each peer computed the overfitting statistics itself, from the checkpoints of three peers: the one peer's bits.
      assert.deepEqual(r.statistics, alone?.statistics, `${name} computes the one-peer statistics`)
      assert.deepEqual(r.leaderboard.map(x => [x.dsr, x.plateau, x.overfit]), alone?.leaderboard.map(x => [x.dsr, x.plateau, x.overfit]), `${name}'s rows carry the one-peer DSR and plateau`)
      assert.deepEqual(statuses[i].conflicts, [], `${name} sees no conflicting checkpoints`)
      const job = statuses[i].jobs.find(j => j.id === submitted.jobId)
      assert.ok(job !== undefined && job.done && job.committed === job.total, `${name}'s status shows the job complete`)
    }
    // And the one peer matches the engine run unit by unit without any peer.
    assert.deepEqual(comparable(alone?.leaderboard ?? []), comparable(await engineRun ?? []), 'the one-peer leaderboard is the engine\'s')
    t.diagnostic(`leaderboard rows committed by ${[...committers].map(c => peers[ids.indexOf(c)]?.name ?? c.slice(-6)).join(', ')}`)

    // Three ways to stop, each while the peer works (a second, longer job keeps every evaluator
    // busy): SIGTERM to a peer, Ctrl-C (SIGINT to the whole group), the command. The leaves go
    // first: they reach each other only through p0 (see the diagnostic below).
    const second = jsonOf<SubmitResult>(await p0.cli(submitArgs({ ...request, ...BUSY_JOB })), 'p0 submit of a second job')
    const leaders = peers.map(p => p.pid as number)
    const groups = await Promise.all(peers.map(runningGroup))
    const leafLinks = (await p1.status()).peers.filter(p => p.connected).map(p => peers[ids.indexOf(p.id)]?.name ?? p.id)
    t.diagnostic(`p1 is connected to ${leafLinks.join(', ')} (bootstrap addresses only, no mDNS)`)
    // Each signalled while it runs a unit (the job's ring makes a peer wait for its inputs at times).
    const working = async (p: CliPeer): Promise<void> => { await waitFor(async () => (await p.status()).self.leases > 0, { timeoutMs: 20_000, intervalMs: 25, message: `${p.name} to run a unit` }) }
    const p1Leases = async (): Promise<number> => (await p0.status()).peers.find(p => p.id === ids[1])?.leases ?? 0
    await working(p1)
    await waitFor(async () => await p1Leases() > 0, { timeoutMs: 20_000, intervalMs: 25, message: 'p0 to see a lease of p1' })
    p1.signal('SIGTERM')
    const stoppedAt = Date.now()
    // It gives its leases back on the way out (released, or committed if the unit ended first):
    // the others need not wait out the lease TTL.
    await waitFor(async () => await p1Leases() === 0, { timeoutMs: 5_000, intervalMs: 25, message: 'p0 to see p1\'s leases given back' })
    const how = p1.linesSince(stoppedAt).some(l => l.text.startsWith('committed ')) ? 'its unit was committed first' : 'released'
    t.diagnostic(`p0 saw p1's leases given back ${Date.now() - stoppedAt} ms after its SIGTERM (${how}; lease TTL ${DEFAULT_LEASE_TTL_MS} ms)`)
    await working(p2)
    p2.signalGroup('SIGINT')
    await working(p0)
    const progress = await p0.results(second.jobId, 1)
    assert.ok(progress.job.committed < progress.job.total, 'stopped mid-job')
    const stopRun = await p0.cli(['stop'])
    assert.equal(stopRun.code, 0, stopRun.stderr)
    assert.match(stopRun.stderr, /^peer stopped \(pid \d+\)$/m)
    const ways = ['peer stop', 'SIGTERM', 'SIGINT to the group']
    const left = await Promise.all([p0, p1, p2].map(async p => await p.exited()))
    for (const [i, end] of left.entries()) {
      assert.deepEqual(end, { code: 0, signal: null }, `${peers[i].name} (${ways[i]}) exits 0`)
      assert.match(peers[i].log(), /peer stopped\n/, `${peers[i].name} (${ways[i]}) stopped gracefully`)
      // Every pid of its group, evaluators included, is gone: nothing burns a core after "stop".
      assert.deepEqual(await groupPids(leaders[i]), [], `${peers[i].name} (${ways[i]}): no process is left in its group`)
      assert.deepEqual(await livePids(groups[i]), [], `${peers[i].name} (${ways[i]}): every pid it ran is gone`)
    }
  })
})
