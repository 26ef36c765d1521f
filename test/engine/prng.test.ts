import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createPrng } from '../../src/engine/prng.js'

test('the same seeds give the same stream; different seeds a different one', () => {
  const a = createPrng(42, 1, 2); const b = createPrng(42, 1, 2); const c = createPrng(42, 2, 1)
  const sa = Array.from({ length: 50 }, () => a.next())
  assert.deepEqual(sa, Array.from({ length: 50 }, () => b.next()))
  assert.notDeepEqual(sa, Array.from({ length: 50 }, () => c.next()))
})

test('next() is in [0,1) with a mean near 0.5, int(n) covers [0,n)', () => {
  const r = createPrng(7)
  let sum = 0
  const seen = new Set<number>()
  for (let i = 0; i < 20000; i++) {
    const x = r.next()
    assert.ok(x >= 0 && x < 1)
    sum += x
    seen.add(r.int(5))
  }
  assert.ok(Math.abs(sum / 20000 - 0.5) < 0.01)
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4])
})

test('normal() has mean ~0 and variance ~1', () => {
  const r = createPrng(3)
  const xs = Array.from({ length: 20000 }, () => r.normal())
  const m = xs.reduce((s, x) => s + x, 0) / xs.length
  const v = xs.reduce((s, x) => s + (x - m) ** 2, 0) / xs.length
  assert.ok(Math.abs(m) < 0.03, `mean ${m}`)
  assert.ok(Math.abs(v - 1) < 0.05, `variance ${v}`)
})

test('large seeds that differ only in high bits give different streams', () => {
  assert.notEqual(createPrng(2 ** 40).next(), createPrng(2 ** 40 + 2 ** 33).next())
})
