import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createStrategyContext, DEFAULT_MAX_CACHE_BYTES } from '../../src/engine/strategy-context.js'
import { atr, bollinger, donchian, ema, macd, rsi, sma, stdev, wma } from '../../src/engine/indicators/index.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import type { Candles } from '../../src/protocol/types.js'
import { randomBars } from './indicators/random-series.js'
import type { ErrorCode } from '../../src/protocol/error-codes.js'

function candles (n: number, seed = 1): Candles {
  const { close, high, low } = randomBars(seed, n)
  const open = new Float64Array(n)
  for (let i = 0; i < n; i++) open[i] = i === 0 ? close[0] : close[i - 1]
  const time = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 60_000)
  const volume = Float64Array.from({ length: n }, (_, i) => 1000 + (i % 7))
  return { length: n, time, open, high, low, close, volume }
}

const code = (c: ErrorCode) => (e: unknown) => isStratmeshError(e, c)

test('the context exposes the candle columns as they are', () => {
  const c = candles(50)
  const ctx = createStrategyContext(c)
  assert.equal(ctx.length, 50)
  for (const k of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) assert.equal(ctx[k], c[k])
})

test('the same key returns the same array; other params or inputs a different one', () => {
  const ctx = createStrategyContext(candles(500))
  const a = ctx.sma(ctx.close, 20)
  assert.equal(ctx.sma(ctx.close, 20), a)
  assert.notEqual(ctx.sma(ctx.close, 21), a)
  assert.notEqual(ctx.sma(ctx.open, 20), a)
  assert.notEqual(ctx.ema(ctx.close, 20), a)
  assert.deepEqual(ctx.cacheStats(), { hits: 1, misses: 4, bytes: 4 * 500 * 8, entries: 4 })
  assert.equal(ctx.bollinger(ctx.close, 20, 2), ctx.bollinger(ctx.close, 20, 2))
  assert.notEqual(ctx.bollinger(ctx.close, 20, 2), ctx.bollinger(ctx.close, 20, 2.5))
  assert.equal(ctx.macd(ctx.close, 12, 26, 9), ctx.macd(ctx.close, 12, 26, 9))
  assert.equal(ctx.atr(14), ctx.atr(14))
  assert.equal(ctx.donchian(20), ctx.donchian(20))
  assert.notEqual(ctx.donchian(20), ctx.donchian(21))
})

test('cached results equal the kernels', () => {
  const c = candles(400, 2)
  const ctx = createStrategyContext(c)
  for (let round = 0; round < 2; round++) { // the second round is served from the cache
    assert.deepEqual(ctx.sma(ctx.close, 10), sma(c.close, 10))
    assert.deepEqual(ctx.ema(ctx.high, 7), ema(c.high, 7))
    assert.deepEqual(ctx.wma(ctx.close, 5), wma(c.close, 5))
    assert.deepEqual(ctx.rsi(ctx.close, 14), rsi(c.close, 14))
    assert.deepEqual(ctx.stdev(ctx.close, 20), stdev(c.close, 20))
    assert.deepEqual(ctx.atr(14), atr(c.high, c.low, c.close, 14))
    assert.deepEqual(ctx.bollinger(ctx.close, 20, 2), bollinger(c.close, 20, 2))
    assert.deepEqual(ctx.macd(ctx.close, 12, 26, 9), macd(c.close, 12, 26, 9))
    assert.deepEqual(ctx.donchian(20), donchian(c.high, c.low, 20))
  }
})

test('composite indicators reuse their cached parts', () => {
  const ctx = createStrategyContext(candles(300))
  const bb = ctx.bollinger(ctx.close, 20, 2)
  assert.equal(bb.middle, ctx.sma(ctx.close, 20))
  const m1 = ctx.macd(ctx.close, 12, 26, 9)
  const m2 = ctx.macd(ctx.close, 12, 26, 5)
  assert.equal(m2.macd, m1.macd) // only the signal changed: the line is shared
  assert.equal(m1.signal, ctx.ema(m1.macd, 9))
})

test('derived series are keyed by identity, so chains are cached at every link', () => {
  const ctx = createStrategyContext(candles(300))
  const inner = ctx.sma(ctx.close, 20)
  const outer = ctx.ema(inner, 10)
  assert.equal(ctx.ema(ctx.sma(ctx.close, 20), 10), outer)
  assert.deepEqual(outer, ema(sma(ctx.close, 20), 10))
  // A series the strategy built itself: same object, same result; an equal copy is another key.
  const mid = new Float64Array(ctx.length)
  for (let i = 0; i < ctx.length; i++) mid[i] = (ctx.high[i] + ctx.low[i]) / 2
  const r = ctx.rsi(mid, 14)
  assert.equal(ctx.rsi(mid, 14), r)
  const copy = mid.slice()
  assert.notEqual(ctx.rsi(copy, 14), r)
  assert.deepEqual(ctx.rsi(copy, 14), r)
})

