import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createJobSpec } from '../../src/engine/job-setup.js'
import { emptyLedger, type LedgerState, type UnitRecord } from '../../src/ledger/fold.js'
import { jobs, unitKey, type CommitTrust } from '../../src/ledger/queries.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { emptyMetrics } from '../../src/engine/metrics.js'
import { boardRows, candlesView, MAX_DETAIL_CANDLES, MAX_PROGRESS_CELLS, progressView, rowIdOf } from '../../src/node/dashboard/views.js'
import { createJobHistory, HISTORY_MAX_JOBS, HISTORY_MAX_SAMPLES, HISTORY_SAMPLE_MS } from '../../src/node/work/job-history.js'
import type { LeaderboardRow } from '../../src/protocol/job-spec.js'
import type { Hlc } from '../../src/protocol/hlc.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const hex = (c: string): string => c.repeat(64)

function ledgerWith (islands: number, epochs: number): { state: LedgerState, id: string } {
  const state = emptyLedger()
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: hex('a'), name: 's' }, dataset: { hash: hex('b'), name: 'd', bars: 100 }, ga: { islands, epochs } })
  const id = hex('c')
  state.jobs.set(id, { id, spec, submissions: [{ author: 'A', hlc: [1, 0] as unknown as Hlc, seq: 1 }] })
  return { state, id }
}

function unit (state: LedgerState, id: string, island: number, epoch: number, what: { commit?: string, lease?: { by: string, until: number } }): void {
  const u: UnitRecord = { jobId: id, island, epoch, leases: new Map(), commits: [] }
  if (what.commit !== undefined) u.commits.push({ author: what.commit, hlc: [2, 0] as unknown as Hlc, seq: 2, checkpointHash: hex('d') })
  if (what.lease !== undefined) u.leases.set(what.lease.by, { author: what.lease.by, claimHlc: [3, 0] as unknown as Hlc, seq: 3, until: what.lease.until })
  state.units.set(unitKey(id, island, epoch), u)
}

test('progress: committed, running, ready and waiting units, per epoch; a huge job only per epoch', () => {
  const { state, id } = ledgerWith(3, 3)
  unit(state, id, 0, 0, { commit: 'A' })
  unit(state, id, 1, 0, { commit: 'B' })
  unit(state, id, 2, 0, { lease: { by: 'B', until: 5_000 } })
  unit(state, id, 0, 1, { lease: { by: 'A', until: 500 } }) // expired at now = 1000
  const p = progressView(state, jobs(state)[0], 1_000, [])
  const cells = Object.fromEntries((p.units ?? []).map(u => [`${u.island}:${u.epoch}`, [u.state, u.by]]))
  assert.deepEqual(cells['0:0'], ['committed', 'A'])
  assert.deepEqual(cells['2:0'], ['leased', 'B'])
  assert.deepEqual(cells['1:1'], ['ready', undefined], 'island 1 epoch 1 needs (1,0) and (0,0): both committed')
  assert.deepEqual(cells['0:1'], ['waiting', undefined], 'island 0 epoch 1 needs (2,0), still running; its old lease expired')
  assert.deepEqual(cells['2:2'], ['waiting', undefined])
  assert.deepEqual(p.perEpoch, [{ epoch: 0, committed: 2, leased: 1 }, { epoch: 1, committed: 0, leased: 0 }, { epoch: 2, committed: 0, leased: 0 }])
  assert.equal(p.committed, 2)
  assert.equal(p.total, 9)

  // With this peer's checks: B's commit of (1,0) is still being checked (in flight, not counted,
  // so (1,1) waits), A's commit of (0,0) was found wrong (the unit is to be computed again).
  const trust: CommitTrust = c => c.author === 'B' ? 'pending' : 'rejected'
  const checked = progressView(state, jobs(state, trust)[0], 1_000, [], trust)
  const cellsChecked = Object.fromEntries((checked.units ?? []).map(u => [`${u.island}:${u.epoch}`, [u.state, u.by]]))
  assert.deepEqual([cellsChecked['0:0'], cellsChecked['1:0'], cellsChecked['1:1']], [['ready', undefined], ['leased', 'B'], ['waiting', undefined]])
  assert.equal(checked.committed, 0)

  const big = ledgerWith(256, Math.ceil((MAX_PROGRESS_CELLS + 1) / 256))
  const q = progressView(big.state, jobs(big.state)[0], 0, [])
  assert.equal(q.units, null)
  assert.equal(q.perEpoch.length, big.state.jobs.get(big.id)?.spec.ga.epochs)
})

