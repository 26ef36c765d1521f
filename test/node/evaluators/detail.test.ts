import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { createEvaluatorPool, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { MAX_DETAIL_POINTS, MAX_DETAIL_TRADES, parseChildMessage, parseParentMessage } from '../../../src/node/evaluators/messages.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { randomCandles, readFixture, specFor } from '../../fixtures/strategies/harness.js'
import { engineScript } from '../../helpers/engine-script.js'

const BARS = 5000
const candles = randomCandles(BARS, 4)

function jobOf (fixture: string, source = readFixture(fixture)): PoolJob {
  const spec = specFor(source, fixture, BARS)
  return { key: `${fixture}:${canonicalHash(spec)}`, engine: engineScript(), source, fileName: fixture, candles, spec }
}

const pool = createEvaluatorPool({ size: 1, evalTimeoutMs: 20_000, memoryMb: 256 })
after(async () => { await pool.stop() })

test('detail of a leaderboard genome: its metrics, final equity = total return, curves within the cap, no evaluator left', async () => {
  await pool.start()
  const job = jobOf('good-sma.ts')
  const cp = await pool.runUnit(job, { spec: job.spec, island: 0, epoch: 0, previous: null, migrants: null })
  const row = cp.best.find(g => g.fitness !== null && g.inSample !== null && g.inSample.trades > 0)
  assert.ok(row !== undefined, 'a genome that traded')
  const d = await pool.detail(job, row.params)
  assert.equal(d.fitness, row.fitness)
  assert.deepEqual(d.inSample.metrics, row.inSample)
  assert.deepEqual(d.outOfSample.metrics, row.outOfSample)
  for (const r of [d.inSample, d.outOfSample]) {
    assert.ok(r.equity.values.length <= MAX_DETAIL_POINTS && r.drawdown.values.length <= MAX_DETAIL_POINTS)
    assert.ok(r.equity.values.length > 100, 'the curve has points')
    assert.equal(r.equity.values[r.equity.values.length - 1] - 1, r.metrics.totalReturn)
    assert.equal(r.equity.bars[r.equity.bars.length - 1], r.to - 1)
    assert.equal(r.tradeCount, r.metrics.trades)
    assert.ok(r.trades.length <= MAX_DETAIL_TRADES)
  }
  assert.equal(pool.pids().length, 1, 'the detail evaluator is gone; the pooled one stays')
  await assert.rejects(pool.detail(jobOf('misbehaves.ts'), { mode: 'throw' }), (err: unknown) => isStratmeshError(err) && err.code.startsWith('STRATEGY_'))
})

test('detail messages: the parent refuses malformed or oversized details', () => {
  assert.equal(parseParentMessage({ type: 'detail', id: 1, jobKey: 'k', params: { a: 1 }, maxPoints: 10, maxTrades: 1, island: 0 }).type, 'detail')
  assert.throws(() => parseParentMessage({ type: 'detail', id: 1, jobKey: 'k', params: { a: 1 }, maxPoints: 10, maxTrades: 1 }), /island/, 'the unit island is required')
  const curve = { bars: Int32Array.from([0, 1]), values: Float64Array.from([1, 1.1]) }
  const metrics = { totalReturn: 0.1, cagr: 0, sharpe: 0, sortino: 0, maxDrawdown: 0, calmar: 0, trades: 1, winRate: 1, profitFactor: 1, exposure: 0.5, bars: 2 }
  const range = { from: 0, to: 2, metrics, equity: curve, drawdown: curve, trades: [{ side: 1, entryBar: 1, exitBar: 1, open: true, return: 0.1 }], tradeCount: 1 }
  const detail = { params: { a: 1 }, fitness: 0.5, inSample: range, outOfSample: { ...range, from: 2, to: 4, trades: [], equity: { bars: Int32Array.from([2, 3]), values: curve.values }, drawdown: { bars: Int32Array.from([2]), values: Float64Array.from([0]) } } }
  assert.equal(parseChildMessage({ type: 'detailed', id: 1, detail }).type, 'detailed')
  const refused = (d: unknown): boolean => {
    try { parseChildMessage({ type: 'detailed', id: 1, detail: d }) } catch (err) { return isStratmeshError(err, 'EVAL_BAD_MESSAGE') }
    return false
  }
  const big = MAX_DETAIL_POINTS + 1
  for (const bad of [
    null,
    { ...detail, fitness: Infinity },
    { ...detail, inSample: { ...range, metrics: { ...metrics, sharpe: NaN } } },
    { ...detail, inSample: { ...range, equity: { bars: Int32Array.from([1, 0]), values: curve.values } } },
    { ...detail, inSample: { ...range, equity: { bars: Int32Array.from([0, 5]), values: curve.values } } },
    { ...detail, inSample: { ...range, equity: { bars: [0, 1], values: [1, 1] } } },
    { ...detail, inSample: { ...range, to: big, equity: { bars: Int32Array.from({ length: big }, (_, i) => i), values: new Float64Array(big) } } },
    { ...detail, inSample: { ...range, trades: [{ side: 2, entryBar: 1, exitBar: 1, open: true, return: 0 }] } },
    { ...detail, inSample: { ...range, trades: [{ side: 1, entryBar: 1, exitBar: 9, open: true, return: 0 }] } },
    { ...detail, inSample: { ...range, trades: Array.from({ length: MAX_DETAIL_TRADES + 1 }, () => range.trades[0]), tradeCount: MAX_DETAIL_TRADES + 1 } },
    { ...detail, inSample: { ...range, tradeCount: 0 } },
  ]) assert.ok(refused(bad), JSON.stringify(bad, (_k, v: unknown) => ArrayBuffer.isView(v) ? `typed[${(v as Int32Array).length}]` : v).slice(0, 200))
})
