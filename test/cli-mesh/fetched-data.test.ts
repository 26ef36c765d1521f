/**
 * A dataset fetched by `peer data fetch` (from a replay of Binance's REST API on 127.0.0.1) feeds a
 * job: `peer submit --data <fetched.csv>` on a real peer is accepted and the job runs to the end.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { FetchSummary } from '../../src/node/data-fetch/index.js'
import { EXCHANGE_URL_ENV } from '../../src/node/data-fetch/index.js'
import type { SubmitResult } from '../../src/node/peer-types.js'
import { hourlyBars, startBinanceReplay } from '../helpers/binance-replay.js'
import { jsonOf, resultsViaCli, runCli, STRATEGY, submitArgs, withCliMesh } from '../helpers/cli-peer.js'
import { tempDir } from '../helpers/temp-dir.js'

const HOUR_MS = 3_600_000
const START = Date.UTC(2024, 0, 1)
const BARS = 1500
const SMALL_JOB = { islands: 2, epochs: 2, population: 12, generations: 3, seed: 5, minTrades: 1 }

test('a fetched dataset feeds a job: submit accepts the file and the job completes with a leaderboard', { timeout: 180_000 }, async t => {
  const dir = await tempDir('stratmesh-fetched-data-')
  const replay = await startBinanceReplay(hourlyBars(START, BARS, new Set([700, 701])))
  after(async () => { await replay.close() })
  const out = join(dir.path, 'binance-BTC-USDT-1h.csv')
  const fetched = jsonOf<FetchSummary>(await runCli(['data', 'fetch', 'binance', 'BTC/USDT', '1h', '--since', new Date(START).toISOString(), '--until', String(START + BARS * HOUR_MS), '--out', out, '--json'], 60_000, { [EXCHANGE_URL_ENV]: replay.url }), 'data fetch')
  assert.equal(fetched.bars, BARS - 2)

  await withCliMesh(t, async mesh => {
    const p = await mesh.add({ name: 'solo', cpus: 1 })
    const submitted = jsonOf<SubmitResult>(await p.cli(submitArgs({ strategyPath: STRATEGY, data: out, ...SMALL_JOB })), 'submit')
    assert.equal(submitted.dataset.bars, fetched.bars, 'the peer imported every fetched bar')
    assert.equal(submitted.dataset.gaps, 1, 'and sees the one gap the fetch reported')
    const board = await resultsViaCli(p, submitted.jobId, 90_000)
    assert.equal(board.done, true)
    assert.equal(board.stopped, undefined)
    assert.ok(board.leaderboard.length > 0, 'the job ranked genomes')
    assert.equal(board.job.committed, board.job.total)
  })
})
