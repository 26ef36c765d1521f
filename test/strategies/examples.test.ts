import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { validateStrategyDefinition, sampleParams } from '../../src/engine/param-space.js'
import { checkPositions, evaluateGenome } from '../../src/engine/evaluate.js'
import { createPrng } from '../../src/engine/prng.js'
import { genomeStops } from '../../src/engine/stops.js'
import type { Candles } from '../../src/protocol/types.js'
import type { StrategyDefinition } from '../../src/engine/strategy-api.js'

const dir = fileURLToPath(new URL('../../strategies/', import.meta.url))
const files = readdirSync(dir).filter(f => f.endsWith('.ts')).sort()

/** A random walk with persistent drift regimes, so trend and reversion strategies both trade. */
function walk (n: number, seed: number): Candles {
  const rng = createPrng(seed)
  const time = new Float64Array(n); const open = new Float64Array(n); const high = new Float64Array(n)
  const low = new Float64Array(n); const close = new Float64Array(n); const volume = new Float64Array(n)
  let price = 100; let drift = 0
  for (let i = 0; i < n; i++) {
    if (i % 500 === 0) drift = (rng.next() - 0.5) * 0.002
    const o = price
    const c = o * Math.exp(drift + rng.normal() * 0.004)
    time[i] = 1_700_000_000_000 + i * 60_000
    open[i] = o; close[i] = c
    high[i] = Math.max(o, c) * (1 + rng.next() * 0.002)
    low[i] = Math.min(o, c) * (1 - rng.next() * 0.002)
    volume[i] = 1 + rng.next()
    price = c
  }
  return { length: n, time, open, high, low, close, volume }
}

function slice (c: Candles, n: number): Candles {
  return { length: n, time: c.time.subarray(0, n), open: c.open.subarray(0, n), high: c.high.subarray(0, n), low: c.low.subarray(0, n), close: c.close.subarray(0, n), volume: c.volume.subarray(0, n) }
}

test('there are at least five bundled strategies, one of them long/short', () => {
  assert.ok(files.length >= 5, files.join(', '))
})

for (const file of files) {
  test(`strategies/${file}: valid definition, valid positions, trades, no look-ahead`, async () => {
    const mod = await import(pathToFileURL(join(dir, file)).href) as { default: unknown }
    const def = validateStrategyDefinition(mod.default, file) as StrategyDefinition
    const candles = walk(6000, 5)
    const ctx = createStrategyContext(candles)
    const rng = createPrng(1)
    let traded = 0
    for (let k = 0; k < 12; k++) {
      const p = sampleParams(def, rng)
      const positions = checkPositions(def.positions(ctx, p), candles.length)
      assert.ok(positions instanceof Float64Array, `${file} ${JSON.stringify(p)}: ${String(positions)}`)
      const copy = Float64Array.from(positions)
      // No look-ahead: the positions up to bar t must not change when the future is cut off.
      const cut = 4000
      const early = createStrategyContext(slice(candles, cut))
      const past = def.positions(early, p)
      for (let i = 0; i < cut; i++) {
        if (!Object.is(past[i], copy[i]) && !(past[i] === 0 && copy[i] === 0)) assert.fail(`${file} ${JSON.stringify(p)}: position at bar ${i} depends on later bars`)
      }
      const r = evaluateGenome(def, ctx, p, { costs: { fee: 0.0005, slippage: 0 }, objective: 'sharpe', minTrades: 1, from: 0, split: 4200, to: ctx.length, barsPerYear: 525_960 })
      assert.equal(r.error, undefined, r.error)
      // A strategy that declares stops gives every genome of its space usable ones.
      if (def.stops !== undefined) assert.notEqual(genomeStops(def, p), null, `${file} ${JSON.stringify(p)}: no stops`)
      if ((r.inSample?.trades ?? 0) > 0) traded++
    }
    assert.ok(traded >= 6, `${file}: only ${traded} of 12 random genomes traded`)
  })
}

test('the stops example exits by its stops, and they change its results', async () => {
  const mod = await import(pathToFileURL(join(dir, 'trend-stops.ts')).href) as { default: StrategyDefinition }
  const def = mod.default
  const ctx = createStrategyContext(walk(6000, 7))
  const p = { fast: 10, slow: 60, stopLoss: 0.004, takeProfit: 0.01, trailingStop: 0.004 }
  const setup = { costs: { fee: 0.0005, slippage: 0 }, objective: 'sharpe' as const, minTrades: 1, from: 0, split: 4200, to: ctx.length, barsPerYear: 525_960 }
  const withStops = evaluateGenome(def, ctx, p, setup)
  const withoutStops = evaluateGenome({ ...def, stops: undefined }, ctx, p, setup)
  assert.equal(withStops.error, undefined, withStops.error)
  // Tight stops end trades inside trends (less time in the market), and a stopped trend is not
  // re-entered: every trade still starts at a new crossing, so the count of trades stays.
  assert.ok((withStops.inSample?.exposure ?? 1) < 0.5 * (withoutStops.inSample?.exposure ?? 0), JSON.stringify([withStops.inSample, withoutStops.inSample]))
  assert.equal(withStops.inSample?.trades, withoutStops.inSample?.trades)
  assert.ok((withStops.inSample?.trades ?? 0) > 10)
})

test('the long/short example really goes short', async () => {
  const mod = await import(pathToFileURL(join(dir, 'donchian-long-short.ts')).href) as { default: StrategyDefinition }
  const candles = walk(6000, 9)
  const pos = mod.default.positions(createStrategyContext(candles), { entry: 50, exit: 20, atrPeriod: 20, targetVol: 0.01 })
  assert.ok(pos.some(v => v < 0) && pos.some(v => v > 0))
})

test('the multi-timeframe example trades only with the higher trend, both ways, and its positions hold on every nearby prefix', async () => {
  const mod = await import(pathToFileURL(join(dir, 'higher-timeframe-trend.ts')).href) as { default: StrategyDefinition }
  const def = mod.default
  const candles = walk(6000, 11)
  const ctx = createStrategyContext(candles)
  const p = { fast: 10, slow: 40, ratio: 8, trend: 10 }
  const pos = Float64Array.from(def.positions(ctx, p))
  assert.ok(pos.some(v => v < 0) && pos.some(v => v > 0))
  const higher = ctx.higher(8)
  const trend = ctx.sma(higher.close, 80)
  for (let i = 0; i < pos.length; i++) {
    if (pos[i] > 0) assert.ok(higher.close[i] > trend[i], `long at bar ${i} against the higher trend`)
    if (pos[i] < 0) assert.ok(higher.close[i] < trend[i], `short at bar ${i} against the higher trend`)
  }
  // Cuts on both sides of a higher bar's end (bars of 1m, higher bars of 8m: 3000 is one).
  for (let cut = 2990; cut <= 3010; cut++) {
    const past = def.positions(createStrategyContext(slice(candles, cut)), p)
    for (let i = 0; i < cut; i++) assert.equal(past[i], pos[i], `cut ${cut}, bar ${i}`)
  }
})
