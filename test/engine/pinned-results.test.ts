/**
 * Exact results pinned from the engine as it was before the speed work on the backtester and the
 * evaluation path. Every number here must come out with the same bits: the GA is deterministic
 * across peers only as long as the order of every floating-point operation stays the same, so an
 * optimisation that changes a single bit of a metric must fail here, not in the mesh.
 * The hashes cover each number's exact bit pattern (so -0 and 0 differ, and no rounding hides).
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { backtest } from '../../src/engine/backtest.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { evaluateGenome } from '../../src/engine/evaluate.js'
import { atr, donchian, ema, rsi, sma, stdev, wma } from '../../src/engine/indicators/index.js'
import { createJobSpec, evalSetupFor } from '../../src/engine/job-setup.js'
import { referenceCheckpoints } from '../helpers/reference-run.js'
import { sampleParams, validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createPrng } from '../../src/engine/prng.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import type { StrategyDefinition } from '../../src/engine/strategy-api.js'
import type { Candles, Objective } from '../../src/protocol/types.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

const dir = fileURLToPath(new URL('../../strategies/', import.meta.url))

/** sha256 of a JSON rendering in which every number is replaced by the hex of its 64 bits. */
function bitsHash (value: unknown): string {
  const bytes = new Float64Array(1)
  const view = new Uint8Array(bytes.buffer)
  const hex = (x: number): string => { bytes[0] = x; return Buffer.from(view).toString('hex') }
  const walk = (v: unknown): unknown => {
    if (typeof v === 'number') return hex(v)
    if (v instanceof Float64Array) return Array.from(v, hex)
    if (Array.isArray(v)) return v.map(walk)
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]))
    return v
  }
  return createHash('sha256').update(JSON.stringify(walk(value))).digest('hex')
}

/** sha256 of the raw bytes of a list of series: cheaper than bitsHash for long indicator outputs. */
function seriesHash (series: readonly Float64Array[]): string {
  const hash = createHash('sha256')
  for (const x of series) hash.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength))
  return hash.digest('hex')
}

async function loadStrategy (file: string): Promise<StrategyDefinition> {
  const mod = await import(pathToFileURL(join(dir, file)).href) as { default: unknown }
  return validateStrategyDefinition(mod.default, file) as StrategyDefinition
}

/** A short market that more than doubles within one bar, so a short position is ruined. */
function doublingMarket (): Candles {
  const n = 3000
  const rng = createPrng(11)
  const c = { length: n, time: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) }
  let price = 100
  for (let i = 0; i < n; i++) {
    const open = price
    price = i === 2100 ? price * 2.5 : price * (1 + 0.01 * rng.normal())
    c.time[i] = i * 3_600_000
    c.open[i] = open
    c.close[i] = price
    c.high[i] = Math.max(open, price)
    c.low[i] = Math.min(open, price)
    c.volume[i] = 1
  }
  return c
}

/** Positions that hold, resize, flip sign and go flat at random, with fractional sizes. */
function randomPositions (n: number, seed: number, short: boolean): Float64Array {
  const rng = createPrng(seed)
  const out = new Float64Array(n)
  let w = 0
  for (let i = 0; i < n; i++) {
    const u = rng.next()
    if (u < 0.03) w = 0
    else if (u < 0.08) w = short ? rng.next() * 2 - 1 : rng.next()
    else if (u < 0.1) w = short ? -w : w
    out[i] = w
  }
  return out
}

const market = syntheticCandles({ bars: 20_000, seed: 7 })

test('backtest: metrics and equity of random fractional long/short positions, bit for bit', () => {
  const positions = randomPositions(market.length, 3, true)
  const cases: Array<[number, number, number, number]> = [
    // from, to, fee, slippage: whole range, odd ranges across stats blocks, no costs, one bar, empty
    [0, market.length, 0.001, 0.0005],
    [0, 14_000, 0.001, 0.0005],
    [14_000, market.length, 0.001, 0.0005],
    [1023, 5121, 0.0002, 0],
    [77, 3000, 0, 0],
    [500, 501, 0.001, 0],
    [900, 900, 0.001, 0],
  ]
  const results = cases.map(([from, to, fee, slippage]) => {
    const equity = new Float64Array(to - from)
    const metrics = backtest(market, positions, from, to, { fee, slippage }, 525_960, { equity })
    assert.deepEqual(backtest(market, positions, from, to, { fee, slippage }, 525_960), metrics)
    return { metrics, equity }
  })
  assert.equal(bitsHash(results), PINNED.backtest)
  const whole = results[0].metrics
  assert.equal(whole.sharpe, PINNED.wholeSharpe)
  assert.equal(whole.sortino, PINNED.wholeSortino)
  assert.equal(whole.maxDrawdown, PINNED.wholeMaxDrawdown)
  assert.equal(whole.trades, PINNED.wholeTrades)
})

