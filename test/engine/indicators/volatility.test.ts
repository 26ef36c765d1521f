import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ti from 'technicalindicators'
import * as its from 'indicatorts'
import { stdev, atr, bollinger } from '../../../src/engine/indicators/volatility.js'
import { sma } from '../../../src/engine/indicators/moving-averages.js'
import { RESYNC_INTERVAL } from '../../../src/engine/indicators/validate.js'
import { createPrng } from '../../../src/engine/prng.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { assertClose, leadingNaNs, randomBars } from './random-series.js'
import type { ErrorCode } from '../../../src/protocol/error-codes.js'

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs)

/**
 * Corrected two-pass population standard deviation of one window (Bjorck): subtracting
 * (sum of deviations)^2 / p cancels the rounding of the mean, which at 60000 +- 1e-6 would
 * otherwise dominate. The reference the kernel must match.
 */
function windowStdev (xs: Float64Array, end: number, p: number): number {
  let mean = 0
  for (let j = end - p + 1; j <= end; j++) mean += xs[j]
  mean /= p
  let s = 0; let m2 = 0
  for (let j = end - p + 1; j <= end; j++) { const d = xs[j] - mean; s += d; m2 += d * d }
  return Math.sqrt(Math.max(0, m2 - s * s / p) / p)
}

test('stdev: hand-computed values and warm-up', () => {
  // windows (2,4,4,4) -> mean 3.5, deviations^2 2.25+0.25*3 = 3 -> sqrt(3/4)
  const out = stdev(f64([2, 4, 4, 4, 5, 5, 7, 9]), 4)
  assert.equal(leadingNaNs(out), 3)
  assert.equal(out[3], Math.sqrt(0.75))
  assert.equal(stdev(f64([2, 4, 4, 4, 5, 5, 7, 9]), 8)[7], 2) // the classic population example
  assert.deepEqual([...stdev(f64([5, 5, 5, 5]), 2)], [NaN, 0, 0, 0])
})

test('stdev agrees with indicatorts mstd and technicalindicators SD (both population)', () => {
  const { close } = randomBars(21, 3000)
  for (const p of [2, 5, 20, 60]) {
    const ours = stdev(close, p)
    assertClose(`stdev(${p}) vs indicatorts`, ours, its.mstd([...close], { period: p }), p - 1)
    assertClose(`stdev(${p}) vs ti`, ours, ti.SD.calculate({ values: [...close], period: p }), p - 1)
  }
})

test('stdev keeps its precision on a large offset (60000 +- 1) across resyncs', () => {
  const n = 2 * RESYNC_INTERVAL + 500
  const r = createPrng(22)
  const xs = new Float64Array(n)
  for (let i = 0; i < n; i++) xs[i] = 60000 + (2 * r.next() - 1)
  const p = 20
  const ours = stdev(xs, p)
  let naiveWorst = 0
  for (let i = p - 1; i < n; i++) {
    const ref = windowStdev(xs, i, p)
    assert.ok(Math.abs(ours[i] - ref) <= 1e-9 * ref, `bar ${i}: ${ours[i]} vs ${ref}`)
    // The sum-of-squares formula this guards against, to show the test can tell the difference.
    let s = 0; let s2 = 0
    for (let j = i - p + 1; j <= i; j++) { s += xs[j]; s2 += xs[j] * xs[j] }
    const naive = Math.sqrt(Math.max(0, s2 / p - (s / p) ** 2))
    naiveWorst = Math.max(naiveWorst, Math.abs(naive - ref) / ref)
  }
  assert.ok(naiveWorst > 1e-6, `the naive formula should fail here, worst relative error ${naiveWorst}`)
})

test('stdev follows a trending series (random walk at 60000) to 1e-9', () => {
  const { close } = randomBars(23, RESYNC_INTERVAL + 1000, 60000, 0.002)
  const p = 50
  const ours = stdev(close, p)
  for (let i = p - 1; i < close.length; i++) {
    const ref = windowStdev(close, i, p)
    assert.ok(Math.abs(ours[i] - ref) <= 1e-9 * ref, `bar ${i}`)
  }
})

