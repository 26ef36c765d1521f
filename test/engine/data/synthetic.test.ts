import { test } from 'node:test'
import assert from 'node:assert/strict'
import {
  syntheticMarket, syntheticCandles, defaultDataset, encodeDataset, datasetId, findCandleProblem,
  DEFAULT_DATASET_NAME, SYNTHETIC_DEFAULTS, REGIME_BULL, REGIME_BEAR, REGIME_SIDEWAYS,
} from '../../../src/engine/data/index.js'

// Generated once for the whole file: 500k bars take a fraction of a second.
const { candles: c, regimes } = syntheticMarket()
const n = c.length

function autocorrelation (x: Float64Array, lag: number): number {
  let mean = 0
  for (const v of x) mean += v
  mean /= x.length
  let num = 0; let den = 0
  for (let i = 0; i < x.length; i++) {
    den += (x[i] - mean) ** 2
    if (i >= lag) num += (x[i] - mean) * (x[i - lag] - mean)
  }
  return num / den
}

/** Correlation between the close's log distance from its SMA(len) and the log return over the next `ahead` bars. */
function deviationForecastCorrelation (close: Float64Array, len: number, ahead: number): number {
  let sx = 0; let sy = 0; let sxx = 0; let syy = 0; let sxy = 0; let m = 0; let sum = 0
  for (let i = 0; i < len; i++) sum += close[i]
  for (let i = len; i < close.length - ahead; i++) {
    const x = Math.log(close[i] / (sum / len)); const y = Math.log(close[i + ahead] / close[i])
    sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y; m++
    sum += close[i] - close[i - len]
  }
  return (sxy / m - (sx / m) * (sy / m)) / Math.sqrt((sxx / m - (sx / m) ** 2) * (syy / m - (sy / m) ** 2))
}

test('the default dataset: 500k one-minute bars, labelled synthetic', () => {
  const d = defaultDataset()
  assert.equal(d.name, DEFAULT_DATASET_NAME)
  assert.match(d.name, /synthetic/)
  assert.equal(d.candles.length, 500_000)
  assert.equal(n, SYNTHETIC_DEFAULTS.bars)
  assert.equal(c.time[0], Date.UTC(2023, 0, 1))
  for (let i = 1; i < n; i++) if (c.time[i] - c.time[i - 1] !== 60_000) assert.fail(`bar ${i} is not one minute after the previous`)
})

test('deterministic: the same options give byte-identical datasets, pinned so a change to the model is deliberate', () => {
  const again = encodeDataset(syntheticCandles())
  assert.equal(datasetId(encodeDataset(c)), datasetId(again))
  // Changing these means every job on the default dataset gets a new dataset id: bump on purpose.
  assert.equal(datasetId(again), '6932b9b66a3b037efd395280261108443ca3b66129602137f38ad19228b1b12a')
  assert.equal(datasetId(encodeDataset(syntheticCandles({ bars: 5000, seed: 7 }))), 'b6d42ff262f1d0fe0dfc7c479304dc40d618f47a8444032844dcfa6739291ad9')
  assert.notEqual(datasetId(encodeDataset(syntheticCandles({ bars: 5000, seed: 8 }))), datasetId(encodeDataset(syntheticCandles({ bars: 5000, seed: 7 }))))
  // A shorter run is a prefix of a longer one with the same seed.
  const short = syntheticCandles({ bars: 1000 })
  assert.deepEqual([...short.close], [...c.close.subarray(0, 1000)])
})

