/**
 * The overfitting statistics as a user meets them: a job submitted with the robust objective on one
 * CLI peer, `peer results` once it is complete (DSR, plateau and the overfit flag per row, PBO and
 * the trial count for the job, in the table and in --json), and the same statistics straight
 * after a restart, read from the peer's store instead of computed again.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { overfitCheck } from '../../src/engine/overfit.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { ResultsView, SubmitResult } from '../../src/node/peer-types.js'
import { jsonOf, resultsViaCli, STRATEGY, submitArgs, withCliMesh, writeCandlesCsv } from '../helpers/cli-peer.js'

const JOB = { islands: 2, epochs: 2, population: 16, generations: 4, seed: 11, minTrades: 1 }
const BARS = 6000

test('peer results shows DSR, plateau, PBO, trials and the overfit flag once a job is complete, and keeps them over a restart', { timeout: 120_000 }, async t => {
  const dir = await tempDir('stratmesh-cli-stats-')
  const csv = await writeCandlesCsv(dir.path, BARS)
  await withCliMesh(t, async mesh => {
    const p = await mesh.add({ name: 'solo', secret: 'statistics test mesh' })
    const submitted = jsonOf<SubmitResult>(await p.cli([...submitArgs({ strategyPath: STRATEGY, data: csv, ...JOB }), '--objective', 'robust']), 'submit')
    assert.equal(submitted.spec.objective, 'robust')
    const done = await resultsViaCli(p, submitted.jobId, 60_000)
    assert.equal(done.done, true)
    const r = await waitFor(async () => {
      const v = await resultsViaCli(p, submitted.jobId)
      return v.statistics.ready ? v : undefined
    }, { timeoutMs: 60_000, intervalMs: 250, message: 'the statistics to be computed' })
    const s = r.statistics
    assert.ok(s.trials > 0 && s.trials >= r.job.total * JOB.population, `trials ${s.trials}`)
    assert.ok(s.pbo !== null && s.pbo >= 0 && s.pbo <= 1, `pbo ${s.pbo}`)
    assert.equal(s.reason, null)
    assert.ok(r.leaderboard.length > 1)
    for (const row of r.leaderboard) {
      assert.ok(row.dsr !== null && row.dsr >= 0 && row.dsr <= 1, `row ${row.rank} dsr ${row.dsr}`)
      assert.ok(row.plateau === null || (row.plateau >= 0 && row.plateau <= 1), `row ${row.rank} plateau ${row.plateau}`)
      assert.equal(row.overfit, overfitCheck(row.inSample, row.outOfSample).overfit)
    }
    const text = await p.cli(['results', submitted.jobId])
    assert.equal(text.code, 0, text.stderr)
    assert.match(text.stdout, /^\s*#\s+fitness\s+DSR\s+plateau\s.*\soverfit\s+params$/m)
    assert.match(text.stdout, new RegExp(`^${s.trials} trials, PBO ${s.pbo.toFixed(3)} over the top \\d+ rows`, 'm'))

    const stop = await p.cli(['stop'])
    assert.equal(stop.code, 0, stop.stderr)
    await p.exited()
    await p.start()
    const again: ResultsView = await resultsViaCli(p, submitted.jobId)
    assert.deepEqual(again.statistics, s, 'kept over the restart, not computed again')
    assert.deepEqual(again.leaderboard, r.leaderboard)
  })
})
