import { test } from 'node:test'
import assert from 'node:assert/strict'
import { higherCandles } from '../../src/engine/higher-timeframe.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { checkLookAhead, createPrefixContexts } from '../../src/engine/lookahead.js'
import { createPrng } from '../../src/engine/prng.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import type { StrategyDefinition } from '../../src/engine/strategy-api.js'
import type { Candles } from '../../src/protocol/types.js'
import { walkBars } from '../helpers/walk-bars.js'

const MIN = 60_000
const T0 = Date.UTC(2024, 2, 4)
const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const

function bars (times: readonly number[], seed = 1): Candles {
  return walkBars(times, seed, (_i, next) => 1 + next())
}

/** 1m bars from `start` with holes: a missing run of 7 minutes and scattered single minutes. */
function gappyMinutes (start: number, n: number, seed: number): Candles {
  const rng = createPrng(seed)
  const times: number[] = []
  for (let k = 0; times.length < n; k++) {
    if (k >= 40 && k < 47) continue
    if (rng.next() < 0.05) continue
    times.push(start + k * MIN)
  }
  return bars(times, seed)
}

/**
 * The rule written the slow way: at bar i, the bars of the last bucket (with bars) that lies wholly
 * before bar i's bucket; NaN when there is none, or when it is the data's first bucket and a whole
 * bar fits before the data's first bar.
 */
function oracle (c: Candles, tf: number, step: number, i: number): number[] {
  const bucketOf = (t: number): number => Math.floor(t / tf) * tf
  const own = bucketOf(c.time[i])
  let last = -1
  for (let j = 0; j < i; j++) if (bucketOf(c.time[j]) < own) last = j
  if (last < 0) return Array(6).fill(NaN)
  const b = bucketOf(c.time[last])
  if (b === bucketOf(c.time[0]) && c.time[0] - step >= b) return Array(6).fill(NaN)
  const rows = [...c.time.keys()].filter(j => bucketOf(c.time[j]) === b)
  let volume = 0
  for (const j of rows) volume += c.volume[j]
  return [b, c.open[rows[0]], Math.max(...rows.map(j => c.high[j])), Math.min(...rows.map(j => c.low[j])), c.close[rows[rows.length - 1]], volume]
}

const rowOf = (h: Record<typeof COLUMNS[number], Float64Array>, i: number): number[] => COLUMNS.map(k => h[k][i])

test('each base bar shows the last higher bar that closed before its own began, as the slow rule says (gaps, a partial first bucket)', () => {
  for (const [start, tfMin] of [[T0, 5], [T0 + 3 * MIN, 5], [T0 + 2 * MIN, 15], [T0, 60]] as const) {
    const c = gappyMinutes(start, 400, tfMin)
    const h = createStrategyContext(c).higher(`${tfMin}m`)
    for (let i = 0; i < c.length; i++) assert.deepEqual(rowOf(h, i), oracle(c, tfMin * MIN, MIN, i), `start +${(start - T0) / MIN}m, ${tfMin}m, bar ${i}`)
  }
})

test('a higher bar is visible from the bar after the one that closes it, never at its own last bar', () => {
  const c = bars(Array.from({ length: 20 }, (_, k) => T0 + k * MIN))
  const h = createStrategyContext(c).higher('5m')
  for (let i = 0; i < 5; i++) assert.ok(Number.isNaN(h.close[i]), `bar ${i}: nothing has closed yet`)
  assert.equal(h.close[5], c.close[4])
  assert.equal(h.open[5], c.open[0])
  assert.equal(h.time[5], T0)
  assert.equal(h.close[9], c.close[4], 'the 00:05 bar closes at bar 9 but shows only from bar 10')
  assert.equal(h.close[10], c.close[9])
})

test('the first bucket counts only when complete: data from 00:03 shows nothing until the 00:05 bucket has closed', () => {
  const c = bars(Array.from({ length: 20 }, (_, k) => T0 + (k + 3) * MIN))
  const h = createStrategyContext(c).higher('5m')
  for (let i = 0; i < 7; i++) assert.ok(Number.isNaN(h.close[i]), `bar ${i}`)
  assert.equal(h.close[7], c.close[6])
})

