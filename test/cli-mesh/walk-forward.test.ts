/**
 * A walk-forward job as a user runs it, through the real CLI against a live peer: `peer submit
 * --walk-forward rolling --windows 3` is accepted, `peer status` shows its progress per window
 * (text and --json) and `peer results` its stitched result; windows that do not fit the data are
 * refused at submit with the usage exit code and one line naming the option, and nothing is published.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PeerStatus, SubmitResult } from '../../src/node/peer-types.js'
import { EXIT_USAGE } from '../../src/node/cli/errors.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { jsonOf, resultsViaCli, STRATEGY, withCliMesh } from '../helpers/cli-peer.js'
import { candlesCsv } from '../helpers/candles-csv.js'
import { tempDir } from '../helpers/temp-dir.js'

test('peer submit --walk-forward rolling --windows 3: accepted and run, with progress per window; windows that do not fit are refused naming the option', { timeout: 180_000 }, async t => {
  const dir = await tempDir()
  const csv = join(dir.path, 'candles.csv')
  await writeFile(csv, candlesCsv(syntheticCandles({ bars: 1600, seed: 9 })))
  await withCliMesh(t, async mesh => {
    const p0 = await mesh.add({ name: 'p0' })
    const small = ['--data', csv, '--islands', '1', '--population', '6', '--generations', '1', '--epochs', '2', '--min-trades', '1']

    const refused = await p0.cli(['submit', STRATEGY, ...small, '--walk-forward', 'rolling', '--windows', '3', '--train', '0.5', '--test', '0.2'])
    assert.equal(refused.code, EXIT_USAGE, `exit ${EXIT_USAGE}, got ${refused.code}: ${refused.stderr}`)
    assert.equal(refused.stdout, '')
    const lines = refused.stderr.trimEnd().split('\n')
    assert.equal(lines.length, 1, `one line on stderr, got:\n${refused.stderr}`)
    assert.match(lines[0], /^peer: WALK_FORWARD_INVALID: --train does not fit the data: 3 windows of 800 train and 320 test bars/)
    assert.deepEqual(jsonOf<PeerStatus>(await p0.cli(['status', '--json']), 'status').jobs, [], 'nothing was published')

    const sub = jsonOf<SubmitResult>(await p0.cli(['submit', STRATEGY, ...small, '--walk-forward', 'rolling', '--windows', '3', '--json']), 'submit')
    assert.equal(sub.spec.walkForward?.mode, 'rolling')
    assert.deepEqual(sub.spec.walkForward?.windows.map(w => w.testTo - w.trainTo), [266, 266, 266], 'test = bars / (windows + 3)')

    const results = await resultsViaCli(p0, sub.jobId, 150_000)
    assert.equal(results.done, true)
    assert.ok(results.walkForward?.result !== null && results.walkForward?.result !== undefined, 'the stitched result')
    assert.equal(results.walkForward.result.stitched.bars, 3 * 266)
    // Its rows come from windows scored on different ranges: no job-wide overfitting statistics.
    assert.equal(results.statistics.ready, false)
    assert.match(results.statistics.reason ?? '', /walk-forward/)

    const status = jsonOf<PeerStatus>(await p0.cli(['status', '--json']), 'status')
    assert.deepEqual(status.jobs[0].windows, [{ committed: 2, total: 2 }, { committed: 2, total: 2 }, { committed: 2, total: 2 }])
    const text = await p0.cli(['status'])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, new RegExp(`walk-forward windows \\(units committed/total per window\\):\\n {2}job ${sub.jobId.slice(0, 12)}: 0 2/2, 1 2/2, 2 2/2\\n`))
  })
})
