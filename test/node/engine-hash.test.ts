/**
 * Peers built with different engine bundles: the job names its bundle by hash, every peer fetches
 * and runs that one, so they finish one job with one leaderboard. A peer whose runtime fingerprint
 * for a job's bundle differs from the submitter's declines the job and says why.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPeer, type Peer } from '../../src/node/peer.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import { sha256Hex } from '../../src/protocol/canonical.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { comparable, referenceLeaderboard } from '../helpers/reference-run.js'
import { candlesCsv } from '../helpers/candles-csv.js'
import { engineScript } from '../helpers/engine-script.js'
import { commentedEngine, engineOfUnstableFingerprint } from '../helpers/engine-variants.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))
const SECRET = 'engine hash test mesh secret'

const started: Peer[] = []
after(async () => { await Promise.all(started.map(async p => { await p.stop() })) })

interface Started { readonly peer: Peer, readonly log: string[] }

async function startPeer (name: string, bootstrap: string[], engine?: string): Promise<Started> {
  const dir = await tempDir(`stratmesh-engine-${name}-`)
  let engineBundleFileForTest: string | undefined
  if (engine !== undefined) {
    engineBundleFileForTest = join(dir.path, 'engine-bundle.js')
    await writeFile(engineBundleFileForTest, engine)
  }
  const log: string[] = []
  const peer = await createPeer({
    dataDir: join(dir.path, 'data'),
    name,
    cpus: 1,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    mdns: false,
    secret: SECRET,
    leaseTtlMs: 5_000,
    log: line => { log.push(line) },
    ...(engineBundleFileForTest === undefined ? {} : { engineBundleFileForTest }),
  })
  await peer.start()
  started.push(peer)
  return { peer, log }
}

async function candlesFile (bars: number): Promise<string> {
  const dir = await tempDir()
  const path = join(dir.path, 'candles.csv')
  await writeFile(path, candlesCsv(syntheticCandles({ bars })))
  return path
}

test('two peers built with different engine bundles finish one job with one leaderboard: the other peer fetched and ran the job\'s bundle', async () => {
  const csvPath = await candlesFile(3000)
  const a = await startPeer('a', [])
  const other = commentedEngine()
  const b = await startPeer('b', [a.peer.listenAddresses()[0]], other)
  await waitFor(async () => (await a.peer.status()).peers.some(p => p.connected && p.fingerprint !== null), { message: 'a sees b and its hello', timeoutMs: 20_000 })
  const [stA, stB] = [await a.peer.status(), await b.peer.status()]
  // Another bundle computing the same bits: one fingerprint, and nobody incompatible.
  assert.equal(stB.self.fingerprint, stA.self.fingerprint)
  assert.deepEqual(stA.peers.map(p => p.state).filter(s => s === 'incompatible'), [])

  const submitted = await b.peer.submit({ strategyPath: STRATEGY, data: csvPath, islands: 2, population: 8, generations: 2, epochs: 2, seed: 9, minTrades: 1 })
  assert.equal(submitted.spec.engine.hash, sha256Hex(other))
  assert.notEqual(submitted.spec.engine.hash, sha256Hex(engineScript()))
  assert.equal(submitted.spec.engine.fingerprint, stB.self.fingerprint)
  const want = await referenceLeaderboard(submitted.spec, STRATEGY, importCandles(await readFile(csvPath), 'candles.csv').candles, 10)
  assert.ok(want.length > 0)
  for (const p of [a.peer, b.peer]) {
    // Done, and its overfitting statistics computed: the rows carry them, and they too must agree.
    await waitFor(async () => (await p.results(submitted.jobId, 10)).statistics.ready, { message: `job done, statistics computed on ${p.id.slice(-6)}`, timeoutMs: 120_000, intervalMs: 200 })
  }
  const [ra, rb] = [await a.peer.results(submitted.jobId, 10), await b.peer.results(submitted.jobId, 10)]
  assert.deepEqual(comparable(ra.leaderboard), comparable(want))
  assert.deepEqual(ra.leaderboard, rb.leaderboard)
  assert.ok(a.log.some(l => l.startsWith(`fetching engine ${submitted.spec.engine.hash.slice(0, 12)}`)), 'a fetched the job\'s engine bundle by hash')
  const job = (await a.peer.status()).jobs.find(j => j.id === submitted.jobId)
  assert.equal(job?.runnable, true)
  assert.deepEqual((await a.peer.status()).conflicts, [])
})

test('a peer whose runtime fingerprint for a job\'s bundle differs from the submitter\'s declines the job, saying why in one line', async () => {
  const csvPath = await candlesFile(1000)
  const a = await startPeer('c', [])
  // Its fingerprint differs in every isolate: as if each machine computed other bits with it.
  const b = await startPeer('d', [a.peer.listenAddresses()[0]], engineOfUnstableFingerprint())
  await waitFor(async () => (await a.peer.status()).peers.some(p => p.connected), { message: 'c sees d', timeoutMs: 20_000 })
  // Long enough not to be done (a done job shows no reason) before the decline is seen.
  const submitted = await b.peer.submit({ strategyPath: STRATEGY, data: csvPath, islands: 1, population: 8, generations: 2, epochs: 50, seed: 3, minTrades: 1 })
  const view = await waitFor(async () => (await a.peer.status()).jobs.find(j => j.id === submitted.jobId && !j.runnable && (j.reason ?? '').startsWith('ENGINE_')),
    { message: 'c to decline the job', timeoutMs: 30_000, intervalMs: 100 })
  assert.match(view.reason ?? '', new RegExp(`^ENGINE_FINGERPRINT_MISMATCH: engine ${submitted.spec.engine.hash.slice(0, 12)} gives runtime fingerprint [0-9a-f]{12} here and ${submitted.spec.engine.fingerprint.slice(0, 12)} on the submitter's machine, so results would differ$`))
  // The submitter runs it alone; the decliner claims nothing of it.
  await waitFor(async () => (await b.peer.results(submitted.jobId, 10)).job.committed >= 2, { message: 'd to commit units', timeoutMs: 60_000, intervalMs: 200 })
  assert.ok(!a.log.some(l => l.includes('committed island') && l.includes(submitted.jobId.slice(0, 12))), 'c committed nothing of the job')
  assert.ok(!(await a.peer.status()).peers.some(p => p.state === 'incompatible'), 'd is a member like any: only this job is declined')
})
