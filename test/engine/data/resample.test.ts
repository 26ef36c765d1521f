import { test } from 'node:test'
import assert from 'node:assert/strict'
import { resampleCandles } from '../../../src/engine/data/resample.js'
import { findCandleProblem } from '../../../src/engine/data/candle-check.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import type { Candles } from '../../../src/protocol/types.js'
import { walkBars } from '../../helpers/walk-bars.js'

const MIN = 60_000
const HOUR = 60 * MIN
const DAY = 24 * HOUR
const T0 = Date.UTC(2024, 2, 4) // a Monday, 00:00 UTC

/** Hand-made bars at the given open times: prices from a seeded walk, volumes 1, 2, 3, … */
function bars (times: readonly number[], seed = 1): Candles {
  return walkBars(times, seed, i => i + 1)
}

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = []
  for (let t = from; t < to; t += step) out.push(t)
  return out
}

/** The bar of bucket [start, start + tf) computed the obvious way, from the source rows in it. */
function expectedBar (src: Candles, start: number, tf: number): number[] {
  const rows = [...src.time.keys()].filter(i => src.time[i] >= start && src.time[i] < start + tf)
  assert.ok(rows.length > 0)
  let volume = 0
  for (const i of rows) volume += src.volume[i]
  return [start, src.open[rows[0]], Math.max(...rows.map(i => src.high[i])), Math.min(...rows.map(i => src.low[i])), src.close[rows[rows.length - 1]], volume]
}

const barAt = (c: Candles, k: number): number[] => [c.time[k], c.open[k], c.high[k], c.low[k], c.close[k], c.volume[k]]

test('1m to 1h: one bar per UTC hour, open first, high max, low min, close last, volume summed', () => {
  const src = bars(range(T0, T0 + 3 * HOUR, MIN))
  const { candles, report } = resampleCandles(src, '1h')
  assert.equal(candles.length, 3)
  for (let k = 0; k < 3; k++) assert.deepEqual(barAt(candles, k), expectedBar(src, T0 + k * HOUR, HOUR))
  assert.deepEqual({ ...report, largestGap: null }, { timeframe: '1h', sourceBars: 180, sourceStep: '1m', bars: 3, droppedPartialFirst: false, droppedPartialLast: false, gaps: 0, largestGap: null })
  assert.equal(findCandleProblem(candles), null)
})

test('a bar belongs to the bucket holding its open time: a 15m bar opening on the hour starts the next bucket', () => {
  const src = bars(range(T0, T0 + 2 * HOUR, 15 * MIN))
  const { candles } = resampleCandles(src, '1h')
  assert.deepEqual([...candles.time], [T0, T0 + HOUR])
  assert.equal(candles.open[1], src.open[4]) // the 01:00 bar opens the second hour
  assert.equal(candles.close[0], src.close[3]) // the 00:45 bar closes the first
})

test('buckets are UTC multiples of the timeframe, whatever the data\'s first bar', () => {
  const src = bars(range(T0 + 3 * HOUR, T0 + 3 * HOUR + 2 * DAY, HOUR))
  const { candles } = resampleCandles(src, '4h')
  // 03:00 is inside the 00:00-04:00 bucket, which is partial and dropped; then 04:00, 08:00, …
  assert.equal(candles.time[0], T0 + 4 * HOUR)
  for (const t of candles.time) assert.equal(t % (4 * HOUR), 0)
})

test('weekly buckets start on Monday 00:00 UTC', () => {
  const src = bars(range(T0 - 3 * DAY, T0 + 21 * DAY, DAY))
  const { candles, report } = resampleCandles(src, '1w')
  assert.ok(report.droppedPartialFirst, 'the data starts on a Friday')
  assert.deepEqual([...candles.time], [T0, T0 + 7 * DAY, T0 + 14 * DAY])
  for (const t of candles.time) assert.equal(new Date(t).getUTCDay(), 1)
  assert.deepEqual(barAt(candles, 1), expectedBar(src, T0 + 7 * DAY, 7 * DAY))
})

