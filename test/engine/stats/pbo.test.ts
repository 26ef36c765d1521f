import { test } from 'node:test'
import assert from 'node:assert/strict'
import { probabilityOfOverfitting } from '../../../src/engine/stats/pbo.js'
import { createPrng } from '../../../src/engine/prng.js'

/** CSCV written out plainly: every split's halves concatenated, Sharpe ratios computed from scratch. */
function pboByBruteForce (returns: number[][], blocks: number): number {
  const t = returns[0].length
  const bounds = Array.from({ length: blocks + 1 }, (_, b) => Math.floor(b * t / blocks))
  const sharpe = (xs: number[]): number => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length)
    return sd > 0 ? mean / sd : 0
  }
  const half = (r: number[], chosen: Set<number>, inside: boolean): number[] =>
    r.filter((_, i) => { let b = 0; while (i >= bounds[b + 1]) b++; return chosen.has(b) === inside })
  let splits = 0; let overfit = 0
  const choose = (start: number, picked: number[]): void => {
    if (picked.length === blocks / 2) {
      const chosen = new Set(picked)
      const is = returns.map(r => sharpe(half(r, chosen, true)))
      const oos = returns.map(r => sharpe(half(r, chosen, false)))
      const best = is.indexOf(Math.max(...is))
      const rank = oos.filter(x => x < oos[best]).length + 1
      const w = rank / (returns.length + 1)
      splits++
      if (Math.log(w / (1 - w)) <= 0) overfit++
      return
    }
    for (let b = start; b < blocks; b++) choose(b + 1, [...picked, b])
  }
  choose(0, [])
  return overfit / splits
}

function noise (seed: number, strategies: number, bars: number, drift: (k: number) => number = () => 0): number[][] {
  const rng = createPrng(seed)
  return Array.from({ length: strategies }, (_, k) => Array.from({ length: bars }, () => drift(k) + 0.01 * rng.normal()))
}

test('PBO equals a brute-force CSCV on random matrices', () => {
  for (const [seed, strategies, bars, blocks] of [[1, 5, 203, 16], [2, 8, 96, 8], [3, 3, 40, 10], [4, 12, 161, 12]]) {
    const m = noise(seed, strategies, bars, k => k * 0.0004)
    const got = probabilityOfOverfitting(m, blocks)
    assert.ok(got !== null)
    assert.equal(got.strategies, strategies)
    assert.equal(got.pbo, pboByBruteForce(m, blocks), `seed ${seed}`)
  }
})

test('pure noise gives a PBO near one half', () => {
  const values = [11, 12, 13].map(seed => (probabilityOfOverfitting(noise(seed, 16, 1600)) as { pbo: number }).pbo)
  const mean = values.reduce((s, x) => s + x, 0) / values.length
  assert.ok(mean > 0.35 && mean < 0.65, `mean PBO of noise ${mean} (${values.join(', ')})`)
})

test('a genuinely dominant strategy gives a PBO of 0', () => {
  const m = noise(21, 16, 1600, k => k === 7 ? 0.01 : 0)
  const got = probabilityOfOverfitting(m)
  assert.equal(got?.pbo, 0)
  assert.equal(got?.splits, 12870)
  assert.ok((got?.medianLogit as number) > 0)
})

test('PBO is null without a choice or without enough bars', () => {
  assert.equal(probabilityOfOverfitting([[1, 2, 3]]), null)
  assert.equal(probabilityOfOverfitting(noise(1, 4, 10)), null)
})
