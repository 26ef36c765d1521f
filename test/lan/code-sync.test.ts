/**
 * LAN scenario 9: code sync and engine versions. A strategy file that exists only in one host's
 * directory (and is deleted once submitted) runs on the other hosts too: they fetch it, and the
 * candles, by hash from the submitter. A host with a different engine version sees the job but
 * does not run it, says why in `peer status`, and the others show it as incompatible.
 */
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { comparable, referenceLeaderboardOfSource } from '../helpers/reference-run.js'
import { waitFor } from '../helpers/wait-for.js'
import { demoJob, lanTest, waitFullMesh, waitJobDone } from '../helpers/lan.js'
import { agreedResults } from '../helpers/agreed-results.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import { ENGINE_VERSION } from '../../src/protocol/job-spec.js'

/** A strategy in no repository: written by the test into h0's directory only. */
const LAN_ONLY_STRATEGY = `// Written by a LAN test into one host's directory: the mesh must carry it to the others.
import { defineStrategy, int } from 'stratmesh/strategy'

export default defineStrategy({
  name: 'lan-only-cross',
  description: 'Long while SMA(fast) is above SMA(slow), short otherwise.',
  params: { fast: int(3, 60, 1), slow: int(10, 300, 5) },
  constraints: p => p.fast < p.slow || 'fast must be below slow',
  positions (ctx, p) {
    const fast = ctx.sma(ctx.close, p.fast)
    const slow = ctx.sma(ctx.close, p.slow)
    const out = ctx.output()
    for (let i = 0; i < ctx.length; i++) out[i] = fast[i] > slow[i] ? 1 : -1
    return out
  },
})
`
/** The version the odd host pretends to run. */
const OTHER_ENGINE = `${ENGINE_VERSION}-other`
/** Units of about a second here, so the second host gets some once it has the blobs. */
const JOB = { islands: 3, epochs: 3, population: 32, generations: 30 }
const BARS = 100_000

lanTest('9. a strategy only on h0 runs on every host; a host with another engine version shows the job as not runnable, with the reason, and never runs it', 240_000, async ({ t, createLan }) => {
  // The runner, not the CLI: only it can pretend to another engine version.
  const lan = await createLan(3, { launch: 'runner' })
  const [h0, h1, odd] = lan.hosts
  await Promise.all([h0.start(), h1.start(), odd.start({ engineVersion: OTHER_ENGINE })])
  await waitFullMesh(lan.hosts, 20_000)
  const [id0, id1, oddId] = await Promise.all(lan.hosts.map(async h => (await h.status()).self.id))

  // Both files in h0's own directory, gone once submitted: the others can only have them from h0.
  const h0Dir = join(lan.dir, h0.name)
  const job = await demoJob(h0Dir, JOB, BARS)
  const strategyPath = join(h0Dir, 'lan-only-cross.ts')
  await writeFile(strategyPath, LAN_ONLY_STRATEGY)
  const submittedAt = Date.now()
  const submitted = await h0.submit({ ...job.request, strategyPath })
  const csv = await readFile(job.request.data)
  await rm(strategyPath)
  await rm(job.request.data)

  // While the job runs, the odd host says it cannot run it, and why.
  const oddView = await waitFor(async () => (await odd.status()).jobs.find(j => j.id === submitted.jobId && !j.runnable),
    { timeoutMs: 20_000, intervalMs: 100, message: `${odd.name} to show the job as not runnable` })
  t.diagnostic(`${odd.name} (engine ${OTHER_ENGINE}): job not runnable: ${oddView.reason ?? '(no reason)'}`)
  assert.match(oddView.reason ?? '', new RegExp(`needs engine version ${ENGINE_VERSION}; this peer runs ${OTHER_ENGINE}`))
  for (const h of [h0, h1]) {
    // Once its hello (which names its engine version) has replicated; until then it is just connected.
    const seen = await waitFor(async () => (await h.status()).peers.find(p => p.id === oddId && p.state === 'incompatible'),
      { timeoutMs: 20_000, intervalMs: 100, message: `${h.name} to show ${odd.name} as incompatible` })
    assert.equal(seen.reason, `engine version ${OTHER_ENGINE}, this peer runs ${ENGINE_VERSION}`)
  }

  for (const h of lan.hosts) await waitJobDone(h, submitted.jobId, 180_000)
  t.diagnostic(`job of ${submitted.spec.ga.islands * submitted.spec.ga.epochs} units done on all 3 hosts ${Date.now() - submittedAt} ms after submit`)

  const want = comparable(await referenceLeaderboardOfSource(submitted.spec, LAN_ONLY_STRATEGY, 'lan-only-cross.ts', importCandles(csv, 'candles.csv').candles, 10))
  const boards = await agreedResults(lan.hosts, async h => await h.results(submitted.jobId, 10))
  for (const [i, r] of boards.entries()) {
    assert.equal(r.job.committed, r.job.total)
    assert.deepEqual(comparable(r.leaderboard), want, `${lan.hosts[i].name} shows the single-machine leaderboard`)
    assert.deepEqual(r.leaderboard, boards[0].leaderboard, `${lan.hosts[i].name} shows h0's leaderboard`)
  }

  // h1 fetched the strategy and the candles from h0 and committed units of its own; the odd host
  // fetched nothing and claimed nothing.
  const short = submitted.jobId.slice(0, 12)
  const [log1, logOdd] = [await h1.readLog(), await odd.readLog()]
  const committedBy1 = log1.split('\n').filter(l => l.includes('committed island') && l.includes(short)).length
  t.diagnostic(`${h1.name} committed ${committedBy1} of the units; leaderboard rows found by ${[...new Set(boards[0].leaderboard.map(r => r.peer === id0 ? 'h0' : r.peer === id1 ? 'h1' : r.peer))].join(', ')}`)
  assert.match(log1, new RegExp(`fetching strategy ${submitted.spec.strategy.hash.slice(0, 12)}`), `${h1.name} fetched the strategy by hash`)
  assert.ok(committedBy1 > 0, `${h1.name} ran units of a strategy it never had on disk`)
  assert.doesNotMatch(logOdd, /claimed unit|committed island|fetching (strategy|dataset)/, `${odd.name} never ran (or fetched) anything of the job`)
  assert.ok(!boards[0].leaderboard.some(r => r.peer === oddId))
})
