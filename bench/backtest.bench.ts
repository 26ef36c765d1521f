/**
 * How much the engine's generality costs per genome. On 1M synthetic candles:
 *   (a) a hand-fused loop: SMA(10)/SMA(30) cross and its equity in one pass (the floor);
 *   (b) what the engine does with a warm indicator cache: precomputed SMA arrays, a positions loop,
 *       then backtest() over the in-sample and out-of-sample ranges;
 *   (c) backtest() alone over all bars.
 * Prints candles/s of CPU time (median and best of RUNS timed runs after warm-up) and the ratio
 * b/a (goal >= 0.6). Note (b) moves three times the memory of (a): the positions loop reads two
 * SMA arrays and writes the positions, and backtest() reads open, close and positions (48 MB per
 * 1M bars against 16 MB), on top of the metrics (a) does not compute.
 * Run: node --import tsx bench/backtest.bench.ts
 */
import { backtest } from '../src/engine/backtest.js'
import { createPrng } from '../src/engine/prng.js'
import type { Candles, Costs } from '../src/engine/types.js'

const BARS = 1_000_000
/** Timed runs per case; the median is reported. */
const RUNS = 11
/** Untimed runs on the full data before timing. */
const WARMUP = 3
/**
 * Many short untimed runs first, so every function is optimised as a whole with full type
 * feedback (as it is after the GA's first few hundred evaluations). Warming up on long runs
 * instead leaves V8 with on-stack-replaced code or a premature compile that deoptimises, and the
 * timings came out 2-4x apart between processes.
 */
const PRE_WARMUP = { bars: 500, runs: 3000 }
const FAST = 10
const SLOW = 30
const COSTS: Costs = { fee: 0.001, slippage: 0.0005 }
/** In-sample share, as a job's default out-of-sample fraction of 0.3 gives. */
const IN_SAMPLE = 0.7
const BARS_PER_YEAR = 525960

function syntheticCandles (n: number): Candles {
  const rng = createPrng(2024)
  const time = new Float64Array(n)
  const open = new Float64Array(n)
  const high = new Float64Array(n)
  const low = new Float64Array(n)
  const close = new Float64Array(n)
  const volume = new Float64Array(n)
  let p = 100
  for (let i = 0; i < n; i++) {
    time[i] = 1_700_000_000_000 + i * 60_000
    open[i] = p * (1 + 0.0002 * rng.normal())
    p = open[i] * (1 + 0.001 * rng.normal())
    close[i] = p
    high[i] = Math.max(open[i], close[i]) * 1.0005
    low[i] = Math.min(open[i], close[i]) * 0.9995
    volume[i] = 1 + rng.next()
  }
  return { length: n, time, open, high, low, close, volume }
}

function sma (src: Float64Array, period: number): Float64Array {
  const out = new Float64Array(src.length).fill(NaN)
  let sum = 0
  for (let i = 0; i < src.length; i++) {
    sum += src[i]
    if (i >= period) sum -= src[i - period]
    if (i >= period - 1) out[i] = sum / period
  }
  return out
}

/** (a) Everything in one pass: both moving sums, the signal and the equity of the execution model. */
function fused (c: Candles, costs: Costs, split: number): number {
  const open = c.open
  const close = c.close
  const n = c.length
  const cost = costs.fee + costs.slippage
  let fastSum = 0
  let slowSum = 0
  let e = 1
  let wp = 0
  let target = 0 // decided at the previous close, held over this bar
  let cp = 0
  for (let j = 0; j < n; j++) {
    const cl = close[j]
    if (j === split) {
      wp = 0 // the out-of-sample range starts flat, as backtest() does
    } else if (j > 0) {
      const o = open[j]
      const w = target
      let f = (cp + wp * (o - cp)) * (o + w * (cl - o)) / (cp * o)
      if (w !== wp) f *= 1 - cost * Math.abs(w - wp)
      e *= f
      wp = w
    }
    cp = cl
    fastSum += cl
    slowSum += cl
    if (j >= FAST) fastSum -= close[j - FAST]
    if (j >= SLOW) slowSum -= close[j - SLOW]
    // Cross-multiplied to save two divisions; equal to comparing the means barring exact ties.
    target = j >= SLOW - 1 ? (fastSum * SLOW > slowSum * FAST ? 1 : -1) : 0
  }
  return e
}

