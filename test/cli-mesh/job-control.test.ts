/**
 * Job control with peers run as the user runs them (`peer start` child processes on 127.0.0.1,
 * 3 s leases, real LevelDB): a cancel stops the job's units on every peer within one lease TTL
 * plus 5 s and leaves partial results; a cancel reaches a peer that slept through it, which then
 * stops the job's units, claims none and commits none; `peer jobs --json`; `peer forget` deletes a
 * finished job's blobs, which are not fetched again after a restart, and refuses a running job.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { access } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { ForgetResult, JobControlResult, JobListView, ResultsView, SubmitRequest, SubmitResult } from '../../src/node/peer-types.js'
import { connectToPeer } from '../../src/node/api/index.js'
import { jsonOf, STRATEGY, submitArgs, withCliMesh, writeCandlesCsv, type CliMesh, type CliPeer } from '../helpers/cli-peer.js'

/** Seconds: short, so the goal (a lease TTL plus 5 s) is tight. */
const LEASE_TTL_S = 3
const STOP_GOAL_MS = LEASE_TTL_S * 1000 + 5000
/** Units of several seconds each on a shared core, many of them: the job is far from done when cancelled. */
const LONG_JOB = { islands: 4, epochs: 10, population: 48, generations: 150, seed: 3, minTrades: 1 }
/** One small unit: done in a second or two. */
const SMALL_JOB = { islands: 1, epochs: 1, population: 8, generations: 2, seed: 5, minTrades: 1 }

const dir = await tempDir('stratmesh-cli-jobctl-')
const longCsv = await writeCandlesCsv(dir.path, 100_000, 'long.csv')
const smallCsv = await writeCandlesCsv(dir.path, 3_000, 'small.csv')

/** p1 first (p0 bootstraps to it, so p0 finds it again after a restart on a new port). */
async function twoPeers (mesh: CliMesh): Promise<[CliPeer, CliPeer]> {
  const p1 = await mesh.add({ name: 'p1', leaseTtl: LEASE_TTL_S })
  const p0 = await mesh.add({ name: 'p0', leaseTtl: LEASE_TTL_S, bootstrap: [await p1.address()] })
  await waitFor(async () => (await p0.status()).peers.some(p => p.connected && !p.self), { timeoutMs: 20_000, intervalMs: 100, message: 'p0 to connect to p1' })
  return [p0, p1]
}

async function submit (p: CliPeer, req: SubmitRequest): Promise<SubmitResult> {
  return jsonOf<SubmitResult>(await p.cli(submitArgs(req)), `${p.name} submit`)
}

async function committed (p: CliPeer, jobId: string): Promise<number> {
  return (await p.results(jobId, 1)).job.committed
}

function blobPath (p: CliPeer, hash: string): string {
  return join(p.dataDir, 'blobs', hash.slice(0, 2), hash)
}

async function exists (path: string): Promise<boolean> {
  return await access(path).then(() => true, () => false)
}

