/**
 * `peer backtest` against a real peer process: a parameter set on a CSV gives the metrics of the
 * engine run in this process (and CSV files of every trade and every bar); a leaderboard row run
 * up to the job's split, and from it, gives the row's in-sample and out-of-sample metrics bit for
 * bit; bad input ends as one line naming the problem; and none of it publishes anything.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { barsPerYear } from '../../src/engine/backtest.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import { evaluateGenome } from '../../src/engine/evaluate.js'
import { splitIndex } from '../../src/engine/job-setup.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { loadOrCreateIdentity } from '../../src/node/mesh/index.js'
import { createLogStore } from '../../src/node/replication/index.js'
import { EXIT_JOB_NOT_FOUND, EXIT_USAGE } from '../../src/node/cli/errors.js'
import type { BacktestResult, SubmitResult } from '../../src/node/peer-types.js'
import { tempDir } from '../helpers/temp-dir.js'
import { jsonOf, REPO_ROOT, resultsViaCli, STRATEGY, submitArgs, withCliMesh, writeCandlesCsv, type CliPeer, type CliRun } from '../helpers/cli-peer.js'

const BARS = 6000
const SMALL_JOB = { islands: 2, epochs: 2, population: 16, generations: 4, seed: 3, minTrades: 1 }
const PARAMS = { fast: 10, slow: 50 }

/** Every stored entry of the peer's ledger (type, author, seq), read with the peer stopped. */
async function ledgerEntries (dataDir: string): Promise<string[]> {
  const { privateKey } = await loadOrCreateIdentity(dataDir)
  const store = createLogStore({ dataDir, privateKey })
  await store.start()
  try {
    const out: string[] = []
    for (const [author, head] of Object.entries(await store.heads())) {
      for (let seq = 1; seq <= head; seq++) out.push(`${(await store.get(author, seq))?.type ?? '?'} ${author.slice(-6)} ${seq}`)
    }
    return out
  } finally {
    await store.stop()
  }
}

async function stopPeer (p: CliPeer): Promise<void> {
  const r = await p.cli(['stop'])
  assert.equal(r.code, 0, r.stderr)
  await p.exited()
}

function assertRefused (r: CliRun, exit: number, code: string, names: RegExp, what: string): void {
  assert.equal(r.code, exit, `${what}: exit ${exit}, got ${r.code}: ${r.stderr}`)
  assert.equal(r.stdout, '', `${what}: nothing on stdout`)
  // The last line: a slow run may have shown progress lines before it.
  assert.match(r.stderr.trim().split('\n').at(-1) ?? '', new RegExp(`^peer: ${code}: `), what)
  assert.match(r.stderr, names, `${what}: names the problem`)
}

