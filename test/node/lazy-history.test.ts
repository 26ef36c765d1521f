import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPeer, type Peer } from '../../src/node/peer.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { comparable } from '../helpers/reference-run.js'
import { candlesCsv } from '../helpers/candles-csv.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))
const SECRET = 'lazy history test mesh secret'
/** Two pull rounds and then some: long enough for a peer that fetches eagerly to have started. */
const SETTLE_MS = 12_000

const started: Peer[] = []
after(async () => { await Promise.all(started.map(async p => { await p.stop() })) })

async function startPeer (name: string, dataDir: string, bootstrap: string[] = []): Promise<Peer> {
  const peer = await createPeer({ dataDir, name, cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, mdns: false, secret: SECRET, leaseTtlMs: 5_000 })
  await peer.start()
  started.push(peer)
  return peer
}

/** Blob hashes on disk under a data dir (the blob store keeps them in two-letter folders). */
async function blobsOn (dataDir: string): Promise<Set<string>> {
  const root = join(dataDir, 'blobs')
  const out = new Set<string>()
  for (const dir of await readdir(root).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{2}$/.test(dir)) continue
    for (const f of await readdir(join(root, dir))) if (/^[0-9a-f]{64}$/.test(f)) out.add(f)
  }
  return out
}

test('a peer joining a mesh with finished jobs fetches and checks none of them until asked for one, then shows its leaderboard', async t => {
  const dirA = await tempDir('stratmesh-lazy-a-')
  const dirB = await tempDir('stratmesh-lazy-b-')
  const a = await startPeer('a', dirA.path)
  const jobs = []
  for (const seed of [1, 2]) {
    // Each job on its own data, so each has its own dataset blob.
    const csv = join(dirA.path, `candles-${seed}.csv`)
    await writeFile(csv, candlesCsv(syntheticCandles({ bars: 1500, seed })))
    jobs.push(await a.submit({ strategyPath: STRATEGY, data: csv, islands: 2, population: 6, generations: 1, epochs: 2, seed, minTrades: 1 }))
  }
  for (const j of jobs) await waitFor(async () => (await a.results(j.jobId, 10)).done, { message: `job ${j.jobId.slice(0, 8)} done on a`, timeoutMs: 90_000, intervalMs: 200 })
  const units = 2 * 2 * jobs.length

  const b = await startPeer('b', dirB.path, [a.listenAddresses()[0]])
  await waitFor(async () => (await b.status()).checks.dormant === units, { message: 'b has every commit of the finished jobs, left unchecked', timeoutMs: 30_000, intervalMs: 200 })
  await new Promise(resolve => setTimeout(resolve, SETTLE_MS))
  const idle = await b.status()
  assert.equal(idle.checks.dormant, units, 'still nothing checked')
  assert.equal(idle.checks.evaluations, 0, 'no evaluation spent on checks')
  const jobBlobs = jobs.flatMap(j => [j.dataset.hash, j.strategy.hash])
  const fetched = await blobsOn(dirB.path)
  assert.deepEqual(jobBlobs.filter(h => fetched.has(h)), [], 'no blob of a finished job fetched')

  const [asked, other] = jobs
  await waitFor(async () => (await b.results(asked.jobId, 10)).done, { message: 'the job b was asked for is checked', timeoutMs: 90_000, intervalMs: 250 })
  const want = await a.results(asked.jobId, 10)
  const got = await b.results(asked.jobId, 10)
  assert.ok(want.leaderboard.length > 0)
  assert.deepEqual(comparable(got.leaderboard), comparable(want.leaderboard))
  const after = await b.status()
  assert.ok(after.checks.evaluations > 0, 'b checked the commits of the job it was asked for')
  assert.equal(after.checks.dormant, units / 2, 'the other job is still left alone')
  const now = await blobsOn(dirB.path)
  assert.ok(now.has(asked.dataset.hash), 'the asked job\'s dataset was fetched')
  assert.ok(!now.has(other.dataset.hash), 'the other job\'s dataset was not')
  t.diagnostic(`b spent ${after.checks.evaluations} evaluations checking ${units / 2} units of the job it was asked for`)
})

test('a finished job asked for stays awake across a restart: its commits are checked without a second request', async () => {
  const dirA = await tempDir('stratmesh-lazy-a-')
  const dirB = await tempDir('stratmesh-lazy-b-')
  const a = await startPeer('a', dirA.path)
  const csv = join(dirA.path, 'candles.csv')
  await writeFile(csv, candlesCsv(syntheticCandles({ bars: 1500, seed: 3 })))
  const job = await a.submit({ strategyPath: STRATEGY, data: csv, islands: 2, population: 6, generations: 1, epochs: 2, seed: 3, minTrades: 1 })
  await waitFor(async () => (await a.results(job.jobId, 10)).done, { message: 'the job done on a', timeoutMs: 90_000, intervalMs: 200 })
  const units = 2 * 2
  const b = await startPeer('b', dirB.path, [a.listenAddresses()[0]])
  await waitFor(async () => (await b.status()).checks.dormant === units, { message: 'b has every commit of the finished job, left unchecked', timeoutMs: 30_000, intervalMs: 200 })

  // With a gone, b cannot fetch the job's inputs: asking wakes the job but nothing gets checked before b stops.
  await a.stop()
  await b.results(job.jobId, 10)
  assert.equal((await b.status()).checks.dormant, 0, 'asking woke the job')
  await b.stop()

  const a2 = await startPeer('a', dirA.path)
  const b2 = await startPeer('b', dirB.path, [a2.listenAddresses()[0]])
  const restarted = await b2.status()
  assert.equal(restarted.checks.dormant, 0, 'the job is still awake after the restart')
  assert.equal(restarted.checks.evaluations, 0)
  await waitFor(async () => {
    const c = (await b2.status()).checks
    return c.evaluations > 0 && c.pending === 0 && c.dormant === 0
  }, { message: 'b checked the asked job\'s commits after the restart, unasked', timeoutMs: 90_000, intervalMs: 250 })
  assert.ok((await blobsOn(dirB.path)).has(job.dataset.hash), 'and fetched its dataset to do so')
})
