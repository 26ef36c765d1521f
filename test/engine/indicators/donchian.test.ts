import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ti from 'technicalindicators'
import * as its from 'indicatorts'
import { donchian } from '../../../src/engine/indicators/donchian.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { assertClose, leadingNaNs, randomBars } from './random-series.js'

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs)

test('hand-computed channel', () => {
  const high = f64([5, 7, 6, 4, 8]); const low = f64([3, 4, 2, 3, 5])
  const { upper, lower, middle } = donchian(high, low, 3)
  assert.deepEqual([...upper], [NaN, NaN, 7, 7, 8])
  assert.deepEqual([...lower], [NaN, NaN, 2, 2, 2])
  assert.deepEqual([...middle], [NaN, NaN, 4.5, 4.5, 5])
})

test('donchian agrees with indicatorts mmax/mmin/dc and technicalindicators Highest/Lowest', () => {
  const { high, low, close } = randomBars(51, 3000)
  for (const p of [1, 2, 10, 55]) {
    const ours = donchian(high, low, p)
    assert.equal(leadingNaNs(ours.upper), p - 1)
    assertClose(`upper(${p}) vs indicatorts`, ours.upper, its.mmax([...high], { period: p }), p - 1, 0)
    assertClose(`lower(${p}) vs indicatorts`, ours.lower, its.mmin([...low], { period: p }), p - 1, 0)
    assertClose(`upper(${p}) vs ti`, ours.upper, ti.Highest.calculate({ values: [...high], period: p }), p - 1, 0)
    assertClose(`lower(${p}) vs ti`, ours.lower, ti.Lowest.calculate({ values: [...low], period: p }), p - 1, 0)
    const one = donchian(close, close, p)
    const ref = its.dc([...close], { period: p })
    assertClose(`dc(${p}) middle`, one.middle, ref.middle, p - 1, 0)
  }
})

test('monotone series exercise the deques at both ends', () => {
  const up = Float64Array.from({ length: 100 }, (_, i) => i)
  const down = Float64Array.from({ length: 100 }, (_, i) => 100 - i)
  const a = donchian(up, up, 7); const b = donchian(down, down, 7)
  for (let i = 6; i < 100; i++) {
    assert.deepEqual([a.upper[i], a.lower[i], b.upper[i], b.lower[i]], [i, i - 6, 106 - i, 100 - i])
  }
})

test('a gap in high or low blanks the windows that contain it', () => {
  const { high, low } = randomBars(52, 100)
  const h = high.slice(); h[40] = NaN
  const l = low.slice(); l[60] = Infinity
  const out = donchian(h, l, 5); const clean = donchian(high, low, 5)
  for (let i = 4; i < 100; i++) {
    const blank = (i >= 40 && i < 45) || (i >= 60 && i < 65)
    if (blank) assert.ok(Number.isNaN(out.upper[i]) && Number.isNaN(out.lower[i]), `bar ${i}`)
    else assert.deepEqual([out.upper[i], out.lower[i]], [clean.upper[i], clean.lower[i]], `bar ${i}`)
  }
})

test('bad arguments throw stable codes', () => {
  const xs = f64([1, 2, 3])
  for (const p of [0, 1.5, NaN]) assert.throws(() => donchian(xs, xs, p), (e: unknown) => isStratmeshError(e, 'INDICATOR_BAD_PERIOD'))
  assert.throws(() => donchian(xs, f64([1]), 2), (e: unknown) => isStratmeshError(e, 'INDICATOR_LENGTH_MISMATCH'))
})
