import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createPeer, type Peer } from '../../src/node/peer.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { comparable, referenceLeaderboard } from '../helpers/reference-run.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import { candlesCsv } from '../helpers/candles-csv.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))
const SECRET = 'peer test mesh secret'

const started: Peer[] = []
after(async () => { await Promise.all(started.map(async p => { await p.stop() })) })

async function startPeer (name: string, bootstrap: string[] = [], secret = SECRET): Promise<Peer> {
  const dir = await tempDir(`stratmesh-peer-${name}-`)
  const peer = await createPeer({ dataDir: dir.path, name, cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, mdns: false, secret, leaseTtlMs: 5_000 })
  await peer.start()
  started.push(peer)
  return peer
}

test('three peers finish a job together and each shows the leaderboard of a single-machine run', async t => {
  const dir = await tempDir()
  const csvPath = join(dir.path, 'candles.csv')
  await writeFile(csvPath, candlesCsv(syntheticCandles({ bars: 4000 })))
  const a = await startPeer('a')
  const addr = a.listenAddresses()[0]
  const b = await startPeer('b', [addr])
  const c = await startPeer('c', [addr])
  await waitFor(async () => (await a.status()).peers.filter(p => p.connected).length === 2, { message: 'a sees b and c', timeoutMs: 20_000 })

  const submitted = await b.submit({ strategyPath: STRATEGY, data: csvPath, islands: 3, population: 8, generations: 2, epochs: 3, seed: 42, minTrades: 1 })
  const want = await referenceLeaderboard(submitted.spec, STRATEGY, importCandles(await readFile(csvPath), 'candles.csv').candles, 10)
  assert.ok(want.length > 0)

  for (const p of [a, b, c]) {
    await waitFor(async () => (await p.results(submitted.jobId, 10)).done, { message: `job done on ${p.id.slice(-6)}`, timeoutMs: 90_000, intervalMs: 200 })
  }
  for (const p of [a, b, c]) {
    const r = await p.results(submitted.jobId, 10)
    assert.deepEqual(comparable(r.leaderboard), comparable(want))
  }
  const st = await a.status()
  assert.equal(st.jobs[0].committed, 9)
  assert.deepEqual(st.conflicts, [])
  // Each peer checked the others' commits and found them right; the cost is a few evaluations per unit.
  for (const p of [a, b, c]) {
    const { checks } = await p.status()
    assert.deepEqual([checks.rejected, checks.pending], [[], 0], `${p.id.slice(-6)}: nothing rejected or left to check`)
    assert.ok(checks.checked > 0, `${p.id.slice(-6)}: it checked remote commits`)
    t.diagnostic(`${p.id.slice(-6)}: ${checks.checked} checkpoints known right, ${checks.evaluations} evaluations spent on checks`)
  }
})

test('a peer with the wrong secret is not admitted', async () => {
  const a = await startPeer('w1')
  const bad = await startPeer('w2', [a.listenAddresses()[0]], 'a completely different secret')
  await new Promise(resolve => setTimeout(resolve, 1500))
  assert.equal((await a.status()).peers.filter(p => p.connected).length, 0)
  assert.equal((await bad.status()).peers.filter(p => p.connected).length, 0)
})

test('an unknown job id is JOB_NOT_FOUND; a missing strategy file is STRATEGY_NOT_FOUND', async () => {
  const a = await startPeer('e')
  await assert.rejects(a.results('deadbeefdeadbeef', 5), (err: unknown) => isStratmeshError(err, 'JOB_NOT_FOUND'))
  await assert.rejects(a.submit({ strategyPath: '/nonexistent/s.ts', data: 'default' }), (err: unknown) => isStratmeshError(err, 'STRATEGY_NOT_FOUND'))
})
