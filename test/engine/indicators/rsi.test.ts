import { test } from 'node:test'
import assert from 'node:assert/strict'
import * as ti from 'technicalindicators'
import { rsi } from '../../../src/engine/indicators/rsi.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { assertClose, leadingNaNs, randomBars } from './random-series.js'

const f64 = (xs: number[]): Float64Array => Float64Array.from(xs)

/** Wilder's RSI written the long way, from his definition, with no shared code. */
function referenceRsi (xs: Float64Array, p: number): Float64Array {
  const out = new Float64Array(xs.length).fill(NaN)
  const gains: number[] = []; const losses: number[] = []
  for (let i = 1; i < xs.length; i++) {
    gains.push(Math.max(xs[i] - xs[i - 1], 0))
    losses.push(Math.max(xs[i - 1] - xs[i], 0))
  }
  let g = 0; let l = 0
  for (let k = 0; k < gains.length; k++) {
    if (k < p) { g += gains[k] / p; l += losses[k] / p } else { g = (g * (p - 1) + gains[k]) / p; l = (l * (p - 1) + losses[k]) / p }
    if (k >= p - 1) out[k + 1] = l === 0 ? (g === 0 ? 50 : 100) : 100 - 100 / (1 + g / l)
  }
  return out
}

test('hand-computed values, warm-up and the flat-series convention', () => {
  // changes +1, +1, -1: seed gain 1 loss 0 -> 100; then gain 0.5, loss 0.5 -> 50
  assert.deepEqual([...rsi(f64([1, 2, 3, 2]), 2)], [NaN, NaN, 100, 50])
  assert.deepEqual([...rsi(f64([3, 2, 1]), 2)], [NaN, NaN, 0])
  assert.deepEqual([...rsi(f64([7, 7, 7, 7]), 2)], [NaN, NaN, 50, 50])
  const { close } = randomBars(31, 200)
  for (const p of [1, 2, 14, 30]) assert.equal(leadingNaNs(rsi(close, p)), p)
})

test('rsi agrees with a from-the-definition reference to 1e-9', () => {
  const { close } = randomBars(32, 3000)
  for (const p of [1, 2, 7, 14, 50]) assertClose(`rsi(${p})`, rsi(close, p), referenceRsi(close, p), p)
})

test('rsi agrees with technicalindicators to its 2-decimal rounding', () => {
  // technicalindicators rounds RSI with toFixed(2), so it cannot be a 1e-9 oracle.
  const { close } = randomBars(33, 3000)
  for (const p of [2, 14, 50]) {
    const ours = rsi(close, p)
    const ref = ti.RSI.calculate({ values: [...close], period: p })
    const offset = ours.length - ref.length
    assert.equal(offset, p)
    for (let i = p; i < ours.length; i++) assert.ok(Math.abs(ours[i] - ref[i - offset]) <= 0.005 + 1e-9, `rsi(${p}) bar ${i}`)
  }
})

test('a gap is skipped: the next change is measured from the last finite value', () => {
  const out = rsi(f64([1, 2, NaN, 3, 2]), 2)
  assert.ok(Number.isNaN(out[2]))
  assert.deepEqual([out[3], out[4]], [100, 50])
})

test('a bad period throws INDICATOR_BAD_PERIOD', () => {
  for (const p of [0, -1, 2.5, NaN]) {
    assert.throws(() => rsi(f64([1, 2, 3]), p), (e: unknown) => isStratmeshError(e, 'INDICATOR_BAD_PERIOD'))
  }
})
