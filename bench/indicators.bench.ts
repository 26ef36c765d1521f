// Indicator kernels against technicalindicators and indicatorts on the same series in the same run,
// plus the cost of a strategy-context cache hit. Prints a markdown table.
// Usage: node --import tsx bench/indicators.bench.ts [--bars N] [--runs R]
import * as ti from 'technicalindicators'
import * as its from 'indicatorts'
import { atr, bollinger, donchian, ema, macd, rsi, sma, stdev, wma } from '../src/engine/indicators/index.js'
import { createStrategyContext } from '../src/engine/strategy-context.js'
import { createPrng } from '../src/engine/prng.js'
import { medianTime } from './median.js'

function flag (name: string, fallback: number): number {
  const i = process.argv.indexOf(name)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}

/** 1M bars: a year and ten weeks of one-minute candles, a realistic upper end for one dataset. */
const BARS = flag('--bars', 1_000_000)
/** Medians of 5 runs tame the noise of a shared 2-core machine without making the bench slow. */
const RUNS = flag('--runs', 5)
/** Cache lookups timed in one batch, enough that timer resolution does not matter. */
const HIT_LOOKUPS = 1_000_000

const r = createPrng(2024)
const close = new Float64Array(BARS); const high = new Float64Array(BARS); const low = new Float64Array(BARS)
let price = 30000
for (let i = 0; i < BARS; i++) {
  const open = price
  price *= Math.exp(0.001 * r.normal())
  close[i] = price
  high[i] = Math.max(open, price) * (1 + 0.001 * r.next())
  low[i] = Math.min(open, price) * (1 - 0.001 * r.next())
}
// The libraries take number[]; converting is left out of their timings.
const c = [...close]; const h = [...high]; const l = [...low]

interface Case {
  readonly name: string
  readonly ours: () => unknown
  readonly ti?: () => unknown
  readonly its?: () => unknown
}

const cases: Case[] = [
  { name: 'sma(20)', ours: () => sma(close, 20), ti: () => ti.SMA.calculate({ values: c, period: 20 }), its: () => its.sma(c, { period: 20 }) },
  { name: 'ema(20)', ours: () => ema(close, 20), ti: () => ti.EMA.calculate({ values: c, period: 20 }), its: () => its.ema(c, { period: 20 }) },
  { name: 'wma(20)', ours: () => wma(close, 20), ti: () => ti.WMA.calculate({ values: c, period: 20 }) },
  { name: 'rsi(14)', ours: () => rsi(close, 14), ti: () => ti.RSI.calculate({ values: c, period: 14 }), its: () => its.rsi(c, { period: 14 }) },
  { name: 'stdev(20)', ours: () => stdev(close, 20), ti: () => ti.SD.calculate({ values: c, period: 20 }), its: () => its.mstd(c, { period: 20 }) },
  { name: 'atr(14)', ours: () => atr(high, low, close, 14), ti: () => ti.ATR.calculate({ high: h, low: l, close: c, period: 14 }), its: () => its.atr(h, l, c, { period: 14 }) },
  { name: 'bollinger(20, 2)', ours: () => bollinger(close, 20, 2), ti: () => ti.BollingerBands.calculate({ values: c, period: 20, stdDev: 2 }), its: () => its.bb(c, { period: 20 }) },
  {
    name: 'macd(12, 26, 9)',
    ours: () => macd(close, 12, 26, 9),
    ti: () => ti.MACD.calculate({ values: c, fastPeriod: 12, slowPeriod: 26, signalPeriod: 9, SimpleMAOscillator: false, SimpleMASignal: false }),
    its: () => its.macd(c, { fast: 12, slow: 26, signal: 9 }),
  },
  {
    name: 'donchian(20)',
    ours: () => donchian(high, low, 20),
    ti: () => [ti.Highest.calculate({ values: h, period: 20 }), ti.Lowest.calculate({ values: l, period: 20 })],
    its: () => [its.mmax(h, { period: 20 }), its.mmin(l, { period: 20 })],
  },
]

const rate = (ms: number): string => `${(BARS / ms / 1000).toFixed(1)} M`
const cell = (ours: number, fn: (() => unknown) | undefined): string => {
  if (fn === undefined) return '— | —'
  const ms = medianTime(RUNS, fn, 1)
  return `${rate(ms)} | ${(ms / ours).toFixed(1)}x`
}

console.log(`Indicators on ${BARS.toLocaleString('en')} bars, median of ${RUNS} runs, Node ${process.version}. Bars/s; "ours ×" is how many times faster ours is.\n`)
console.log('| indicator | ours bars/s | technicalindicators bars/s | ours × | indicatorts bars/s | ours × |')
console.log('|---|---:|---:|---:|---:|---:|')
for (const k of cases) {
  const ours = medianTime(RUNS, k.ours, 1)
  console.log(`| ${k.name} | ${rate(ours)} | ${cell(ours, k.ti)} | ${cell(ours, k.its)} |`)
}

// Cache: a hit is a key build plus a Map lookup and a recency bump, whatever the bars.
const ctx = createStrategyContext({ length: BARS, time: new Float64Array(BARS), open: close, high, low, close, volume: new Float64Array(BARS) })
const missMs = medianTime(RUNS, () => { ctx.clearCache(); ctx.sma(ctx.close, 20) }, 1)
ctx.sma(ctx.close, 20)
const hitMs = medianTime(RUNS, () => { for (let k = 0; k < HIT_LOOKUPS; k++) ctx.sma(ctx.close, 20) }, 1)
const inner = ctx.sma(ctx.close, 20)
ctx.ema(inner, 10)
const derivedMs = medianTime(RUNS, () => { for (let k = 0; k < HIT_LOOKUPS; k++) ctx.ema(inner, 10) }, 1)
console.log('\n| cache | time |')
console.log('|---|---:|')
console.log(`| miss: sma(close, 20) computed and stored, ${BARS.toLocaleString('en')} bars | ${missMs.toFixed(2)} ms |`)
console.log(`| hit: sma(close, 20) | ${(hitMs * 1e6 / HIT_LOOKUPS).toFixed(0)} ns |`)
console.log(`| hit: ema(derived series, 10) | ${(derivedMs * 1e6 / HIT_LOOKUPS).toFixed(0)} ns |`)
