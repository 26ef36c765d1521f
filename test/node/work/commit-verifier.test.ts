/**
 * A member that commits wrong checkpoints first (with a backdated clock, so they would count under
 * the ledger's (hlc, author) order) against a real peer: the peer checks them in its evaluators,
 * rejects them, computes the units itself, and ends with the single-machine leaderboard, the
 * rejections named in status and kept across a restart.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { syntheticCandles } from '../../../src/engine/data/synthetic.js'
import { importCandles } from '../../../src/engine/data/import-candles.js'
import type { Checkpoint } from '../../../src/protocol/job-spec.js'
import { byHlcThenAuthor, unitKey } from '../../../src/ledger/queries.js'
import type { Metrics } from '../../../src/protocol/types.js'
import { createPeer, type Peer } from '../../../src/node/peer.js'
import { honestFirstUnit, startDishonestMember } from '../../helpers/dishonest-member.js'
import { comparable, referenceLeaderboard } from '../../helpers/reference-run.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'
import { candlesCsv } from '../../helpers/candles-csv.js'

const STRATEGY = fileURLToPath(new URL('../../../strategies/sma-cross.ts', import.meta.url))
const SECRET = 'commit verifier test secret'
const EPOCHS = 5
/** How far back the hostile member's clock runs: its entries sort before every honest one. */
const BACKDATE_MS = 3_600_000

const cleanups: Array<() => Promise<void>> = []
after(async () => { for (const fn of cleanups.reverse()) await fn().catch(() => {}) })

async function startPeer (dataDir: string, bootstrap: string[]): Promise<Peer> {
  const peer = await createPeer({ dataDir, name: 'honest', cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, mdns: false, secret: SECRET, leaseTtlMs: 5_000 })
  await peer.start()
  cleanups.push(async () => { await peer.stop() })
  return peer
}

test('wrong checkpoints committed first are checked, rejected, computed again and shown as conflicts; the leaderboard is the honest one', async () => {
  const dir = await tempDir()
  const csvPath = join(dir.path, 'candles.csv')
  await writeFile(csvPath, candlesCsv(syntheticCandles({ bars: 4000 })))
  const candles = importCandles(await readFile(csvPath), 'candles.csv').candles
  // Its clock runs an hour behind (an hlc is its author's to choose).
  const hostile = await startDishonestMember(SECRET, -BACKDATE_MS)
  const peerDir = join(dir.path, 'peer')
  let peer = await startPeer(peerDir, [hostile.addr])
  await waitFor(async () => (await peer.status()).peers.some(p => p.connected), { message: 'the peer connects to the hostile member', timeoutMs: 20_000 })

  const submitted = await peer.submit({ strategyPath: STRATEGY, data: csvPath, islands: 2, population: 8, generations: 2, epochs: EPOCHS, seed: 5, minTrades: 1 })
  // The hostile member's ledger refuses the honest entries (an hour ahead of its clock); it needs
  // none of them to commit: the job id is all it takes.

  // Honest numbers computed here, then lied about, for both units of the last epoch (nobody can
  // have computed those yet: they need every epoch before).
  const real = await honestFirstUnit(submitted.spec, STRATEGY, candles)
  const last = EPOCHS - 1
  // Unit (0, last): consistent in shape, the winner's numbers inflated. Only evaluating it tells.
  const inflated: Checkpoint = {
    ...real,
    epoch: last,
    population: [{ ...real.population[0], fitness: 1e6 }, ...real.population.slice(1)],
    best: [{ ...real.best[0], fitness: 1e6, inSample: { ...(real.best[0].inSample as Metrics), sharpe: 1e6 } }, ...real.best.slice(1)],
  }
  // Unit (1, last): a winner nobody found, added to the best list only.
  const invented: Checkpoint = { ...real, island: 1, epoch: last, best: [{ ...real.best[0], params: { fast: 7, slow: 395 }, fitness: 1e6 }, ...real.best.slice(1)] }
  const wrong = []
  for (const cp of [inflated, invented]) wrong.push({ cp, hash: await hostile.commit(cp) })

  // Done, and both wrong commits checked: had they reached the peer after its own commits of those
  // units, the job would count as done while their checks still ran.
  await waitFor(async () => (await peer.results(submitted.jobId, 10)).done, { message: 'the job done on the honest peer', timeoutMs: 90_000, intervalMs: 200 })
  await waitFor(async () => { const c = (await peer.status()).checks; return c.pending === 0 && c.rejected.length >= 2 },
    { message: 'both wrong commits checked on the honest peer', timeoutMs: 60_000, intervalMs: 200 })
  const want = await referenceLeaderboard(submitted.spec, STRATEGY, candles, 10)
  const board = await peer.results(submitted.jobId, 10)
  assert.deepEqual(comparable(board.leaderboard), comparable(want), 'the single-machine leaderboard')
  assert.ok(board.leaderboard.every(r => r.peer === peer.id), 'every counted row is the honest peer\'s')

  const st = await peer.status()
  assert.deepEqual(st.checks.rejected.map(r => [r.island, r.epoch, r.author, r.checkpointHash]),
    [[0, last, hostile.author, wrong[0].hash], [1, last, hostile.author, wrong[1].hash]])
  assert.match(st.checks.rejected[0].reason, /^best genome 0 .* records fitness 1000000, evaluating it gives/)
  assert.match(st.checks.rejected[1].reason, /best genome 0 is not the population's genome 0/)
  assert.equal(st.checks.pending, 0)
  assert.deepEqual(st.conflicts.map(c => [c.island, c.epoch, c.counted.author, c.other.author, c.other.checkpointHash, c.rejected]),
    [[0, last, peer.id, hostile.author, wrong[0].hash, true], [1, last, peer.id, hostile.author, wrong[1].hash, true]])
  // The wrong commits came first in the ledger's order: without the checks they would have counted.
  const hostileState = hostile.logStore.state()
  for (const island of [0, 1]) {
    const commits = [...(hostileState.units.get(unitKey(submitted.jobId, island, last))?.commits ?? [])].sort(byHlcThenAuthor)
    assert.equal(commits[0]?.author, hostile.author, `island ${island}: the hostile commit is the earliest`)
  }

  // Verdicts are kept: after a restart the rejections stand before anything is evaluated again.
  await peer.stop()
  peer = await startPeer(peerDir, [])
  const again = await peer.status()
  assert.deepEqual(again.checks.rejected.map(r => r.checkpointHash), wrong.map(w => w.hash))
  assert.deepEqual(comparable((await peer.results(submitted.jobId, 10)).leaderboard), comparable(want))
})