test('a small cache evicts least recently used entries and stays correct', () => {
  const c = candles(1000, 3)
  const one = 1000 * 8
  const ctx = createStrategyContext(c, { maxCacheBytes: 3 * one })
  const s10 = ctx.sma(ctx.close, 10)
  ctx.sma(ctx.close, 11)
  ctx.sma(ctx.close, 12)
  assert.equal(ctx.sma(ctx.close, 10), s10) // touch 10: now 11 is the oldest
  ctx.sma(ctx.close, 13) // evicts 11
  assert.deepEqual(ctx.cacheStats(), { hits: 1, misses: 4, bytes: 3 * one, entries: 3 })
  assert.equal(ctx.sma(ctx.close, 10), s10)
  const s11 = ctx.sma(ctx.close, 11) // recomputed, evicting 12
  assert.deepEqual(s11, sma(c.close, 11))
  assert.equal(ctx.cacheStats().misses, 5)
  // Churn through many keys: memory stays bounded and every value is right.
  for (let p = 2; p < 60; p++) {
    assert.deepEqual(ctx.ema(ctx.close, p), ema(c.close, p))
    assert.ok(ctx.cacheStats().bytes <= 3 * one)
  }
  // A composite larger than the cache is computed but not kept.
  const bb = ctx.bollinger(ctx.close, 20, 2)
  assert.deepEqual(bb, bollinger(c.close, 20, 2))
  assert.ok(ctx.cacheStats().bytes <= 3 * one)
})

test('maxCacheBytes 0 caches nothing and still answers', () => {
  const c = candles(200)
  const ctx = createStrategyContext(c, { maxCacheBytes: 0 })
  assert.notEqual(ctx.sma(ctx.close, 5), ctx.sma(ctx.close, 5))
  assert.deepEqual(ctx.sma(ctx.close, 5), sma(c.close, 5))
  assert.deepEqual(ctx.cacheStats(), { hits: 0, misses: 3, bytes: 0, entries: 0 })
})

test('clearCache drops entries and keeps the counters', () => {
  const ctx = createStrategyContext(candles(100))
  const a = ctx.sma(ctx.close, 5); ctx.sma(ctx.close, 5)
  ctx.clearCache()
  assert.deepEqual(ctx.cacheStats(), { hits: 1, misses: 1, bytes: 0, entries: 0 })
  assert.notEqual(ctx.sma(ctx.close, 5), a)
})

test('output() returns one reused buffer, zeroed on every call', () => {
  const ctx = createStrategyContext(candles(64))
  const o = ctx.output()
  assert.equal(o.length, 64)
  o.fill(1)
  assert.equal(ctx.output(), o)
  assert.ok(o.every(x => x === 0))
  // It is mutated by design, so indicators of it are never cached.
  o.fill(2)
  const s = ctx.sma(o, 3)
  o.fill(4)
  assert.notEqual(ctx.sma(o, 3), s)
  assert.equal(ctx.sma(o, 3)[10], 4)
  assert.equal(ctx.cacheStats().entries, 0)
})

test('bad arguments throw stable codes, even where the key would hit', () => {
  const ctx = createStrategyContext(candles(100))
  ctx.sma(ctx.close, 14)
  const loose = ctx as unknown as { sma: (s: unknown, p: unknown) => unknown, bollinger: (s: unknown, p: number, m: number) => unknown }
  assert.throws(() => loose.sma(ctx.close, '14'), code('INDICATOR_BAD_PERIOD'))
  assert.throws(() => ctx.sma(ctx.close, 0), code('INDICATOR_BAD_PERIOD'))
  assert.throws(() => ctx.macd(ctx.close, 12, 26, 0), code('INDICATOR_BAD_PERIOD'))
  assert.throws(() => ctx.atr(-1), code('INDICATOR_BAD_PERIOD'))
  assert.throws(() => ctx.donchian(1.5), code('INDICATOR_BAD_PERIOD'))
  assert.throws(() => ctx.bollinger(ctx.close, 20, -2), code('INDICATOR_BAD_PARAM'))
  assert.throws(() => loose.sma([1, 2, 3], 2), code('INDICATOR_BAD_SERIES'))
  assert.throws(() => loose.bollinger(undefined, 2, 2), code('INDICATOR_BAD_SERIES'))
  assert.throws(() => createStrategyContext(candles(10), { maxCacheBytes: -1 }), code('INDICATOR_BAD_PARAM'))
  assert.ok(DEFAULT_MAX_CACHE_BYTES >= 64 * 1024 * 1024)
})

test('verify mode catches a mutated result and a mutated input series', () => {
  const ctx = createStrategyContext(candles(100), { verify: true })
  const s = ctx.sma(ctx.close, 5)
  assert.equal(ctx.sma(ctx.close, 5), s) // unmodified: hits pass verification
  s[50] += 1
  assert.throws(() => ctx.sma(ctx.close, 5), code('INDICATOR_CACHE_MUTATED'))
  const mine = ctx.close.slice()
  ctx.ema(mine, 3)
  mine[70] = 0
  assert.throws(() => ctx.ema(mine, 3), code('INDICATOR_CACHE_MUTATED'))
  const plain = createStrategyContext(candles(100))
  const t = plain.sma(plain.close, 5); t[50] += 1
  assert.equal(plain.sma(plain.close, 5), t) // without verify the mutation goes unnoticed
})
