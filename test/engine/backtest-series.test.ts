import { test } from 'node:test'
import assert from 'node:assert/strict'
import { backtestDetail } from '../../src/engine/backtest-detail.js'
import { packRangeSeries, seriesLength, unpackRangeSeries } from '../../src/engine/backtest-series.js'
import { createPrng } from '../../src/engine/prng.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { barsPerYear } from '../../src/engine/backtest.js'
import { isStratmeshError } from '../../src/protocol/errors.js'

const candles = syntheticCandles({ bars: 2000, seed: 9 })

function randomDetail (from: number, to: number): ReturnType<typeof backtestDetail> {
  const rng = createPrng(11)
  const levels = [-1, -0.5, 0, 0, 1]
  const positions = new Float64Array(candles.length)
  let w = 0
  for (let i = 0; i < positions.length; i++) {
    if (rng.next() < 0.05) w = levels[rng.int(levels.length)]
    positions[i] = w
  }
  return backtestDetail(candles, positions, from, to, { fee: 0.001, slippage: 0.0005 }, barsPerYear(candles.time))
}

test('a packed range unpacks to the same equity, drawdown and trades', () => {
  const d = randomDetail(300, 1700)
  assert.ok(d.trades.length > 5, 'the positions trade')
  const series = packRangeSeries(d)
  assert.equal(series.length, seriesLength(1400, d.trades.length))
  const back = unpackRangeSeries(series, 300, 1700, d.trades.length)
  assert.deepEqual(back.equity, d.equity)
  assert.deepEqual(back.drawdown, d.drawdown)
  assert.deepEqual(back.trades, d.trades)
})

test('unpacking refuses a series that does not fit the range (it comes from an evaluator)', () => {
  const d = randomDetail(0, 1000)
  const series = packRangeSeries(d)
  const refused = (s: unknown, tradeCount: number, what: string): void => {
    assert.throws(() => unpackRangeSeries(s, 0, 1000, tradeCount), e => isStratmeshError(e, 'EVAL_BAD_MESSAGE'), what)
  }
  refused(Array.from(series), d.trades.length, 'not a Float64Array')
  refused(series, d.trades.length + 1, 'a trade count the length does not hold')
  const badTrade = series.slice()
  badTrade[2 * 1000 + 1] = 1000
  refused(badTrade, d.trades.length, 'a trade leaving after the range')
  const badSide = series.slice()
  badSide[2 * 1000 + 2] = 0
  refused(badSide, d.trades.length, 'a trade of side 0')
  const badEquity = series.slice()
  badEquity[5] = NaN
  refused(badEquity, d.trades.length, 'an equity that is not a number')
})
