/**
 * A 3-symbol job of a strategy with engine-managed stops (trend-stops) on real peers (evaluator processes, isolates, blobs fetched by hash, checks of
 * each other's commits): one peer alone and a mesh of three reach the same leaderboard, per-symbol
 * results included, bit for bit, and it is the one the job gives run in this process.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createPeer, type Peer } from '../../src/node/peer.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { leaderboardOf } from '../../src/ledger/leaderboard.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import type { LeaderboardRow } from '../../src/protocol/job-spec.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { referenceBasketCheckpoints } from '../helpers/reference-run.js'
import { candlesCsv } from '../helpers/candles-csv.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/trend-stops.ts', import.meta.url))

const started: Peer[] = []
after(async () => { await Promise.all(started.map(async p => { await p.stop() })) })

async function startPeer (name: string, secret: string, bootstrap: string[] = []): Promise<Peer> {
  const dir = await tempDir(`stratmesh-basket-${name}-`)
  const peer = await createPeer({ dataDir: dir.path, name, cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, mdns: false, secret, leaseTtlMs: 5_000 })
  await peer.start()
  started.push(peer)
  return peer
}

/** A row's numbers, without the peer that committed it (which differs between meshes by design). */
const unattributed = (rows: readonly LeaderboardRow[]): unknown[] => rows.map(r => ({ rank: r.rank, params: r.params, fitness: r.fitness, inSample: r.inSample, outOfSample: r.outOfSample, symbols: r.symbols, island: r.island, epoch: r.epoch }))

async function finished (p: Peer, jobId: string): Promise<readonly LeaderboardRow[]> {
  await waitFor(async () => (await p.results(jobId, 10)).done, { message: `job done on ${p.id.slice(-6)}`, timeoutMs: 150_000, intervalMs: 300 })
  return (await p.results(jobId, 10)).leaderboard
}

test('a 3-symbol job with stops gives the same leaderboard, per-symbol results included, on 1 peer, on 3 peers and in process', { timeout: 300_000 }, async t => {
  const dir = await tempDir()
  const files = [0, 1, 2].map(k => join(dir.path, `sym${k}.csv`))
  await Promise.all(files.map(async (f, k) => { await writeFile(f, candlesCsv(syntheticCandles({ bars: 12_000 + 1500 * k, seed: 31 + k }))) }))
  const req = { strategyPath: STRATEGY, data: files[0], basket: files, islands: 4, population: 12, generations: 2, epochs: 3, seed: 4, minTrades: 1 }

  const solo = await startPeer('solo', 'basket solo secret')
  // Refused by name, and nothing published: a file twice, a walk-forward over several symbols.
  await assert.rejects(solo.submit({ ...req, basket: [files[0], files[1], files[0]] }), (err: unknown) => isStratmeshError(err, 'BASKET_INVALID') && err.details?.option === '--data')
  await assert.rejects(solo.submit({ ...req, walkForward: 'rolling' }), (err: unknown) => isStratmeshError(err, 'BASKET_INVALID') && err.details?.option === '--walk-forward')
  await assert.rejects(solo.submit({ ...req, timeframe: '1h' }), (err: unknown) => isStratmeshError(err, 'BASKET_INVALID') && err.details?.option === '--timeframe')
  // The look-ahead check runs on a basket job's first symbol, at submit as in every unit.
  const peeking = fileURLToPath(new URL('../fixtures/strategies/peeks-next-close.ts', import.meta.url))
  await assert.rejects(solo.submit({ ...req, strategyPath: peeking }), (err: unknown) => isStratmeshError(err, 'STRATEGY_LOOKAHEAD'))
  const soloStart = Date.now()
  const submitted = await solo.submit(req)
  assert.deepEqual(submitted.spec.basket?.datasets.map(d => [d.name, d.bars]), [['sym0.csv', 12_000], ['sym1.csv', 13_500], ['sym2.csv', 15_000]])
  assert.equal(submitted.spec.basket?.aggregate, 'median')
  const alone = await finished(solo, submitted.jobId)
  t.diagnostic(`one peer: ${Date.now() - soloStart} ms`)

  const a = await startPeer('a', 'basket mesh secret')
  const addr = a.listenAddresses()[0]
  const b = await startPeer('b', 'basket mesh secret', [addr])
  const c = await startPeer('c', 'basket mesh secret', [addr])
  await waitFor(async () => (await a.status()).peers.filter(p => p.connected).length === 2, { message: 'a sees b and c', timeoutMs: 20_000 })
  const meshStart = Date.now()
  const again = await b.submit(req)
  assert.equal(again.jobId, submitted.jobId, 'the same files and settings are the same job')
  t.diagnostic(`submitted on b: ${Date.now() - meshStart} ms`)
  const boards = await Promise.all([a, b, c].map(async (p, k) => { const rows = await finished(p, again.jobId); t.diagnostic(`${'abc'[k]} done: ${Date.now() - meshStart} ms`); return rows }))
  t.diagnostic(`three peers: ${Date.now() - meshStart} ms`)

  const symbols = await Promise.all(files.map(async f => importCandles(await readFile(f), f).candles))
  const def = validateStrategyDefinition((await import(pathToFileURL(STRATEGY).href) as { default: unknown }).default, STRATEGY)
  const want = leaderboardOf(await referenceBasketCheckpoints(submitted.spec, def, symbols), 10)
  assert.ok(want.length >= 3 && want.every(r => r.symbols?.length === 3), 'rows with three symbols each')
  assert.ok(def.stops !== undefined && want.every(r => Object.keys(r.params).some(k => /stop|take|trail/i.test(k))), 'the strategy declares stops and the rows optimise them')
  assert.deepEqual(unattributed(alone), unattributed(want))
  for (const rows of boards) assert.deepEqual(unattributed(rows), unattributed(want))
  // Every peer checked the others' checkpoints, per-symbol results included, and found them right.
  const checks = await Promise.all([a, b, c].map(async p => (await p.status()).checks))
  for (const ch of checks) assert.deepEqual(ch.rejected, [], 'no commit was rejected')
  assert.ok(checks.reduce((n, ch) => n + ch.checked, 0) > 0 && checks.some(ch => ch.evaluations > 0), 'commits were checked by evaluating their genomes')
  const committers = new Set((await a.results(again.jobId, 10)).leaderboard.map(r => r.peer))
  t.diagnostic(`rows ${want.length}, best fitness ${want[0].fitness}, committed by ${committers.size} peer(s) on the mesh`)
})