test('cancel stops the units on both peers within TTL + 5 s; results are partial; jobs --json; forget', { timeout: 240_000 }, async t => {
  await withCliMesh(t, async mesh => {
    const [p0, p1] = await twoPeers(mesh)
    const small = await submit(p0, { strategyPath: STRATEGY, data: smallCsv, ...SMALL_JOB })
    await waitFor(async () => (await p1.results(small.jobId, 1)).done && await exists(blobPath(p1, small.dataset.hash)), { timeoutMs: 60_000, intervalMs: 200, message: 'the small job done, and its dataset on p1' })

    const long = await submit(p0, { strategyPath: STRATEGY, data: longCsv, ...LONG_JOB })
    const refused = await p0.cli(['forget', long.jobId])
    assert.notEqual(refused.code, 0)
    assert.match(refused.stderr, /JOB_STILL_RUNNING/)
    await waitFor(async () => (await p0.status()).self.leases > 0 && (await p1.status()).self.leases > 0, { timeoutMs: 60_000, intervalMs: 100, message: 'both peers to run units of the long job' })

    // Any member cancels, by a prefix of the id; through the local API as `peer cancel` does, so
    // that no CLI start-up lies between the check that both peers are running and the cancel.
    const cancelStarted = Date.now()
    const cancel = await (await connectToPeer(p1.dataDir)).cancel(long.jobId.slice(0, 10))
    const cancelledAt = Date.now()
    assert.deepEqual([cancel.jobId, cancel.state, cancel.changed], [long.jobId, 'cancelled', true])
    await waitFor(async () => (await p0.status()).self.leases === 0 && (await p1.status()).self.leases === 0, { timeoutMs: 2 * STOP_GOAL_MS, intervalMs: 100, message: 'both peers to stop the cancelled job\'s units' })
    const stoppedAfter = Date.now() - cancelledAt
    assert.ok(stoppedAfter <= STOP_GOAL_MS, `stopped after ${stoppedAfter} ms`)
    t.diagnostic(`both peers stopped the cancelled job's units ${stoppedAfter} ms after the cancel (goal ${STOP_GOAL_MS} ms)`)
    // A peer may have committed its unit just before the cancel and waited for the ring's other
    // inputs; at least one was computing and says it stopped (or dropped its result).
    assert.ok([p0, p1].some(p => p.linesSince(cancelStarted).some(l => /of job \w+: the job was cancelled/.test(l.text))), 'a peer logs that it stopped a unit of the cancelled job')

    // Nothing of it is committed any more, anywhere.
    await new Promise(resolve => setTimeout(resolve, 500))
    const counted = await committed(p0, long.jobId)
    await new Promise(resolve => setTimeout(resolve, LEASE_TTL_S * 1000 + 1000))
    assert.equal(await committed(p0, long.jobId), counted)
    await waitFor(async () => await committed(p1, long.jobId) === counted, { timeoutMs: 10_000, intervalMs: 200, message: 'p1 to count what p0 counts' })
    for (const p of [p0, p1]) {
      for (const line of p.linesSince(cancelledAt + 1000)) assert.doesNotMatch(line.text, /^claimed unit /, `${p.name} claims no unit after the cancel`)
    }

    const results = jsonOf<ResultsView>(await p0.cli(['results', long.jobId, '--json']), 'p0 results')
    assert.equal(results.state, 'cancelled')
    assert.equal(results.partial, true)
    assert.ok(results.job.committed < results.job.total)
    assert.match((await p1.cli(['results', long.jobId])).stdout, new RegExp(`cancelled: partial results, ${counted} of ${results.job.total} units counted`))

    const again = jsonOf<JobControlResult>(await p0.cli(['cancel', long.jobId, '--json']), 'p0 cancel again')
    assert.equal(again.changed, false)
    const done = await p0.cli(['cancel', small.jobId])
    assert.notEqual(done.code, 0)
    assert.match(done.stderr, /JOB_ALREADY_DONE/)
    const unknown = await p0.cli(['cancel', 'abcdef0123'])
    assert.equal(unknown.code, 4)
    assert.match(unknown.stderr, /JOB_NOT_FOUND/)

    const list = jsonOf<JobListView>(await p1.cli(['jobs', '--json']), 'p1 jobs')
    const byId = new Map(list.jobs.map(j => [j.id, j]))
    assert.equal(list.jobs.length, 2)
    assert.deepEqual([byId.get(small.jobId)?.state, byId.get(small.jobId)?.committed, byId.get(small.jobId)?.total], ['done', 1, 1])
    assert.deepEqual([byId.get(long.jobId)?.state, byId.get(long.jobId)?.committed], ['cancelled', counted])
    for (const j of list.jobs) {
      assert.equal(j.submitterName, 'p0')
      assert.equal(j.priority, 0)
      assert.ok(j.ageMs >= 0 && j.ageMs < 240_000)
    }

    // Forget the small job on p0: its dataset goes (the strategy is the long job's too, and stays).
    const datasetBlob = blobPath(p0, small.dataset.hash)
    assert.ok(await exists(datasetBlob))
    const forgot = jsonOf<ForgetResult>(await p0.cli(['forget', small.jobId.slice(0, 12), '--json']), 'p0 forget')
    assert.equal(forgot.changed, true)
    assert.ok(forgot.deletedBlobs >= 1 && forgot.freedBytes > 0)
    assert.ok(forgot.keptBlobs >= 1, 'the strategy, which the long job needs, is kept')
    assert.equal(await exists(datasetBlob), false)
    assert.ok(await exists(blobPath(p0, small.strategy.hash)))
    const gone = await p0.cli(['results', small.jobId])
    assert.equal(gone.code, 4)
    assert.match(gone.stderr, /JOB_FORGOTTEN/)

    // After a restart, with p1 holding the blob and connected, it is not fetched again.
    const stop = await p0.cli(['stop'])
    assert.equal(stop.code, 0, stop.stderr)
    await p0.start()
    await waitFor(async () => (await p0.status()).peers.some(p => p.connected && !p.self), { timeoutMs: 20_000, intervalMs: 100, message: 'p0 to reconnect to p1' })
    await new Promise(resolve => setTimeout(resolve, 7000))
    assert.equal(await exists(datasetBlob), false, 'the forgotten job\'s dataset is not fetched again')
    const after = jsonOf<JobListView>(await p0.cli(['jobs', '--json']), 'p0 jobs after restart')
    assert.equal(after.jobs.find(j => j.id === small.jobId)?.forgotten, true)
    assert.match((await p0.cli(['results', small.jobId])).stderr, /JOB_FORGOTTEN/)
  })
})