test('backtest: a short ruined by a doubling price, bit for bit', () => {
  const candles = doublingMarket()
  const positions = randomPositions(candles.length, 5, true)
  positions.fill(-1, 2000, 2200)
  const results = [
    backtest(candles, positions, 0, candles.length, { fee: 0.001, slippage: 0.001 }, 8766),
    backtest(candles, positions, 1500, 2101, { fee: 0.001, slippage: 0.001 }, 8766),
    backtest(candles, positions, 2101, candles.length, { fee: 0, slippage: 0.001 }, 8766),
  ]
  assert.equal(results[0].totalReturn, -1)
  assert.equal(bitsHash(results), PINNED.ruin)
})

test('backtest: odd prices under flat, held and changing positions, results and errors bit for bit', () => {
  const base = [100, 101, 99, 102, 103, 104, 100, 98, 97, 99, 101, 102]
  const odd = [0, -5, NaN, Infinity, -Infinity, 1e200, 1e-200, Number.MAX_VALUE, Number.MIN_VALUE]
  const shapes = [
    [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1],
    [-0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5, -0.5],
    [0, 0, 1, 1, 0, 0, -1, -1, 0.5, 0, 0, 0],
  ]
  const out: unknown[] = []
  for (const value of odd) {
    for (const column of ['open', 'close'] as const) {
      for (const at of [3, 4, 11]) {
        const open = Float64Array.from(base)
        const close = Float64Array.from(base, x => x * 1.001)
        ;(column === 'open' ? open : close)[at] = value
        const candles: Candles = { length: base.length, time: Float64Array.from(base, (_, i) => i * 60_000), open, high: close, low: open, close, volume: new Float64Array(base.length) }
        for (const shape of shapes) {
          try {
            out.push(backtest(candles, Float64Array.from(shape), 0, base.length, { fee: 0.001, slippage: 0 }, 525_960))
          } catch (err) {
            out.push(`${(err as { code?: string }).code}: ${(err as Error).message}`)
          }
        }
      }
    }
  }
  assert.equal(bitsHash(out), PINNED.oddPrices)
})

test('indicators: every kernel on a series with gaps (NaN, +-Infinity) and long clean runs, bit for bit', () => {
  const n = 30_000
  const close = Float64Array.from(market.close.subarray(0, n))
  const high = Float64Array.from(market.high.subarray(0, n))
  const low = Float64Array.from(market.low.subarray(0, n))
  // Gaps in the warm-up, one at a resync boundary, two close together, one near the end.
  for (const [i, v] of [[3, NaN], [4097, Infinity], [9000, NaN], [9005, -Infinity], [29_990, NaN]] as Array<[number, number]>) {
    close[i] = v
    high[i] = v
  }
  const out: Float64Array[] = []
  for (const period of [1, 2, 7, 30, 399, 5000]) {
    const channel = donchian(high, low, period)
    out.push(sma(close, period), ema(close, period), wma(close, period), rsi(close, period), stdev(close, period), atr(high, low, close, period), channel.upper, channel.middle, channel.lower)
  }
  assert.equal(seriesHash(out), PINNED.indicators)
})

/** Sampled genomes of each strategy file, evaluated for every objective. */
async function evaluateRows (files: readonly string[], base: ReturnType<typeof evalSetupFor>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {}
  for (const file of files) {
    const def = await loadStrategy(file)
    const ctx = createStrategyContext(market)
    const rng = createPrng(17)
    const rows: unknown[] = []
    for (let k = 0; k < 6; k++) {
      const params = sampleParams(def, rng)
      for (const objective of ['sharpe', 'sortino', 'calmar', 'return'] as Objective[]) {
        rows.push([params, evaluateGenome(def, ctx, params, { ...base, objective, minTrades: 3 })])
      }
    }
    out[file] = rows
  }
  return out
}