test('stdev stays relatively exact in quiet windows after a volatile stretch', () => {
  // Absolute rounding left by +-1000 swings would swamp a variance of 1e-12 without the budget check.
  const r = createPrng(27)
  const xs = new Float64Array(3000)
  for (let i = 0; i < 3000; i++) xs[i] = 60000 + (i % 1000 < 500 ? 1000 * r.normal() : 1e-6 * r.normal())
  for (const p of [2, 10, 40]) {
    const ours = stdev(xs, p)
    for (let i = p - 1; i < 3000; i++) {
      const ref = windowStdev(xs, i, p)
      assert.ok(Math.abs(ours[i] - ref) <= 1e-9 * ref, `stdev(${p}) bar ${i}: ${ours[i]} vs ${ref}`)
    }
  }
})

test('stdev recovers after a gap leaves the window', () => {
  const { close } = randomBars(24, 300)
  const src = close.slice(); src[100] = NaN
  const p = 15
  const out = stdev(src, p)
  for (let i = 100; i < 115; i++) assert.ok(Number.isNaN(out[i]))
  for (let i = 115; i < 300; i++) assert.ok(Math.abs(out[i] - windowStdev(close, i, p)) <= 1e-9 * out[i], `bar ${i}`)
})

test('atr: hand-computed Wilder values', () => {
  const high = f64([10, 11, 12, 11])
  const low = f64([9, 9, 10, 8])
  const close = f64([9.5, 10, 11, 9])
  // TR: bar1 max(2, 1.5, 0.5) = 2, bar2 max(2, 2, 0) = 2, bar3 max(3, 0, 3) = 3
  // atr(2): bar2 = (2 + 2) / 2 = 2, bar3 = 2 + (3 - 2) / 2 = 2.5
  assert.deepEqual([...atr(high, low, close, 2)], [NaN, NaN, 2, 2.5])
})

test('atr agrees with technicalindicators (Wilder, first bar has no true range)', () => {
  const { high, low, close } = randomBars(25, 3000)
  for (const p of [1, 5, 14, 40]) {
    const ours = atr(high, low, close, p)
    assert.equal(leadingNaNs(ours), p)
    assertClose(`atr(${p})`, ours, ti.ATR.calculate({ high: [...high], low: [...low], close: [...close], period: p }), p)
  }
})

test('atr skips a bar with a NaN field and measures the next range from the last finite close', () => {
  const high = f64([10, 11, 12, 20, 11]); const low = f64([9, 9, 10, NaN, 8]); const close = f64([9.5, 10, 11, 15, 9])
  const out = atr(high, low, close, 2)
  assert.ok(Number.isNaN(out[3]))
  // bar4 range against close 11: max(3, 0, 3) = 3
  assert.deepEqual([out[2], out[4]], [2, 2.5])
})

test('bollinger agrees with technicalindicators (any mult) and indicatorts (mult 2)', () => {
  const { close } = randomBars(26, 3000)
  for (const [p, m] of [[20, 2], [10, 2.5], [5, 0]] as const) {
    const ours = bollinger(close, p, m)
    const ref = ti.BollingerBands.calculate({ values: [...close], period: p, stdDev: m })
    assertClose(`upper(${p},${m})`, ours.upper, ref.map(r => r.upper), p - 1)
    assertClose(`middle(${p},${m})`, ours.middle, ref.map(r => r.middle), p - 1)
    assertClose(`lower(${p},${m})`, ours.lower, ref.map(r => r.lower), p - 1)
    assert.deepEqual(ours.middle, sma(close, p))
  }
  const ours = bollinger(close, 20, 2)
  const ref = its.bb([...close], { period: 20 })
  assertClose('upper vs indicatorts', ours.upper, ref.upper, 19)
  assertClose('lower vs indicatorts', ours.lower, ref.lower, 19)
})

test('bad arguments throw stable codes', () => {
  const xs = f64([1, 2, 3])
  const code = (c: ErrorCode) => (e: unknown) => isStratmeshError(e, c)
  for (const p of [0, -3, 1.5, NaN]) {
    assert.throws(() => stdev(xs, p), code('INDICATOR_BAD_PERIOD'))
    assert.throws(() => atr(xs, xs, xs, p), code('INDICATOR_BAD_PERIOD'))
    assert.throws(() => bollinger(xs, p, 2), code('INDICATOR_BAD_PERIOD'))
  }
  for (const m of [-1, NaN, Infinity]) assert.throws(() => bollinger(xs, 2, m), code('INDICATOR_BAD_PARAM'))
  assert.throws(() => atr(xs, xs, f64([1, 2]), 2), code('INDICATOR_LENGTH_MISMATCH'))
})
