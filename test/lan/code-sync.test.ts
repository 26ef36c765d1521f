/**
 * LAN scenario 9: code sync and engine bundles. A strategy file that exists only in one host's
 * directory (and is deleted once submitted) runs on the other hosts too: they fetch it, the
 * candles and the engine bundle by hash from the submitter. A host built with another engine
 * bundle (here one that differs by a comment) runs the job with the job's bundle, not its own, and
 * every host shows the same leaderboard. (Declines, for another isolate interface or runtime
 * fingerprint, are tested in test/node/work/job-library.test.ts and test/node/engine-hash.test.ts.)
 */
import assert from 'node:assert/strict'
import { readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { comparable, referenceLeaderboardOfSource } from '../helpers/reference-run.js'
import { demoJob, lanTest, waitFullMesh, waitJobDone } from '../helpers/lan.js'
import { agreedResults } from '../helpers/agreed-results.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import { engineScript } from '../helpers/engine-script.js'

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
/** Units of about a second here, so the second host gets some once it has the blobs. */
const JOB = { islands: 3, epochs: 3, population: 32, generations: 30 }
const BARS = 100_000

lanTest('9. a strategy only on h0 runs on every host; a host built with another engine bundle runs it with the job\'s bundle', 240_000, async ({ t, createLan }) => {
  // The runner, not the CLI: only it can run another engine bundle as its own.
  const lan = await createLan(3, { launch: 'runner' })
  const [h0, h1, odd] = lan.hosts
  const oddBundle = join(lan.dir, 'engine-of-another-commit.js')
  await writeFile(oddBundle, `${engineScript()}\n// built from another commit\n`)
  await Promise.all([h0.start(), h1.start(), odd.start({ engineBundleFile: oddBundle })])
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

  // Another bundle, the same bits: the odd host's runtime fingerprint is h0's, and nobody is incompatible.
  const [st0, stOdd] = [await h0.status(), await odd.status()]
  assert.equal(stOdd.self.fingerprint, st0.self.fingerprint)
  assert.ok(!st0.peers.some(p => p.state === 'incompatible'))

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
  // fetched h0's engine bundle (it had its own, of another hash) and ran the job with it.
  const short = submitted.jobId.slice(0, 12)
  const [log1, logOdd] = [await h1.readLog(), await odd.readLog()]
  const committedBy1 = log1.split('\n').filter(l => l.includes('committed island') && l.includes(short)).length
  t.diagnostic(`${h1.name} committed ${committedBy1} of the units; leaderboard rows found by ${[...new Set(boards[0].leaderboard.map(r => r.peer === id0 ? 'h0' : r.peer === id1 ? 'h1' : r.peer === oddId ? odd.name : r.peer))].join(', ')}`)
  assert.match(log1, new RegExp(`fetching strategy ${submitted.spec.strategy.hash.slice(0, 12)}`), `${h1.name} fetched the strategy by hash`)
  // It ran the strategy it never had on disk: in units of its own, or (when h0 and the odd host
  // took every unit of this small job first, as on a busy machine) in the checks of their commits.
  const checkedBy1 = (await h1.status()).checks.evaluations
  t.diagnostic(`${h1.name} evaluated ${checkedBy1} genome(s) checking the others' commits`)
  assert.ok(committedBy1 > 0 || checkedBy1 > 0, `${h1.name} ran a strategy it never had on disk`)
  assert.match(logOdd, new RegExp(`fetching engine ${submitted.spec.engine.hash.slice(0, 12)}`), `${odd.name} fetched the job's engine bundle by hash`)
  t.diagnostic(`${odd.name} committed ${logOdd.split('\n').filter(l => l.includes('committed island') && l.includes(short)).length} of the units with h0's engine`)
})
