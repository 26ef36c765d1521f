import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ti from 'technicalindicators'
import { macd } from '../../../src/engine/indicators/macd.js'
import { ema } from '../../../src/engine/indicators/moving-averages.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { assertClose, leadingNaNs, randomBars } from './random-series.js'

test('macd agrees with technicalindicators (EMA oscillator and signal)', () => {
  const { close } = randomBars(41, 3000)
  for (const [f, s, g] of [[12, 26, 9], [3, 10, 4], [8, 5, 1]]) {
    const ours = macd(close, f, s, g)
    const ref = ti.MACD.calculate({ values: [...close], fastPeriod: f, slowPeriod: s, signalPeriod: g, SimpleMAOscillator: false, SimpleMASignal: false })
    const w = Math.max(f, s)
    assert.equal(leadingNaNs(ours.macd), w - 1)
    assert.equal(leadingNaNs(ours.signal), w + g - 2)
    assert.equal(leadingNaNs(ours.histogram), w + g - 2)
    // Near-zero lines: errors are measured against the price scale (~100), not the line itself.
    assertClose(`macd(${f},${s},${g}) line`, ours.macd, ref.map(r => r.MACD ?? NaN), w - 1, 1e-9, 1)
    assertClose(`macd(${f},${s},${g}) signal`, ours.signal, ref.map(r => r.signal ?? NaN), w + g - 2, 1e-9, 1)
    assertClose(`macd(${f},${s},${g}) histogram`, ours.histogram, ref.map(r => r.histogram ?? NaN), w + g - 2, 1e-9, 1)
  }
})

test('lines are consistent: macd = ema(fast) - ema(slow), histogram = macd - signal', () => {
  const { close } = randomBars(42, 500)
  const { macd: line, signal, histogram } = macd(close, 4, 9, 3)
  const f = ema(close, 4); const s = ema(close, 9)
  for (let i = 8; i < 500; i++) assert.equal(line[i], f[i] - s[i])
  for (let i = 10; i < 500; i++) assert.equal(histogram[i], line[i] - signal[i])
  // hand-check the signal seed: the mean of the first 3 defined macd values
  assert.ok(Math.abs(signal[10] - (line[8] + line[9] + line[10]) / 3) < 1e-15)
})

test('a fast period above the slow one still works (warm-up is the longer one)', () => {
  const { close } = randomBars(43, 200)
  assert.equal(leadingNaNs(macd(close, 20, 5, 3).macd), 19)
})

test('a bad period throws INDICATOR_BAD_PERIOD naming the parameter', () => {
  const xs = Float64Array.from([1, 2, 3])
  for (const [args, param] of [[[0, 26, 9], 'fast'], [[12, 2.5, 9], 'slow'], [[12, 26, -1], 'signal']] as const) {
    assert.throws(() => macd(xs, args[0], args[1], args[2]), (e: unknown) => isStratmeshError(e, 'INDICATOR_BAD_PERIOD') && e.details?.param === param)
  }
})
