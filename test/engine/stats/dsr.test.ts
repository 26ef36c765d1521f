import { test } from 'node:test'
import assert from 'node:assert/strict'
import { normalCdf, normalQuantile } from '../../../src/engine/stats/normal.js'
import { deflatedSharpe, expectedMaxSharpe } from '../../../src/engine/stats/dsr.js'
import { returnMoments } from '../../../src/engine/stats/moments.js'
import { createPrng } from '../../../src/engine/prng.js'

// An independent normal distribution for the cross-check, sharing nothing with the engine's series:
// Simpson's rule on the density (error ~1e-12 with these steps) and its inverse by bisection.
function cdfBySimpson (x: number): number {
  const steps = 1000
  const h = x / steps
  const f = (t: number): number => Math.exp(-t * t / 2) / Math.sqrt(2 * Math.PI)
  let s = f(0) + f(x)
  for (let k = 1; k < steps; k++) s += (k % 2 === 1 ? 4 : 2) * f(k * h)
  return 0.5 + s * h / 3
}

function quantileByBisection (p: number): number {
  let lo = -9; let hi = 9
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2
    if (cdfBySimpson(mid) < p) lo = mid; else hi = mid
  }
  return (lo + hi) / 2
}

/** The DSR as the paper writes it, computed with the independent distribution above. */
function dsrByHand (sr: number, t: number, skew: number, kurt: number, n: number, v: number): number {
  const sr0 = Math.sqrt(v) * ((1 - 0.5772156649) * quantileByBisection(1 - 1 / n) + 0.5772156649 * quantileByBisection(1 - 1 / (n * Math.E)))
  return cdfBySimpson((sr - sr0) * Math.sqrt(t - 1) / Math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr * sr))
}

test('normalCdf and normalQuantile match known values and invert each other', () => {
  assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-16)
  assert.ok(Math.abs(normalCdf(1.959963984540054) - 0.975) < 1e-15)
  assert.ok(Math.abs(normalCdf(-1) - 0.15865525393145707) < 1e-15)
  assert.ok(Math.abs(normalCdf(-6) - 9.865876450376981e-10) < 1e-22)
  assert.ok(Math.abs(normalQuantile(1e-6) + 4.753424308822899) < 1e-9)
  assert.ok(Math.abs(normalQuantile(0.99) - 2.3263478740408408) < 1e-13)
  for (const p of [1e-12, 1e-6, 0.01, 0.02425, 0.3, 0.5, 0.77, 0.97575, 0.999, 1 - 1e-9]) {
    const x = normalQuantile(p)
    assert.ok(Math.abs(normalCdf(x) - p) < 1e-14 * Math.max(1, 1 / p), `p ${p}`)
    if (p > 1e-3 && p < 1 - 1e-3) assert.ok(Math.abs(x - quantileByBisection(p)) < 1e-9, `p ${p}: ${x}`)
  }
  for (let x = -8; x <= 8; x += 0.37) assert.ok(Math.abs(normalCdf(x) - cdfBySimpson(x)) < 1e-11, `x ${x}`)
})

test('the paper\'s numerical example: SR0 0.1132 and DSR 0.9004', () => {
  // Bailey & Lopez de Prado (2014), section "A numerical example": 100 trials, variance of the
  // annualised Sharpe ratios 1/2, best annualised SR 2.5 over 5 years of daily returns (T 1250),
  // skewness -3 and kurtosis 10; 250 bars a year de-annualise.
  const v = 0.5 / 250
  const sr = 2.5 / Math.sqrt(250)
  assert.equal(expectedMaxSharpe(100, v).toFixed(4), '0.1132')
  const dsr = deflatedSharpe({ sharpe: sr, bars: 1250, skew: -3, kurtosis: 10, trials: 100, variance: v })
  assert.equal(dsr?.toFixed(4), '0.9004')
})

test('the DSR agrees with an independent implementation over many inputs', () => {
  const rng = createPrng(42)
  for (let k = 0; k < 40; k++) {
    const sr = (rng.next() - 0.3) * 0.3
    const t = 50 + rng.int(5000)
    const skew = (rng.next() - 0.5) * 4
    const kurt = 1 + skew * skew + rng.next() * 20
    const n = 2 + rng.int(100_000)
    const v = rng.next() * 0.01
    const got = deflatedSharpe({ sharpe: sr, bars: t, skew, kurtosis: kurt, trials: n, variance: v })
    assert.ok(got !== null && Math.abs(got - dsrByHand(sr, t, skew, kurt, n, v)) < 1e-8, `case ${k}`)
  }
})

test('more trials deflate more; one trial or no variance leaves the PSR against 0', () => {
  const base = { sharpe: 0.05, bars: 1000, skew: 0, kurtosis: 3, variance: 0.001 }
  const few = deflatedSharpe({ ...base, trials: 10 }) as number
  const many = deflatedSharpe({ ...base, trials: 100_000 }) as number
  assert.ok(many < few, `${many} < ${few}`)
  assert.equal(expectedMaxSharpe(1, 0.001), 0)
  assert.equal(deflatedSharpe({ ...base, trials: 1 }), normalCdf(0.05 * Math.sqrt(999) / Math.sqrt(1 + 0.5 * 0.0025)))
  assert.equal(deflatedSharpe({ ...base, trials: 5, bars: 1 }), null)
})

test('returnMoments gives population moments, and 3 / 0 for a flat series', () => {
  const m = returnMoments([1, 2, 3, 4, 10])
  const mean = 4
  const d = [-3, -2, -1, 0, 6]
  const m2 = d.reduce((s, x) => s + x * x, 0) / 5
  const m3 = d.reduce((s, x) => s + x ** 3, 0) / 5
  const m4 = d.reduce((s, x) => s + x ** 4, 0) / 5
  assert.equal(m.mean, mean)
  assert.ok(Math.abs(m.skew - m3 / m2 ** 1.5) < 1e-12)
  assert.ok(Math.abs(m.kurtosis - m4 / m2 ** 2) < 1e-12)
  assert.ok(Math.abs(m.sharpe - mean / Math.sqrt(m2)) < 1e-12)
  assert.deepEqual(returnMoments([0.1, 0.1, 0.1]), { n: 3, mean: 0.1, std: 0, skew: 0, kurtosis: 3, sharpe: 0 })
})
