/**
 * A job over several symbols as a user runs it, through the real CLI against a live peer: `peer
 * submit --data <folder>` takes every candle file of the folder by name; `peer results` shows
 * each row's symbols (text, --json, --csv); `peer backtest --job J --symbol` runs one symbol's
 * candles; bad inputs are refused with the usage exit code and one line naming the option, and
 * nothing is published.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { BacktestResult, PeerStatus, SubmitResult } from '../../src/node/peer-types.js'
import { EXIT_USAGE } from '../../src/node/cli/errors.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { jsonOf, resultsViaCli, STRATEGY, withCliMesh, type CliPeer } from '../helpers/cli-peer.js'
import { candlesCsv } from '../helpers/candles-csv.js'
import { tempDir } from '../helpers/temp-dir.js'

async function refusedOneLine (p: CliPeer, args: string[], line: RegExp): Promise<void> {
  const r = await p.cli(args)
  assert.equal(r.code, EXIT_USAGE, `exit ${EXIT_USAGE}, got ${r.code}: ${r.stderr}`)
  assert.equal(r.stdout, '')
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`)
  assert.match(lines[0], line)
}

test('peer submit --data <folder>: every candle file of it by name, rows with each symbol\'s metrics; bad inputs refused naming the option', { timeout: 240_000 }, async t => {
  const dir = await tempDir()
  const folder = join(dir.path, 'basket')
  await mkdir(folder)
  // Written out of name order, with a file the folder's reading must skip.
  for (const [k, name] of ['c-sol.csv', 'a-btc.csv', 'b-eth.csv'].entries()) await writeFile(join(folder, name), candlesCsv(syntheticCandles({ bars: 900 + 100 * k, seed: 40 + k })))
  await writeFile(join(folder, 'notes.txt'), 'not candles')
  const small = ['--islands', '1', '--population', '6', '--generations', '1', '--epochs', '2', '--min-trades', '1']
  await withCliMesh(t, async mesh => {
    const p0 = await mesh.add({ name: 'p0' })
    const a = join(folder, 'a-btc.csv')
    await refusedOneLine(p0, ['submit', STRATEGY, '--data', a, '--data', join(folder, 'b-eth.csv'), '--data', a, ...small], /^peer: BASKET_INVALID: --data .*a-btc\.csv is given twice/)
    await refusedOneLine(p0, ['submit', STRATEGY, '--data', a, '--data', join(folder, 'missing.csv'), ...small], /^peer: DATA_NOT_FOUND: cannot read --data file .*missing\.csv: no such file/)
    await refusedOneLine(p0, ['submit', STRATEGY, '--data', folder, '--walk-forward', 'rolling', ...small], /^peer: BASKET_INVALID: --walk-forward does not apply to a job over several symbols/)
    await refusedOneLine(p0, ['submit', STRATEGY, '--data', folder, '--aggregate', 'max', ...small], /^peer: OPTION_INVALID: --aggregate/)
    assert.deepEqual(jsonOf<PeerStatus>(await p0.cli(['status', '--json']), 'status').jobs, [], 'nothing was published')

    const sub = jsonOf<SubmitResult>(await p0.cli(['submit', STRATEGY, '--data', folder, '--aggregate', 'min', ...small, '--json']), 'submit')
    assert.deepEqual(sub.spec.basket?.datasets.map(d => [d.name, d.bars]), [['a-btc.csv', 1000], ['b-eth.csv', 1100], ['c-sol.csv', 900]])
    assert.equal(sub.spec.basket?.aggregate, 'min')
    assert.equal(sub.spec.dataset.name, 'a-btc.csv')

    assert.equal(jsonOf<PeerStatus>(await p0.cli(['status', '--json']), 'status').jobs[0].dataset, 'a-btc.csv + b-eth.csv + c-sol.csv')
    const r = await resultsViaCli(p0, sub.jobId, 150_000)
    assert.equal(r.done, true)
    assert.ok(r.leaderboard.length > 0)
    for (const row of r.leaderboard) {
      assert.equal(row.symbols?.length, 3)
      const values = row.symbols.map(s => s.fitness as number)
      assert.equal(row.fitness, Math.min(...values), 'min aggregate')
      assert.deepEqual(row.inSample, row.symbols[values.indexOf(Math.min(...values))].inSample, 'the row shows the lowest symbol')
    }
    assert.equal(r.statistics.ready, false)
    assert.match(r.statistics.reason ?? '', /several symbols/)

    const text = await p0.cli(['results', sub.jobId])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /on 3 symbols \(a-btc\.csv 1000 bars, b-eth\.csv 1100 bars, c-sol\.csv 900 bars;/)
    assert.match(text.stdout, /per symbol \(the IS and OOS columns above are the lowest symbol's\):\n#\s+symbol\s+fitness/)
    assert.match(text.stdout, /\n1\s+b-eth\.csv\s/)
    const csv = await p0.cli(['results', sub.jobId, '--csv'])
    assert.equal(csv.code, 0, csv.stderr)
    const [header, first] = csv.stdout.split('\n')
    assert.match(header, /,a-btc\.csv_fitness,a-btc\.csv_is_sharpe,.*,c-sol\.csv_oos_trades$/)
    const cells = first.split(',')
    assert.equal(Number(cells[header.split(',').indexOf('b-eth.csv_fitness')]), r.leaderboard[0].symbols?.[1].fitness)

    const bt = jsonOf<BacktestResult>(await p0.cli(['backtest', '--job', sub.jobId, '--rank', '1', '--symbol', 'c-sol.csv', '--to', new Date(syntheticCandles({ bars: 900, seed: 42 }).time[Math.floor(900 * 0.7)]).toISOString(), '--json']), 'backtest --symbol')
    assert.equal(bt.dataset.name, 'c-sol.csv')
    assert.deepEqual(bt.metrics, r.leaderboard[0].symbols?.[2].inSample, 'the symbol\'s in-sample metrics, as the row has them')
    await refusedOneLine(p0, ['backtest', '--job', sub.jobId, '--symbol', 'nope.csv'], /^peer: BASKET_INVALID: --symbol nope\.csv: the job's symbols are a-btc\.csv, b-eth\.csv, c-sol\.csv/)
    t.diagnostic(`best ${r.leaderboard[0].fitness} (min of ${r.leaderboard[0].symbols?.map(s => s.fitness).join(', ')})`)
  })
})

