import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ti from 'technicalindicators'
import * as its from 'indicatorts'
import { sma, ema, wma } from '../../../src/engine/indicators/moving-averages.js'
import { RESYNC_INTERVAL } from '../../../src/engine/indicators/validate.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { assertClose, leadingNaNs, randomBars } from './random-series.js'

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs)
const PERIODS = [1, 2, 7, 20, 50]

test('hand-computed values and warm-up lengths', () => {
  const xs = f64([1, 2, 3, 4, 5])
  assert.deepEqual([...sma(xs, 3)], [NaN, NaN, 2, 3, 4])
  // alpha = 0.5, seed = mean(1, 2, 3) = 2, then 2 + 0.5 * (4 - 2) = 3, 3 + 0.5 * (5 - 3) = 4
  assert.deepEqual([...ema(xs, 3)], [NaN, NaN, 2, 3, 4])
  assert.deepEqual([...ema(f64([2, 4, 9]), 2)], [NaN, 3, 3 + (2 / 3) * 6])
  // weights 1, 2 over 3: (1 + 2*2) / 3, (2 + 2*3) / 3, ...
  assert.deepEqual([...wma(xs, 2)], [NaN, 5 / 3, 8 / 3, 11 / 3, 14 / 3])
  assert.deepEqual([...sma(xs, 1)], [...xs])
  assert.deepEqual([...sma(xs, 6)], [NaN, NaN, NaN, NaN, NaN])
  const { close } = randomBars(1, 300)
  for (const p of PERIODS) {
    for (const k of [sma, ema, wma]) assert.equal(leadingNaNs(k(close, p)), p - 1, `${k.name}(${p})`)
  }
})

test('sma agrees with technicalindicators and indicatorts', () => {
  const { close } = randomBars(11, 3000)
  const arr = [...close]
  for (const p of PERIODS) {
    const ours = sma(close, p)
    assertClose(`sma(${p}) vs ti`, ours, ti.SMA.calculate({ values: arr, period: p }), p - 1)
    // indicatorts averages the partial window during warm-up and returns full length.
    assertClose(`sma(${p}) vs indicatorts`, ours, its.sma(arr, { period: p }), p - 1)
  }
})

test('ema agrees with technicalindicators (SMA seed)', () => {
  const { close } = randomBars(12, 3000)
  for (const p of PERIODS) {
    assertClose(`ema(${p})`, ema(close, p), ti.EMA.calculate({ values: [...close], period: p }), p - 1)
  }
})

test('ema differs from indicatorts only by its first-value seed, which decays away', () => {
  // indicatorts seeds with src[0]; the seed's weight after k bars is (1 - alpha)^k, so far enough
  // out both must agree. This checks our recursion and alpha against a second implementation.
  const { close } = randomBars(13, 3000)
  const p = 10
  assertClose('ema(10) vs indicatorts, late bars', ema(close, p), its.ema([...close], { period: p }), 1000)
})

test('wma agrees with technicalindicators', () => {
  const { close } = randomBars(14, 3000)
  for (const p of PERIODS) {
    assertClose(`wma(${p})`, wma(close, p), ti.WMA.calculate({ values: [...close], period: p }), p - 1)
  }
})

test('rolling sums stay exact across resyncs on a long offset series', () => {
  const n = 3 * RESYNC_INTERVAL + 100
  const { close } = randomBars(15, n, 60000, 0.0001)
  const p = 30
  const s = sma(close, p); const w = wma(close, p)
  for (let i = p - 1; i < n; i++) {
    let sum = 0; let weighted = 0
    for (let j = 0; j < p; j++) { sum += close[i - p + 1 + j]; weighted += (j + 1) * close[i - p + 1 + j] }
    assert.ok(Math.abs(s[i] - sum / p) <= 1e-12 * sum / p, `sma bar ${i}`)
    assert.ok(Math.abs(w[i] - weighted / (p * (p + 1) / 2)) <= 1e-12 * sum / p, `wma bar ${i}`)
  }
})

test('a gap makes windowed averages NaN only while it is in the window', () => {
  const { close } = randomBars(16, 200)
  const p = 10; const gap = 50
  for (const bad of [NaN, Infinity, -Infinity]) {
    const src = close.slice(); src[gap] = bad
    for (const k of [sma, wma]) {
      const out = k(src, p); const clean = k(close, p)
      for (let i = 0; i < 200; i++) {
        if (i >= gap && i < gap + p) assert.ok(Number.isNaN(out[i]), `${k.name} bar ${i} inside the gap window`)
        else assert.ok(Math.abs(out[i] - clean[i]) <= 1e-12 * clean[i] || (Number.isNaN(out[i]) && i < p - 1), `${k.name} bar ${i}`)
      }
    }
  }
})

test('ema skips a gap bar as if it did not exist', () => {
  const { close } = randomBars(17, 200)
  const p = 8; const gap = 60
  const src = close.slice(); src[gap] = NaN
  const out = ema(src, p)
  const without = ema(Float64Array.from([...close.subarray(0, gap), ...close.subarray(gap + 1)]), p)
  assert.ok(Number.isNaN(out[gap]))
  for (let i = 0; i < 200; i++) {
    if (i === gap) continue
    const j = i < gap ? i : i - 1
    assert.ok(Object.is(out[i], without[j]) || out[i] === without[j], `bar ${i}`)
  }
})

test('chained averages start after the inner warm-up (ema of an sma)', () => {
  const { close } = randomBars(18, 500)
  const inner = sma(close, 20)
  const outer = ema(inner, 10)
  assert.equal(leadingNaNs(outer), 19 + 9)
  const tail = ema(inner.subarray(19), 10)
  assertClose('ema(sma)', outer, tail, 28, 0)
})

test('a bad period throws INDICATOR_BAD_PERIOD', () => {
  const xs = f64([1, 2, 3])
  for (const k of [sma, ema, wma]) {
    for (const p of [0, -1, 2.5, NaN, Infinity]) {
      assert.throws(() => k(xs, p), (e: unknown) => isStratmeshError(e, 'INDICATOR_BAD_PERIOD'), `${k.name}(${p})`)
    }
  }
})
