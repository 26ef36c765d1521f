/**
 * `peer submit --timeframe` through the real CLI against a live peer: the job's dataset is the
 * resampled candles (its hash is theirs, its name says the timeframe), a strategy reading
 * ctx.higher passes the submit check and runs in the peer's isolates to a leaderboard, and a
 * timeframe that does not suit the data is refused in one line naming --timeframe.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PeerStatus, SubmitResult } from '../../src/node/peer-types.js'
import { EXIT_USAGE } from '../../src/node/cli/errors.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import { encodeDataset } from '../../src/engine/data/dataset-codec.js'
import { resampleCandles } from '../../src/engine/data/resample.js'
import { sha256Hex } from '../../src/protocol/canonical.js'
import { jsonOf, REPO_ROOT, resultsViaCli, withCliMesh } from '../helpers/cli-peer.js'
import { candlesCsv } from '../helpers/candles-csv.js'
import { tempDir } from '../helpers/temp-dir.js'

const HIGHER = join(REPO_ROOT, 'strategies', 'higher-timeframe-trend.ts')

test('peer submit --timeframe 5m: the resampled candles are the job\'s dataset, ctx.higher runs in the isolates; a finer timeframe is refused naming the option', { timeout: 180_000 }, async t => {
  const dir = await tempDir()
  const csv = join(dir.path, 'minutes.csv')
  // 1-minute bars from 00:00 UTC, ending 3 minutes into a 5-minute bucket, which is dropped.
  await writeFile(csv, candlesCsv(syntheticCandles({ bars: 9003, seed: 4 })))
  const expected = resampleCandles(importCandles(await readFile(csv), csv).candles, '5m')
  await withCliMesh(t, async mesh => {
    const p0 = await mesh.add({ name: 'p0' })
    const small = ['--data', csv, '--islands', '1', '--population', '6', '--generations', '1', '--epochs', '1', '--min-trades', '1']

    for (const [tf, line] of [['30s', /^peer: TIMEFRAME_INVALID: --timeframe 30s: finer than the data's bar step 1m/], ['1M', /^peer: OPTION_INVALID: .*--timeframe/]] as const) {
      const refused = await p0.cli(['submit', HIGHER, ...small, '--timeframe', tf])
      assert.equal(refused.code, EXIT_USAGE, `exit ${EXIT_USAGE}, got ${refused.code}: ${refused.stderr}`)
      const lines = refused.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, `one line on stderr, got:\n${refused.stderr}`)
      assert.match(lines[0], line)
    }
    assert.deepEqual(jsonOf<PeerStatus>(await p0.cli(['status', '--json']), 'status').jobs, [], 'nothing was published')

    const sub = jsonOf<SubmitResult>(await p0.cli(['submit', HIGHER, ...small, '--timeframe', '5m', '--json']), 'submit')
    assert.equal(sub.dataset.name, 'minutes.csv@5m')
    assert.equal(sub.dataset.bars, 1800)
    assert.equal(sub.dataset.hash, sha256Hex(encodeDataset(expected.candles)))
    assert.equal(sub.spec.dataset.hash, sub.dataset.hash)
    assert.equal(sub.dataset.resampled?.droppedPartialLast, true)
    assert.equal(sub.dataset.resampled?.sourceBars, 9003)

    const results = await resultsViaCli(p0, sub.jobId, 150_000)
    assert.equal(results.done, true)
    assert.equal(results.stopped, undefined, results.stopped)
    assert.ok(results.leaderboard.length > 0, 'a leaderboard')

    const text = await p0.cli(['submit', HIGHER, ...small, '--timeframe', '5m'])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stderr, /on minutes\.csv@5m \(1800 bars resampled from 9003 1m bars, partial last 5m bar dropped\)/)
  })
})
