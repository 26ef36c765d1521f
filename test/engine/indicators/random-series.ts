// Seeded random inputs and comparison helpers shared by the indicator tests.
import assert from 'node:assert/strict'
import { createPrng } from '../../../src/engine/prng.js'

export interface RandomBars { close: Float64Array, high: Float64Array, low: Float64Array }

/** A geometric random walk around `base` with highs and lows that bracket open and close. */
export function randomBars (seed: number, n: number, base = 100, vol = 0.01): RandomBars {
  const r = createPrng(seed)
  const close = new Float64Array(n); const high = new Float64Array(n); const low = new Float64Array(n)
  let price = base
  for (let i = 0; i < n; i++) {
    const open = price
    price *= Math.exp(vol * r.normal())
    close[i] = price
    high[i] = Math.max(open, price) * (1 + vol * r.next())
    low[i] = Math.min(open, price) * (1 - vol * r.next())
  }
  return { close, high, low }
}

/** Counts the leading NaNs of a series. */
export function leadingNaNs (xs: ArrayLike<number>): number {
  let k = 0
  while (k < xs.length && Number.isNaN(xs[k])) k++
  return k
}

/**
 * Asserts that `ours` equals `theirs` to `rel` relative error on every bar from `from`, where
 * `theirs` may be a library's shorter output that ends at the same bar as ours. `scale` floors the
 * denominator for values that cross zero (macd), where a relative error means nothing.
 */
export function assertClose (name: string, ours: Float64Array, theirs: ArrayLike<number>, from: number, rel = 1e-9, scale = 0): void {
  const offset = ours.length - theirs.length
  assert.ok(offset >= 0, `${name}: the reference is longer than our output`)
  assert.ok(from < ours.length, `${name}: nothing to compare`)
  for (let i = from; i < ours.length; i++) {
    const a = ours[i]; const b = theirs[i - offset]
    const tol = rel * Math.max(Math.abs(b), scale)
    assert.ok(Math.abs(a - b) <= tol, `${name}: bar ${i}: ours ${a}, reference ${b}, |diff| ${Math.abs(a - b)} > ${tol}`)
  }
}
