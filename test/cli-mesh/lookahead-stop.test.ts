/**
 * A job whose strategy looks ahead stops, with STRATEGY_LOOKAHEAD, on every peer, and no row of
 * it is ever ranked. The job is published as an old or hostile member would, without the submit
 * check: its blobs are put in both peers' stores and a member appends the job entry itself, then
 * commits a unit it computed without the look-ahead check. Two real peers must each stop the job
 * (their own units, or the checker, catch it), show that in `results` and `status`, never serve a
 * row of it, and still show it stopped right after a restart, before any unit of it could fail again.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createBlobStore } from '../../src/node/blobs/index.js'
import { ENGINE_BUNDLE_FILE } from '../../src/node/evaluators/engine-bundle.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { encodeDataset } from '../../src/engine/data/dataset-codec.js'
import { createJobSpec, jobId as jobIdOf } from '../../src/engine/job-setup.js'
import type { PeerStatus, ResultsView } from '../../src/node/peer-types.js'
import { honestFirstUnit, startDishonestMember } from '../helpers/dishonest-member.js'
import { CLI_SECRET, jsonOf, REPO_ROOT, withCliMesh, type CliPeer } from '../helpers/cli-peer.js'
import { waitFor } from '../helpers/wait-for.js'

const PEEKING = join(REPO_ROOT, 'test/fixtures/strategies/peeks-next-close.ts')
const BARS = 2000
/** Loading the job, one unit's generations and its check, on a shared 2-core box. */
const STOP_TIMEOUT_MS = 60_000

/** Puts the job's blobs in a peer's store (the peer reads blobs it has before asking the mesh). */
async function placeBlobs (p: CliPeer, blobs: readonly Uint8Array[]): Promise<string[]> {
  const store = createBlobStore({ dataDir: p.dataDir })
  return await Promise.all(blobs.map(async b => await store.put(b)))
}

/** Fails when a peer serves a row of the job, in its results or as a best fitness in its status. */
async function assertNoRow (p: CliPeer, jobId: string): Promise<{ results: ResultsView, status: PeerStatus }> {
  const results = await p.results(jobId, 10)
  assert.deepEqual(results.leaderboard, [], `${p.name} ranked a row of a job that looks ahead`)
  const status = await p.status()
  const job = status.jobs.find(j => j.id === jobId)
  if (job?.stopped !== undefined) assert.equal(job.bestFitness, null, `${p.name} shows a best fitness of a stopped job`)
  return { results, status }
}

test('a job whose strategy looks ahead, published without the submit check, stops on every peer with no row ranked, also after a restart', { timeout: 240_000 }, async t => {
  await withCliMesh(t, async mesh => {
    const p0 = await mesh.add({ name: 'p0' })
    const p1 = await mesh.add({ name: 'p1', bootstrap: [await p0.address()] })
    const peers = [p0, p1]
    const member = await startDishonestMember(CLI_SECRET)
    for (const p of peers) await member.dial(await p.address())

    const source = await readFile(PEEKING)
    const candles = syntheticCandles({ bars: BARS, seed: 5 })
    const engine = await readFile(join(REPO_ROOT, 'dist', ENGINE_BUNDLE_FILE))
    const [strategyHash, datasetHash, engineHash] = await placeBlobs(p0, [source, encodeDataset(candles), engine])
    await placeBlobs(p1, [source, encodeDataset(candles), engine])
    const fingerprint = (await p0.status()).self.fingerprint
    assert.ok(fingerprint !== null)
    const spec = createJobSpec({
      engine: { hash: engineHash, fingerprint },
      strategy: { hash: strategyHash, name: 'peeks-next-close' },
      dataset: { hash: datasetHash, name: 'peeking.csv', bars: BARS },
      minTrades: 1,
      seed: 7,
      ga: { islands: 2, population: 16, generations: 2, epochs: 2 },
    })
    const jobId = jobIdOf(spec)
    await member.logStore.append('job', { spec, id: jobId })
    // A unit computed without the check, committed: what a member that skips it publishes.
    await member.commit(await honestFirstUnit(spec, PEEKING, candles))

    // Every answer while the job runs and stops: no row, on either peer.
    let polls = 0
    await waitFor(async () => {
      const views = []
      for (const p of peers) {
        if (!(await p.status()).jobs.some(j => j.id === jobId)) return false
        views.push(await assertNoRow(p, jobId))
      }
      polls++
      return views.every(v => v.results.stopped !== undefined)
    }, { timeoutMs: STOP_TIMEOUT_MS, intervalMs: 200, message: 'both peers to stop the job' })
    assert.ok(polls > 0)

    for (const p of peers) {
      const results = jsonOf<ResultsView>(await p.cli(['results', jobId, '--json']), `${p.name} results`)
      assert.match(results.stopped ?? '', /^STRATEGY_LOOKAHEAD: genome \[\["period",\d+\]\] looks ahead: /, p.name)
      assert.deepEqual(results.leaderboard, [], p.name)
      const text = await p.cli(['results', jobId])
      assert.equal(text.code, 0, text.stderr)
      assert.match(text.stdout, /\nstopped: STRATEGY_LOOKAHEAD: .*\nNo row of a stopped job is ranked\.\n$/, `${p.name} results`)
      const job = jsonOf<PeerStatus>(await p.cli(['status', '--json']), `${p.name} status`).jobs.find(j => j.id === jobId)
      assert.ok(job !== undefined, p.name)
      assert.match(job.stopped ?? '', /^STRATEGY_LOOKAHEAD: /, `${p.name} status --json`)
      assert.equal(job.runnable, false, p.name)
      assert.equal(job.bestFitness, null, p.name)
      const status = await p.cli(['status'])
      assert.equal(status.code, 0, status.stderr)
      assert.match(status.stdout, /stopped \(STRATEGY_LOOKAHEAD: /, `${p.name} status`)
    }

    // A restart: the stop was kept, so the peer shows it at once, before any unit of the job could
    // fail again (it runs none: the job is not runnable here).
    const stop = await p1.cli(['stop'])
    assert.equal(stop.code, 0, stop.stderr)
    await p1.exited()
    const restartedAt = Date.now()
    await p1.start()
    const { results: again, status: statusAgain } = await assertNoRow(p1, jobId)
    assert.match(again.stopped ?? '', /^STRATEGY_LOOKAHEAD: genome /, 'stopped right after the restart')
    assert.match(statusAgain.jobs.find(j => j.id === jobId)?.stopped ?? '', /^STRATEGY_LOOKAHEAD: /)
    // Long enough for the scheduler to have claimed a unit had the job been runnable.
    await waitFor(async () => (await p1.status()).peers.some(q => q.connected), { timeoutMs: 20_000, intervalMs: 200, message: 'p1 to reconnect' })
    await assertNoRow(p1, jobId)
    const failed = p1.linesSince(restartedAt).filter(l => /failed: STRATEGY_LOOKAHEAD/.test(l.text))
    assert.deepEqual(failed, [], 'no unit of the stopped job ran after the restart')
  })
})