test('a cancel while a peer sleeps: on waking it stops the job\'s units within TTL + 5 s, claims and commits none', { timeout: 180_000 }, async t => {
  await withCliMesh(t, async mesh => {
    const [p0, sleeper] = await twoPeers(mesh)
    const long = await submit(p0, { strategyPath: STRATEGY, data: longCsv, ...LONG_JOB, seed: 4 })
    await waitFor(async () => (await sleeper.status()).self.leases > 0 && await committed(p0, long.jobId) > 0, { timeoutMs: 60_000, intervalMs: 100, message: 'the sleeper to run a unit, after a first commit' })
    sleeper.signalGroup('SIGSTOP')
    const cancel = jsonOf<JobControlResult>(await p0.cli(['cancel', long.jobId, '--json']), 'p0 cancel')
    assert.equal(cancel.changed, true)
    await waitFor(async () => (await p0.status()).self.leases === 0, { timeoutMs: STOP_GOAL_MS, intervalMs: 100, message: 'p0 to stop its units' })
    // Asleep for two lease TTLs: its lease lapses while it cannot hear of the cancel.
    await new Promise(resolve => setTimeout(resolve, 2 * LEASE_TTL_S * 1000))
    const counted = await committed(p0, long.jobId)
    const wokeAt = Date.now()
    sleeper.signalGroup('SIGCONT')
    await waitFor(() => sleeper.linesSince(wokeAt).some(l => /of job \w+: the job was cancelled/.test(l.text)), { timeoutMs: 2 * STOP_GOAL_MS, intervalMs: 100, message: 'the sleeper to stop the cancelled job\'s unit' })
    const stoppedAfter = Date.now() - wokeAt
    assert.ok(stoppedAfter <= STOP_GOAL_MS, `stopped ${stoppedAfter} ms after waking`)
    t.diagnostic(`the sleeper stopped the cancelled job's unit ${stoppedAfter} ms after waking (goal ${STOP_GOAL_MS} ms)`)
    await waitFor(async () => (await sleeper.status()).self.leases === 0, { timeoutMs: 2000, intervalMs: 100, message: 'the sleeper to hold no lease' })
    await new Promise(resolve => setTimeout(resolve, LEASE_TTL_S * 1000 + 1000))
    const lines = sleeper.linesSince(wokeAt).map(l => l.text)
    assert.ok(!lines.some(l => l.startsWith('claimed unit ')), `the sleeper claims nothing after waking:\n${lines.join('\n')}`)
    assert.ok(!lines.some(l => l.startsWith('committed island ')), 'the sleeper commits nothing of the cancelled job')
    assert.equal(await committed(p0, long.jobId), counted, 'p0 counts no new unit of the job')
    await waitFor(async () => await committed(sleeper, long.jobId) === counted, { timeoutMs: 10_000, intervalMs: 200, message: 'the sleeper to count what p0 counts' })
    const results = jsonOf<ResultsView>(await sleeper.cli(['results', long.jobId, '--json']), 'sleeper results')
    assert.deepEqual([results.state, results.partial], ['cancelled', true])
  })
})