test('board rows: ids from parameters (stable across ranks), overfit flags from the metrics', () => {
  const m = (sharpe: number) => ({ ...emptyMetrics(), sharpe, bars: 10 })
  const rows: LeaderboardRow[] = [
    { rank: 1, params: { fast: 5, slow: 50 }, fitness: 2, inSample: m(2), outOfSample: m(0.5), island: 0, epoch: 0 },
    { rank: 2, params: { slow: 60, fast: 5 }, fitness: 1, inSample: m(1), outOfSample: m(0.9), island: 0, epoch: 0 },
  ]
  const b = boardRows(rows)
  assert.equal(b[0].id, rowIdOf({ slow: 50, fast: 5 }), 'key order does not matter')
  assert.match(b[0].id, /^[0-9a-f]{16}$/)
  assert.notEqual(b[0].id, b[1].id)
  assert.deepEqual([b[0].overfit, b[0].retention], [true, 0.25])
  assert.deepEqual([b[1].overfit, b[1].retention], [false, 0.9])
  assert.deepEqual([b[0].dsr, b[0].plateau, b[0].pbo], [null, null, null], 'no statistics before they are computed')
  const withStats = boardRows([{ ...rows[0], dsr: 0.97, plateau: 0.75 }, { ...rows[1], dsr: 0.1, plateau: null }], 0.3)
  assert.deepEqual(withStats.map(r => [r.dsr, r.plateau, r.pbo]), [[0.97, 0.75, 0.3], [0.1, null, 0.3]], 'each row its own DSR and plateau, the job\'s PBO on every row')
})

test('candles for a detail are merged to at most MAX_DETAIL_CANDLES', () => {
  const c = syntheticCandles({ bars: 10_000, seed: 2 })
  const v = candlesView(c)
  assert.equal(v.bucketBars, 5)
  assert.equal(v.time.length, MAX_DETAIL_CANDLES)
  assert.equal(Math.max(...v.high), Math.max(...c.high))
  assert.equal(v.close.at(-1), c.close[c.length - 1])
})

test('job history: throttled samples, rates over the window, thinning past the cap, a final sample, bounded jobs', () => {
  const h = createJobHistory()
  const t0 = 1_000_000
  for (let i = 0; i <= 10; i++) h.record('j', { t: t0 + i * 1000, evaluations: i * 500, committed: i, bestFitness: i })
  const pts = h.points('j')
  assert.equal(pts.length, 6, 'one sample per HISTORY_SAMPLE_MS')
  assert.equal(pts[0].evalsPerSec, 0)
  assert.equal(pts[1].evalsPerSec, 500, '1000 evaluations in 2 s')
  h.record('j', { t: t0 + 10_500, evaluations: 5_100, committed: 11, bestFitness: 11 }, true)
  assert.equal(h.finished('j'), true)
  assert.equal(h.points('j').length, 7, 'the final sample is kept whatever its timing')
  h.record('j', { t: t0 + 60_000, evaluations: 9_999, committed: 11, bestFitness: 11 })
  assert.equal(h.points('j').length, 7, 'nothing after the final sample')

  const long = createJobHistory()
  let t = 0
  for (let i = 0; i < HISTORY_MAX_SAMPLES * 3; i++) {
    t += HISTORY_SAMPLE_MS
    long.record('k', { t, evaluations: i, committed: 0, bestFitness: null })
  }
  const kept = long.points('k')
  assert.ok(kept.length <= HISTORY_MAX_SAMPLES && kept.length > HISTORY_MAX_SAMPLES / 4, `${kept.length} samples kept`)
  assert.ok(kept[0].t <= 4 * HISTORY_SAMPLE_MS, 'the start of the run is still there, coarser')
  assert.ok(kept.slice(1).every(p => Math.abs(p.evalsPerSec - 1 / (HISTORY_SAMPLE_MS / 1000)) < 1e-9), 'one evaluation per sample interval, whatever the thinning')

  const many = createJobHistory()
  for (let i = 0; i <= HISTORY_MAX_JOBS; i++) many.record(`job${i}`, { t: i, evaluations: 0, committed: 0, bestFitness: null })
  assert.equal(many.points('job0').length, 0, 'the oldest job was dropped')
  assert.equal(many.points(`job${HISTORY_MAX_JOBS}`).length, 1)
})
