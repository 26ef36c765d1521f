import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createPeer, type Peer } from '../../src/node/peer.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { walkForwardResult } from '../../src/engine/walk-forward-result.js'
import { leaderboardOf } from '../../src/ledger/leaderboard.js'
import { windowOf } from '../../src/protocol/unit-layout.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import { MAX_DETAIL_POINTS } from '../../src/node/evaluators/messages.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import { comparable, referenceCheckpoints } from '../helpers/reference-run.js'
import { candlesCsv } from '../helpers/candles-csv.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))
const SECRET = 'walk-forward mesh secret'

const started: Peer[] = []
after(async () => { await Promise.all(started.map(async p => { await p.stop() })) })

async function startPeer (name: string, bootstrap: string[] = []): Promise<Peer> {
  const dir = await tempDir(`stratmesh-wf-${name}-`)
  const peer = await createPeer({ dataDir: dir.path, name, cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, mdns: false, secret: SECRET, leaseTtlMs: 5_000 })
  await peer.start()
  started.push(peer)
  return peer
}

test('a walk-forward job is equal on 1 and 3 peers: per-window winners and the stitched out-of-sample result, bit for bit', async t => {
  const dir = await tempDir()
  const csvPath = join(dir.path, 'candles.csv')
  await writeFile(csvPath, candlesCsv(syntheticCandles({ bars: 2400 })))
  const a = await startPeer('a')
  const addr = a.listenAddresses()[0]
  const b = await startPeer('b', [addr])
  const c = await startPeer('c', [addr])
  await waitFor(async () => (await a.status()).peers.filter(p => p.connected).length === 2, { message: 'a sees b and c', timeoutMs: 20_000 })

  // Windows that do not fit are refused before anything is published.
  await assert.rejects(b.submit({ strategyPath: STRATEGY, data: csvPath, walkForward: 'rolling', windows: 4, train: '0.5', test: '0.2' }), (err: unknown) => isStratmeshError(err, 'WALK_FORWARD_INVALID'))
  const submitted = await b.submit({ strategyPath: STRATEGY, data: csvPath, islands: 2, population: 8, generations: 2, epochs: 2, seed: 3, minTrades: 1, walkForward: 'rolling', windows: 3 })
  const spec = submitted.spec
  assert.equal(spec.walkForward?.windows.length, 3)

  // The single-machine run: every unit in this process, then the result from each window's winner.
  const candles = importCandles(await readFile(csvPath), 'candles.csv').candles
  const def = validateStrategyDefinition((await import(pathToFileURL(STRATEGY).href) as { default: unknown }).default, STRATEGY)
  const checkpoints = await referenceCheckpoints(spec, def, candles)
  const boards = [0, 1, 2].map(w => leaderboardOf(checkpoints.filter(cp => windowOf(spec, cp.island) === w), 1))
  assert.ok(boards.every(rows => rows.length === 1), 'every window has a winner')
  const want = walkForwardResult(def, createStrategyContext(candles), spec, boards.map(rows => ({ params: rows[0].params, fitness: rows[0].fitness })), MAX_DETAIL_POINTS)
  assert.notDeepEqual(want.windows[0].params, null)
  assert.ok(want.stitched.bars === spec.dataset.bars - (spec.walkForward?.windows[0].trainTo ?? 0), 'the test ranges cover the data after the first train range')

  for (const p of [a, b, c]) {
    await waitFor(async () => ((await p.results(submitted.jobId, 10)).walkForward?.result ?? null) !== null, { message: `walk-forward result on ${p.id.slice(-6)}`, timeoutMs: 120_000, intervalMs: 300 })
  }
  for (const p of [a, b, c]) {
    const r = await p.results(submitted.jobId, 10)
    const wf = r.walkForward
    assert.ok(wf !== undefined && wf.result !== null)
    assert.deepEqual(wf.windows.map(w => comparable(w.leader === null ? [] : [w.leader])), boards.map(comparable))
    assert.deepEqual(wf.result, want)
  }
  t.diagnostic(`stitched OOS: return ${want.stitched.totalReturn.toFixed(4)}, WFE ${String(want.efficiency)}, stability ${String(want.stability)}`)
})