/** The strategies pinned before engine-managed stops existed; strategies with stops are pinned apart. */
const PLAIN_STRATEGIES = ['bollinger-breakout.ts', 'donchian-long-short.ts', 'macd-trend.ts', 'rsi-reversion.ts', 'sma-cross.ts']

test('evaluateGenome: every bundled strategy, sampled genomes, every objective, bit for bit', async () => {
  const files = readdirSync(dir).filter(f => f.endsWith('.ts')).sort()
  const base = evalSetupFor(createJobSpec({
    engine: ENGINE_FIXTURE,
    strategy: { hash: 'a'.repeat(64), name: 'pinned' },
    dataset: { hash: 'b'.repeat(64), name: 'pinned', bars: market.length },
  }), market)
  const withStops: string[] = []
  for (const file of files) if ((await loadStrategy(file)).stops !== undefined) withStops.push(file)
  // Strategies bundled after the pin (higher-timeframe-trend) are not in it: the pin is of the engine's bits.
  assert.deepEqual(PLAIN_STRATEGIES.filter(f => !files.includes(f) || withStops.includes(f)), [], 'the pinned strategies are bundled and have no stops')
  assert.deepEqual(withStops, ['trend-stops.ts'])
  assert.equal(bitsHash(await evaluateRows(PLAIN_STRATEGIES, base)), PINNED.evaluate)
  assert.equal(bitsHash(await evaluateRows(withStops, base)), PINNED.evaluateStops)
  const sma = await loadStrategy('sma-cross.ts')
  const r = evaluateGenome(sma, createStrategyContext(market), { fast: 12, slow: 60 }, base)
  assert.equal(r.fitness, PINNED.smaFitness)
  assert.equal(r.outOfSample?.totalReturn, PINNED.smaOosReturn)
  assert.equal(r.outOfSample?.profitFactor, PINNED.smaOosProfitFactor)
})

test('GA: checkpoint hashes of whole jobs (two strategies, two objectives)', async () => {
  const hashes: string[] = []
  for (const [file, objective] of [['sma-cross.ts', 'sharpe'], ['donchian-long-short.ts', 'calmar'], ['rsi-reversion.ts', 'return']] as Array<[string, Objective]>) {
    const def = await loadStrategy(file)
    const spec = createJobSpec({
      engine: ENGINE_FIXTURE,
      strategy: { hash: 'c'.repeat(64), name: file },
      dataset: { hash: 'd'.repeat(64), name: 'pinned', bars: market.length },
      objective,
      minTrades: 5,
      seed: 5,
      ga: { islands: 2, population: 12, generations: 3, epochs: 2 },
    })
    const checkpoints = await referenceCheckpoints(spec, def, market)
    hashes.push(canonicalHash(checkpoints))
  }
  assert.deepEqual(hashes, PINNED.checkpoints)
})

const PINNED = {
  backtest: '376c8f257fc3c62c3c0ae457220fb008123399e3448c39c28255d5fbfa39ffb7',
  wholeSharpe: -99.14934441799187,
  wholeSortino: -118.8818494277261,
  wholeMaxDrawdown: 0.8068712366509646,
  wholeTrades: 910,
  ruin: 'bb5fd98a1c19de276435d93bb6b7e01dfea5e8f7e041fc4c38a226da72baff7b',
  oddPrices: 'e99eb5a42cd00bb2bb7b8829f1fa20d132d9701e0bad255ee3c1a2851b29debc',
  indicators: '3bfda255a58c0e230f61634ea3fb2915208cdad8bdbb625bcca425bf818c2a59',
  evaluate: 'b1b62260d0814291cb8690ab05b98892f44071fe783d924c25a6beb7ae035181',
  evaluateStops: 'b5d7d27348da60ebd1e758bfa6baa2538b439655fd93d974790054eddcec9333',
  smaFitness: -46.69852147678351,
  smaOosReturn: -0.19831251223895907,
  smaOosProfitFactor: 0.19188524831318776,
  // Checkpoints carry their job's id, so these moved when the spec's engineVersion became engine
  // { hash, fingerprint }: with the old id put back, the new checkpoints hash to the old pins.
  checkpoints: [
    'c7b0061f558e013f8297bc1605f2e7dce8664d06cf4e8200a0afe7a3a338b92e',
    'f7f6e6233598b9ea6d870690b627180aedc7d2156bc598928570488d9c320593',
    '42caf82227f6c7d5aae3ad583d1bcc1740e1c3ce053e7336ae34e84d6e11b693',
  ],
}