test('on every prefix of the data each bar shows exactly what it shows on all of it, whether or not the prefix ends a higher bar', () => {
  const c = gappyMinutes(T0 + 2 * MIN, 300, 3)
  const full = higherCandles(c, 15 * MIN, MIN)
  for (let cut = 1; cut < c.length; cut++) {
    const prefix = createPrefixContexts(c, 1 << 20).get(cut).higher('15m')
    for (const k of COLUMNS) {
      assert.equal(prefix[k].length, cut)
      for (let i = 0; i < cut; i++) assert.ok(Object.is(prefix[k][i], full[k][i]), `cut ${cut}, ${k}[${i}]`)
    }
  }
})

test('refuses a timeframe that is not one or not a whole multiple of the bars\' step, with a strategy error', () => {
  const ctx = createStrategyContext(bars(Array.from({ length: 50 }, (_, k) => T0 + k * 5 * MIN)))
  for (const tf of ['7m', '1m', '2m', 'x', '4', 0, 1.5, -2]) {
    assert.throws(() => ctx.higher(tf as string), (err: unknown) => isStratmeshError(err, 'HIGHER_TIMEFRAME_INVALID') && err.message.startsWith('ctx.higher('), String(tf))
  }
  // A number is that many bars' steps: 3 on 5m bars is 15m.
  assert.equal(ctx.higher(3), ctx.higher('15m'))
})

test('results are cached per timeframe, frozen, and a strategy writing into one is caught in verify mode', () => {
  const c = bars(Array.from({ length: 100 }, (_, k) => T0 + k * MIN))
  const ctx = createStrategyContext(c)
  const h = ctx.higher('10m')
  assert.equal(ctx.higher('10m'), h)
  assert.notEqual(ctx.higher('20m'), h)
  assert.ok(Object.isFrozen(h))
  assert.equal(ctx.sma(h.close, 20), ctx.sma(h.close, 20), 'usable as an indicator input, and cached as one')
  const checked = createStrategyContext(c, { verify: true })
  checked.higher('10m').close[50] = 1
  assert.throws(() => checked.higher('10m'), (err: unknown) => isStratmeshError(err, 'INDICATOR_CACHE_MUTATED'))
})

/** Follows the higher trend; `peek` reads the close of the bar's own higher bar, which is not over yet. */
function trendStrategy (peek: boolean): StrategyDefinition {
  return {
    name: peek ? 'peeks-at-own-higher-bar' : 'follows-higher-bar',
    params: { ratio: { kind: 'choice', options: [3, 4, 6] } },
    positions (ctx, p) {
      const ratio = p.ratio as number
      const h = ctx.higher(ratio)
      const out = ctx.output()
      for (let i = 0; i < ctx.length; i++) {
        // The bar whose position shows the own higher bar is up to `ratio` bars on.
        const j = peek ? Math.min(i + ratio, ctx.length - 1) : i
        out[i] = h.close[j] > h.open[j] ? 1 : 0
      }
      return out
    },
  }
}

test('the look-ahead check passes a strategy reading ctx.higher, at cuts inside and at the edges of higher bars, and catches one that peeks', () => {
  const c = gappyMinutes(T0 + MIN, 2000, 9)
  const ctx = createStrategyContext(c)
  const prefixes = createPrefixContexts(c, 16 << 20)
  const cuts = Array.from({ length: 40 }, (_, k) => 5 + k * 47)
  for (const ratio of [3, 4, 6]) {
    checkLookAhead(trendStrategy(false), ctx, prefixes, { ratio }, cuts)
    assert.throws(() => { checkLookAhead(trendStrategy(true), ctx, prefixes, { ratio }, cuts) }, (err: unknown) => isStratmeshError(err, 'STRATEGY_LOOKAHEAD'))
  }
})