test('OHLC sanity: positive tick prices, open = previous close, high and low bound open and close', () => {
  assert.equal(findCandleProblem(c), null)
  for (let i = 0; i < n; i++) {
    const o = c.open[i]; const h = c.high[i]; const l = c.low[i]; const cl = c.close[i]
    if (!(l > 0 && h >= Math.max(o, cl) && l <= Math.min(o, cl) && c.volume[i] >= 0)) assert.fail(`bar ${i}: ${o} ${h} ${l} ${cl}`)
    if (i > 0 && o !== c.close[i - 1]) assert.fail(`bar ${i} does not open at the previous close`)
    if (Math.abs(cl * 100 - Math.round(cl * 100)) > 1e-6) assert.fail(`bar ${i} close ${cl} is not on the 0.01 tick`)
  }
  // Intrabar paths: most bars have a range beyond their body.
  let wicks = 0
  for (let i = 0; i < n; i++) if (c.high[i] > Math.max(c.open[i], c.close[i]) && c.low[i] < Math.min(c.open[i], c.close[i])) wicks++
  assert.ok(wicks > 0.5 * n, `${wicks} bars with both wicks`)
})

test('volatility clusters: absolute returns are clearly autocorrelated, returns themselves barely', () => {
  const r = new Float64Array(n - 1)
  for (let i = 1; i < n; i++) r[i - 1] = Math.log(c.close[i] / c.close[i - 1])
  const abs = r.map(Math.abs)
  assert.ok(autocorrelation(abs, 1) > 0.15, `lag 1: ${autocorrelation(abs, 1)}`)
  assert.ok(autocorrelation(abs, 60) > 0.1, `lag 60: ${autocorrelation(abs, 60)}`)
  assert.ok(Math.abs(autocorrelation(r, 1)) < 0.05, `returns lag 1: ${autocorrelation(r, 1)}`)
})

test('regimes persist for hours to days, and each has its own drift', () => {
  const runs = [0, 0, 0]; const bars = [0, 0, 0]; const sum = [0, 0, 0]
  for (let i = 0; i < n; i++) {
    if (i === 0 || regimes[i] !== regimes[i - 1]) runs[regimes[i]]++
    bars[regimes[i]]++
    if (i > 0) sum[regimes[i]] += Math.log(c.close[i] / c.close[i - 1])
  }
  for (const k of [REGIME_BULL, REGIME_BEAR, REGIME_SIDEWAYS]) {
    const meanLength = bars[k] / runs[k]
    assert.ok(runs[k] >= 20 && meanLength > 600 && meanLength < 6000, `regime ${k}: ${runs[k]} runs of ${meanLength} bars`)
  }
  // Mean log return per bar, in units of the 1-minute volatility (about 7e-4).
  assert.ok(sum[REGIME_BULL] / bars[REGIME_BULL] > 1e-5)
  assert.ok(sum[REGIME_BEAR] / bars[REGIME_BEAR] < -1e-5)
  assert.ok(Math.abs(sum[REGIME_SIDEWAYS] / bars[REGIME_SIDEWAYS]) < 5e-6)
})

test('there is something to find: trends over half-days, mean reversion within the hour', () => {
  // Trend following: being above the daily average predicts a rise over the next 12 hours.
  assert.ok(deviationForecastCorrelation(c.close, 1440, 720) > 0.05)
  // Mean reversion: being above the hourly average predicts a fall over the next half hour.
  assert.ok(deviationForecastCorrelation(c.close, 60, 30) < -0.03)
})

test('volume follows the time of day', () => {
  const byHour = new Float64Array(24)
  for (let i = 0; i < n; i++) byHour[new Date(c.time[i]).getUTCHours()] += c.volume[i]
  // The US session (14-16 UTC) trades clearly more than the Asian night (2-4 UTC).
  assert.ok(byHour[14] + byHour[15] > 1.5 * (byHour[2] + byHour[3]), `${byHour[14] + byHour[15]} vs ${byHour[2] + byHour[3]}`)
})

test('options are checked', () => {
  assert.throws(() => syntheticCandles({ bars: 1 }), RangeError)
  assert.throws(() => syntheticCandles({ startTime: 1000 }), RangeError)
  assert.throws(() => syntheticCandles({ startPrice: 0 }), RangeError)
  const custom = syntheticCandles({ bars: 10, startTime: Date.UTC(2020, 5, 1), startPrice: 100 })
  assert.equal(custom.time[0], Date.UTC(2020, 5, 1))
  assert.equal(custom.open[0], 100)
})
