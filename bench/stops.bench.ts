/**
 * What engine-managed stops cost per evaluation, on 1M synthetic one-minute candles and the
 * bundled strategies/trend-stops.ts (long while EMA(fast) > EMA(slow)), loaded as an evaluator
 * loads it, with a warm indicator cache:
 *   (p) evaluateGenome of the same strategy with its stops removed: the plain kernel's path;
 *   (s) evaluateGenome with its stops (stop-loss, take-profit, trailing): the stops kernel;
 *   (kp) backtest() alone over all bars on the strategy's positions;
 *   (ks) backtestWithStops() alone over all bars on the same positions and stops.
 * Each round times every case once, in a rotating order, so load from other processes hits every
 * case alike; the ratios s/p and ks/kp are taken round by round (both cases of a ratio ran
 * seconds apart) and their medians printed with the medians of the rates. CPU time of the process.
 * Run: node --import tsx bench/stops.bench.ts   (BENCH_RUNS rounds, 7 by default; at least 5)
 */
import { readFileSync } from 'node:fs'
import { backtest, backtestWithStops } from '../src/engine/backtest.js'
import { evaluateGenome, type EvalSetup } from '../src/engine/evaluate.js'
import { syntheticCandles } from '../src/engine/data/synthetic.js'
import { genomeStops } from '../src/engine/stops.js'
import { createStrategyContext } from '../src/engine/strategy-context.js'
import type { Costs } from '../src/protocol/types.js'
import { compileStrategy } from '../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../src/node/evaluators/strategy-module.js'
import { median } from './median.js'

const BARS = 1_000_000
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 7))
/** Short untimed runs first, so V8 optimises each function with full type feedback. */
const PRE_WARMUP = { bars: 500, runs: 2000 }
const COSTS: Costs = { fee: 0.001, slippage: 0.0005 }
const BARS_PER_YEAR = 525_960
/** Stops of the size a minute-bar trend strategy uses: they fill on a good share of the trades. */
const PARAMS = { fast: 10, slow: 40, stopLoss: 0.004, takeProfit: 0.012, trailingStop: 0.003 }

const source = readFileSync(new URL('../strategies/trend-stops.ts', import.meta.url), 'utf8')
const withStops = instantiateStrategy(compileStrategy(source, 'trend-stops.ts'), 'trend-stops.ts')
const withoutStops = { ...withStops, stops: undefined }
const stops = genomeStops(withStops, PARAMS)
if (stops === null) throw new Error('the strategy gives no stops')

function cases (bars: number): Array<() => number> {
  const candles = syntheticCandles({ bars, seed: 7 })
  const ctx = createStrategyContext(candles)
  const setup: EvalSetup = { costs: COSTS, objective: 'sharpe', minTrades: 0, from: 0, split: Math.floor(bars * 0.7), to: bars, barsPerYear: BARS_PER_YEAR }
  const positions = Float64Array.from(withStops.positions(ctx, PARAMS))
  const evaluate = (def: typeof withStops) => (): number => {
    const r = evaluateGenome(def, ctx, PARAMS, setup)
    if (r.inSample === null) throw new Error(`evaluation failed: ${r.error}`)
    return r.inSample.trades
  }
  return [
    evaluate(withoutStops),
    evaluate(withStops),
    () => backtest(candles, positions, 0, bars, COSTS, BARS_PER_YEAR).trades,
    () => backtestWithStops(candles, positions, 0, bars, COSTS, BARS_PER_YEAR, stops as NonNullable<typeof stops>).trades,
  ]
}

const small = cases(PRE_WARMUP.bars)
for (let i = 0; i < PRE_WARMUP.runs; i++) for (const run of small) run()

const runs = cases(BARS)
const ms: number[][] = runs.map(() => [])
for (const run of runs) run()
for (let round = 0; round < RUNS; round++) {
  for (let i = 0; i < runs.length; i++) {
    const k = (i + round) % runs.length
    const t0 = process.cpuUsage()
    runs[k]()
    const used = process.cpuUsage(t0)
    ms[k].push((used.user + used.system) / 1000)
  }
}

const rate = (xs: number[]): string => `${(BARS / median(xs) / 1000).toFixed(1)} M candles/s (median of ${xs.length})`
const ratio = (a: number, b: number): string => {
  const rounds = ms[a].map((x, r) => x / ms[b][r])
  return `${median(rounds).toFixed(2)}x the time (rounds ${rounds.map(x => x.toFixed(2)).join(' ')})`
}
const trades = [runs[0](), runs[1]()]
console.log(`stops bench: trend-stops ${JSON.stringify(PARAMS)} on ${BARS} bars; in-sample trades ${trades[0]} without stops, ${trades[1]} with`)
console.log(`  (p)  evaluateGenome, no stops:      ${rate(ms[0])}`)
console.log(`  (s)  evaluateGenome, with stops:    ${rate(ms[1])}; s/p ${ratio(1, 0)}`)
console.log(`  (kp) backtest() alone:              ${rate(ms[2])}`)
console.log(`  (ks) backtestWithStops() alone:     ${rate(ms[3])}; ks/kp ${ratio(3, 2)}`)