test('an hour with no source bar is absent and reported as a gap; an hour missing a few minutes is kept', () => {
  const times = range(T0, T0 + 4 * HOUR, MIN).filter(t => !(t >= T0 + 2 * HOUR && t < T0 + 3 * HOUR) && t !== T0 + 10 * MIN && t !== T0 + 11 * MIN)
  const src = bars(times)
  const { candles, report } = resampleCandles(src, '1h')
  assert.deepEqual([...candles.time], [T0, T0 + HOUR, T0 + 3 * HOUR])
  assert.deepEqual(barAt(candles, 0), expectedBar(src, T0, HOUR))
  assert.equal(report.gaps, 1)
  assert.deepEqual(report.largestGap, { fromTime: T0 + HOUR, toTime: T0 + 3 * HOUR, ms: 2 * HOUR })
})

test('partial buckets at both ends are dropped; complete ones are kept', () => {
  // From 00:37 to 03:29: the 00:00 hour lacks its start and the 03:00 hour its end.
  const partial = resampleCandles(bars(range(T0 + 37 * MIN, T0 + 3 * HOUR + 30 * MIN, MIN)), '1h')
  assert.deepEqual([...partial.candles.time], [T0 + HOUR, T0 + 2 * HOUR])
  assert.equal(partial.report.droppedPartialFirst, true)
  assert.equal(partial.report.droppedPartialLast, true)
  // From 00:00 to 02:59: both ends complete, so both are kept.
  const whole = resampleCandles(bars(range(T0, T0 + 3 * HOUR, MIN)), '1h')
  assert.equal(whole.candles.length, 3)
  assert.equal(whole.report.droppedPartialFirst, false)
  assert.equal(whole.report.droppedPartialLast, false)
  // The last bucket is complete when its last source bar is there, even if bars inside it are missing.
  const holed = resampleCandles(bars(range(T0, T0 + 3 * HOUR, MIN).filter(t => t !== T0 + 2 * HOUR + 30 * MIN)), '1h')
  assert.equal(holed.candles.length, 3)
  // Missing only the last minute makes it incomplete.
  const cut = resampleCandles(bars(range(T0, T0 + 3 * HOUR - MIN, MIN)), '1h')
  assert.equal(cut.candles.length, 2)
})

test('refuses a timeframe finer than the bars, not a multiple of their step, or not a timeframe, naming --timeframe', () => {
  const fiveMinute = bars(range(T0, T0 + DAY, 5 * MIN))
  for (const [tf, words] of [['1m', 'finer'], ['7m', 'not a whole multiple'], ['90s', 'finer'], ['1M', 'not a timeframe'], ['0h', 'not a timeframe'], ['h', 'not a timeframe'], ['2d', 'leaves 0 complete bars']] as const) {
    assert.throws(() => resampleCandles(fiveMinute, tf), (err: unknown) => {
      assert.ok(isStratmeshError(err, 'TIMEFRAME_INVALID'), String(err))
      assert.match(err.message, /^--timeframe /)
      assert.ok(err.message.includes(words), `${tf}: ${err.message}`)
      return true
    })
  }
  // The step is the smallest interval, so a gap does not make a finer timeframe look acceptable.
  const gappy = bars([T0, T0 + 5 * MIN, T0 + HOUR, T0 + HOUR + 5 * MIN])
  assert.throws(() => resampleCandles(gappy, '3m'), (err: unknown) => isStratmeshError(err, 'TIMEFRAME_INVALID'))
})

test('the same source gives the same bits', () => {
  const src = bars(range(T0, T0 + 5 * DAY, MIN), 7)
  const a = resampleCandles(src, '15m').candles
  const b = resampleCandles(bars(range(T0, T0 + 5 * DAY, MIN), 7), '15m').candles
  for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) assert.deepEqual(a[k], b[k])
  assert.equal(a.length, 5 * 96)
})