/** (b) The engine's path: cached indicator arrays, a positions loop, two backtest() calls. */
function engine (c: Candles, costs: Costs, fast: Float64Array, slow: Float64Array, out: Float64Array, split: number): number {
  // As a strategy would write it: flat while the slow average warms up, then long or short.
  for (let i = 0; i < SLOW - 1; i++) out[i] = 0
  for (let i = SLOW - 1; i < c.length; i++) out[i] = fast[i] > slow[i] ? 1 : -1
  const a = backtest(c, out, 0, split, costs, BARS_PER_YEAR)
  const b = backtest(c, out, split, c.length, costs, BARS_PER_YEAR)
  return (1 + a.totalReturn) * (1 + b.totalReturn)
}

function median (xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y)
  return s[Math.floor(s.length / 2)]
}

/**
 * Times the cases in interleaved rounds (a, b, c, a, b, c...), so a burst of load from another
 * process on a shared machine hits every case alike; returns the median and best per case. Time is
 * the process's CPU time, not wall time: on a shared machine wall time measures the neighbours (the
 * cases allocate nothing once warm, so no GC thread time is counted).
 */
function timeRounds (runs: Array<() => number>): Array<{ median: number, best: number }> {
  for (let i = 0; i < WARMUP; i++) for (const run of runs) run()
  const ms: number[][] = runs.map(() => [])
  for (let round = 0; round < RUNS; round++) {
    runs.forEach((run, k) => {
      const t0 = process.cpuUsage()
      run()
      const used = process.cpuUsage(t0)
      ms[k].push((used.user + used.system) / 1000)
    })
  }
  return ms.map(xs => ({ median: median(xs), best: Math.min(...xs) }))
}

function prepare (bars: number): { candles: Candles, fastMa: Float64Array, slowMa: Float64Array, positions: Float64Array, split: number } {
  const candles = syntheticCandles(bars)
  return { candles, fastMa: sma(candles.close, FAST), slowMa: sma(candles.close, SLOW), positions: new Float64Array(bars), split: Math.floor(bars * IN_SAMPLE) }
}

const small = prepare(PRE_WARMUP.bars)
for (let i = 0; i < PRE_WARMUP.runs; i++) {
  fused(small.candles, COSTS, small.split)
  engine(small.candles, COSTS, small.fastMa, small.slowMa, small.positions, small.split)
  backtest(small.candles, small.positions, 0, small.candles.length, COSTS, BARS_PER_YEAR)
}

const { candles, fastMa, slowMa, positions, split } = prepare(BARS)

// Both paths implement the same model on the same signal, so they must end at the same equity.
// Checked without costs: with them, a minute-bar SMA cross trades its equity down to ~1e-50,
// where a relative comparison of 1 + totalReturn means nothing.
const free: Costs = { fee: 0, slippage: 0 }
const check = [fused(candles, free, split), engine(candles, free, fastMa, slowMa, positions, split)]
if (!(Math.abs(check[0] - check[1]) <= 1e-9 * Math.abs(check[0]))) {
  throw new Error(`fused and engine paths disagree: ${check[0]} vs ${check[1]}`)
}

const [a, b, c] = timeRounds([
  () => fused(candles, COSTS, split),
  () => engine(candles, COSTS, fastMa, slowMa, positions, split),
  () => backtest(candles, positions, 0, BARS, COSTS, BARS_PER_YEAR).totalReturn,
])

const rate = (ms: number): string => `${(BARS / ms / 1000).toFixed(1)}M candles/s`
const row = (label: string, t: { median: number, best: number }): string =>
  `  ${label.padEnd(46)} median ${t.median.toFixed(2)} ms  ${rate(t.median).padEnd(18)} best ${rate(t.best)}`
console.log(`backtest bench: ${BARS} candles, SMA(${FAST})/SMA(${SLOW}) cross, ${RUNS} interleaved runs, node ${process.version}`)
console.log(row('(a) fused one-pass loop', a))
console.log(row('(b) cached SMAs + positions + backtest() x2', b))
console.log(row('(c) backtest() alone', c))
console.log(`  ratio b/a (throughput) = ${(a.median / b.median).toFixed(2)} on medians, ${(a.best / b.best).toFixed(2)} on best runs (goal >= 0.6)`)