test('peer backtest: metrics of the engine, a leaderboard row reproduced, bad input refused, nothing published', { timeout: 180_000 }, async t => {
  const dir = await tempDir('stratmesh-cli-backtest-')
  const csv = await writeCandlesCsv(dir.path, BARS)
  const candles = importCandles(await readFile(csv), csv).candles
  const def = validateStrategyDefinition((await import(pathToFileURL(STRATEGY).href) as { default: unknown }).default, STRATEGY)
  const ctx = createStrategyContext(candles)
  const iso = (bar: number): string => new Date(candles.time[bar]).toISOString()

  await withCliMesh(t, async mesh => {
    const p = await mesh.add({ name: 'solo', cpus: 1 })
    const submitted = jsonOf<SubmitResult>(await p.cli(submitArgs({ strategyPath: STRATEGY, data: csv, ...SMALL_JOB })), 'submit')
    const board = await resultsViaCli(p, submitted.jobId, 60_000)
    await stopPeer(p)
    const before = await ledgerEntries(p.dataDir)
    const blobsBefore = await readdir(join(p.dataDir, 'blobs'), { recursive: true })
    await p.start()

    await t.test('--strategy --params --data on a range: the in-process engine\'s metrics, a CSV row per trade and per bar', async () => {
      const trades = join(dir.path, 'trades.csv')
      const equity = join(dir.path, 'equity.csv')
      const r = jsonOf<BacktestResult>(await p.cli(['backtest', '--strategy', STRATEGY, '--params', JSON.stringify(PARAMS), '--data', csv,
        '--from', iso(1000), '--to', iso(4000), '--trades', trades, '--equity', equity, '--json']), 'backtest')
      const setup = { costs: { fee: 0.001, slippage: 0.0005 }, objective: 'sharpe' as const, minTrades: 10, from: 1000, split: 4000, to: 4000, barsPerYear: barsPerYear(candles.time) }
      const expected = evaluateGenome(def, ctx, PARAMS, setup)
      assert.deepEqual(r.metrics, expected.inSample)
      assert.deepEqual(r.range, { from: 1000, to: 4000, bars: 3000, firstTime: iso(1000), lastTime: iso(3999) })
      assert.ok(r.metrics.trades > 0, 'the parameter set trades in the range')
      assert.equal(r.trades, r.metrics.trades)
      assert.equal(r.dataset.hash, submitted.dataset.hash, 'the dataset hash is the one submit gives the same file')
      const tradeRows = (await readFile(trades, 'utf8')).trimEnd().split('\n')
      assert.equal(tradeRows[0], 'entry_time,exit_time,side,return,open')
      assert.equal(tradeRows.length - 1, r.metrics.trades)
      const equityRows = (await readFile(equity, 'utf8')).trimEnd().split('\n')
      assert.equal(equityRows.length - 1, 3000, 'one row per bar of the range')
      assert.equal(equityRows[1].split(',')[0], iso(1000))
      assert.equal(Number(equityRows.at(-1)?.split(',')[1]), 1 + r.metrics.totalReturn)
    })

    await t.test('--job --rank 1 up to the split and from it: the row\'s in-sample and out-of-sample metrics', async () => {
      const row = board.leaderboard[0]
      const split = splitIndex(submitted.spec, BARS)
      const is = jsonOf<BacktestResult>(await p.cli(['backtest', '--job', submitted.jobId, '--rank', '1', '--to', iso(split), '--json']), 'backtest in sample')
      assert.deepEqual(is.metrics, row.inSample)
      assert.equal(is.fitness, row.fitness)
      assert.deepEqual(is.params, row.params)
      const oos = jsonOf<BacktestResult>(await p.cli(['backtest', '--job', submitted.jobId.slice(0, 12), '--from', iso(split), '--json']), 'backtest out of sample')
      assert.deepEqual(oos.metrics, row.outOfSample)
      assert.deepEqual(oos.job, { id: submitted.jobId, rank: 1 })
      const text = await p.cli(['backtest', '--job', submitted.jobId, '--from', iso(split)])
      assert.equal(text.code, 0, text.stderr)
      assert.match(text.stdout, new RegExp(`^trades +${row.outOfSample?.trades ?? -1}$`, 'm'))
    })

    await t.test('bad input: one line naming the problem, a non-zero exit', async () => {
      const other = join(dir.path, 'other.ts')
      await writeFile(other, (await readFile(join(REPO_ROOT, 'strategies', 'rsi-reversion.ts'), 'utf8')))
      const run = async (...args: string[]): Promise<CliRun> => await p.cli(['backtest', ...args])
      const withParams = async (params: unknown): Promise<CliRun> => await run('--strategy', STRATEGY, '--data', csv, '--params', JSON.stringify(params))
      assertRefused(await withParams({ ...PARAMS, foo: 1 }), EXIT_USAGE, 'BACKTEST_BAD_PARAMS', /unknown parameter "foo"/, 'unknown parameter')
      assertRefused(await withParams({ fast: 10 }), EXIT_USAGE, 'BACKTEST_BAD_PARAMS', /"slow" is missing/, 'missing parameter')
      assertRefused(await withParams({ fast: 1000, slow: 50 }), EXIT_USAGE, 'BACKTEST_BAD_PARAMS', /"fast" is outside \[5, 100\]/, 'value outside the space')
      assertRefused(await withParams({ fast: 60, slow: 50 }), EXIT_USAGE, 'BACKTEST_CONSTRAINT_BROKEN', /fast must be below slow/, 'broken constraint')
      assertRefused(await run('--strategy', STRATEGY, '--params', '{"fast":10', '--data', csv), EXIT_USAGE, 'OPTION_INVALID', /--params must be a JSON object/, 'params not JSON')
      assertRefused(await run('--strategy', STRATEGY, '--params-file', join(dir.path, 'none.json')), EXIT_USAGE, 'PARAMS_FILE_UNREADABLE', /none\.json: no such file/, 'missing params file')
      assertRefused(await run('--strategy', STRATEGY, '--params', JSON.stringify(PARAMS), '--data', join(dir.path, 'none.csv')), EXIT_USAGE, 'DATA_NOT_FOUND', /none\.csv/, 'missing data file')
      assertRefused(await run('--strategy', join(dir.path, 'none.ts'), '--params', JSON.stringify(PARAMS)), EXIT_USAGE, 'STRATEGY_NOT_FOUND', /none\.ts/, 'missing strategy file')
      assertRefused(await run('--job', 'deadbeefdeadbeef'), EXIT_JOB_NOT_FOUND, 'JOB_NOT_FOUND', /deadbeefdeadbeef/, 'unknown job')
      assertRefused(await run('--job', submitted.jobId, '--rank', '999'), EXIT_USAGE, 'BACKTEST_RANK_NOT_FOUND', /--rank 999: job \w+ has \d+ leaderboard rows/, 'rank beyond the leaderboard')
      assertRefused(await run('--job', submitted.jobId, '--strategy', other), EXIT_USAGE, 'BACKTEST_STRATEGY_MISMATCH', /--strategy .*other\.ts is not the strategy of job/, 'another strategy with --job')
      assertRefused(await run('--job', submitted.jobId, '--from', iso(3000), '--to', iso(2000)), EXIT_USAGE, 'OPTION_INVALID', /--to must be after --from/, '--from after --to')
      assertRefused(await run('--job', submitted.jobId, '--from', iso(BARS - 1)), EXIT_USAGE, 'BACKTEST_RANGE_TOO_SHORT', /holds 1 bar of the data/, 'a range of one bar')
      assertRefused(await run('--job', submitted.jobId, '--from', 'yesterday'), EXIT_USAGE, 'OPTION_INVALID', /--from must be a date/, 'a date that is not one')
    })

    await stopPeer(p)
    const after = await ledgerEntries(p.dataDir)
    // The restart announces this peer again (a hello); the backtests add nothing at all.
    const notHello = (entries: string[]): string[] => entries.filter(e => !e.startsWith('hello '))
    assert.deepEqual(notHello(after), notHello(before), 'no ledger entry but the restart\'s hello')
    assert.ok(after.length - before.length <= 1, `at most the restart's hello was added: ${after.length - before.length} entries`)
    assert.deepEqual(await readdir(join(p.dataDir, 'blobs'), { recursive: true }), blobsBefore, 'no blob stored')
  })
})
