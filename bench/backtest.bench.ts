/**
 * How much the engine's generality costs per genome, on 1M synthetic candles and the bundled
 * strategies/sma-cross.ts (long while SMA(fast) > SMA(slow), flat otherwise), fast 10, slow 30:
 *   (a) a minimal fused loop: both moving sums, the same long/flat signal and the equity of the
 *       execution model in one pass, no metrics (the reference the goal is set against);
 *   (b) the real path: the strategy loaded as an evaluator loads it, run through evaluateGenome
 *       with a warm indicator cache (positions(), the position check, both backtests, metrics);
 *   (b') the same with scope 'fitness', as the GA evaluates every genome but its unit's best: the
 *       out-of-sample positions are checked, not backtested (see src/engine/evaluate.ts);
 *   (c) backtest() alone over all bars, on the same positions;
 *   (d) the same strategy as a GA runs it: whole units (64 genomes x 10 generations, the GA goal's
 *       shape, each round a new island) in-process through runUnit and evaluateGenome, with one
 *       indicator cache kept across units as an evaluator keeps it through a job. Every call of
 *       the evaluation (the search's and the end-of-unit repeats alike) runs the strategy over all
 *       the bars, so candles/s = calls x bars / CPU time. It mixes what (b) and (b') fix: genomes
 *       of every (fast, slow), their SMA computations on cache misses, and the GA's own work.
 *   (d-iso) the same units (the same islands, so the same genomes and cache misses) run as an
 *       evaluator runs them since issue 12: the engine bundle and the compiled strategy in an
 *       isolated-vm isolate created and loaded by the evaluator's own IsolateHost, with the memory
 *       limit its child gives it and its own indicator cache of the same bound. Only the IPC to
 *       the pool is left out (bench/evaluator.bench.ts measures that path). Its sync calls run the
 *       isolate on this thread, so process CPU time counts it as it counts (d); the share of it
 *       on the calling thread is printed to show that. Timed in the same rounds as (d), and each
 *       round's checkpoint must be the one (d) computed.
 * Prints candles/s of CPU time (median and best of RUNS timed runs after warm-up), the ratio b/a
 * (goal >= 0.6) and b in candles/s (goal >= 100M/s). (b) moves three times the memory of (a): the
 * strategy reads two SMA arrays and writes the positions, and the backtests read open, close and
 * the positions (48 MB per 1M bars against 16 MB).
 * Run: node --import tsx bench/backtest.bench.ts
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type IsolatedVm from 'isolated-vm'
import { backtest } from '../src/engine/backtest.js'
import { evaluateGenome, type EvalSetup } from '../src/engine/evaluate.js'
import { runUnit, type UnitEnv } from '../src/engine/ga.js'
import { createJobSpec, evalSetupFor } from '../src/engine/job-setup.js'
import { checkLookAhead, createPrefixContexts, lookAheadSample } from '../src/engine/lookahead.js'
import { sha256Hex } from '../src/protocol/canonical.js'
import { createPrng } from '../src/engine/prng.js'
import { createStrategyContext } from '../src/engine/strategy-context.js'
import type { Candles, Costs } from '../src/protocol/types.js'
import { evaluatorCacheBytes } from '../src/node/evaluators/memory-plan.js'
import { compileStrategy } from '../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../src/node/evaluators/strategy-module.js'
import { IsolateHost, isolateMemoryMb, jobIsolateBytes } from '../src/node/evaluators/isolate-host.js'
import { isolatedVmBinary } from '../src/node/evaluators/launch.js'
import { DEFAULT_MEMORY_MB } from '../src/node/evaluators/pool.js'
import { ENGINE_FIXTURE } from '../test/helpers/job-spec-fixture.js'
import { engineScript } from '../test/helpers/engine-script.js'
import { median } from './median.js'

const BARS = 1_000_000
/** Timed runs per case; the median is reported. */
const RUNS = Number(process.env.BENCH_RUNS ?? 11)
/** Untimed runs on the full data before timing (GA units: one). */
const WARMUP = 3
/** Shape of the GA units of (d): the GA goal's. */
const GA = { islands: 256, population: 64, generations: 10, epochs: 1 }
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
    target = j >= SLOW - 1 && fastSum * SLOW > slowSum * FAST ? 1 : 0
  }
  return e
}

interface Timing { median: number, best: number, all: number[], threadMs: number[] }

/**
 * Times the cases in interleaved rounds (a, b, c, a, b, c...), so a burst of load from another
 * process on a shared machine hits every case alike; returns the median and best per case. Time is
 * the process's CPU time, not wall time: on a shared machine wall time measures the neighbours (the
 * cases but the GA units allocate nothing once warm, so no GC thread time is counted for them).
 * The calling thread's own CPU time is kept beside it.
 */
function timeRounds (runs: Array<() => number>, warmups: number[]): Timing[] {
  runs.forEach((run, k) => { for (let i = 0; i < warmups[k]; i++) run() })
  const ms: number[][] = runs.map(() => [])
  const threadMs: number[][] = runs.map(() => [])
  for (let round = 0; round < RUNS; round++) {
    runs.forEach((run, k) => {
      const t0 = process.cpuUsage()
      const th0 = process.threadCpuUsage()
      run()
      const th = process.threadCpuUsage(th0)
      const used = process.cpuUsage(t0)
      ms[k].push((used.user + used.system) / 1000)
      threadMs[k].push((th.user + th.system) / 1000)
    })
  }
  return ms.map((xs, k) => ({ median: median(xs), best: Math.min(...xs), all: xs, threadMs: threadMs[k] }))
}

const source = readFileSync(new URL('../strategies/sma-cross.ts', import.meta.url), 'utf8')
const def = instantiateStrategy(compileStrategy(source, 'sma-cross.ts'), 'sma-cross.ts')
const params = { fast: FAST, slow: SLOW }

function prepare (bars: number): { candles: Candles, setup: EvalSetup, engine: () => number, search: () => number, positions: Float64Array } {
  const candles = syntheticCandles(bars)
  const ctx = createStrategyContext(candles)
  const setup: EvalSetup = { costs: COSTS, objective: 'sharpe', minTrades: 0, from: 0, split: Math.floor(bars * IN_SAMPLE), to: bars, barsPerYear: BARS_PER_YEAR }
  const engine = (): number => {
    const r = evaluateGenome(def, ctx, params, setup)
    if (r.inSample === null || r.outOfSample === null) throw new Error(`evaluation failed: ${r.error}`)
    return (1 + r.inSample.totalReturn) * (1 + r.outOfSample.totalReturn)
  }
  const search = (): number => {
    const r = evaluateGenome(def, ctx, params, setup, 'fitness')
    if (r.inSample === null || r.outOfSample !== null) throw new Error(`evaluation failed: ${r.error}`)
    return 1 + r.inSample.totalReturn
  }
  // A copy: the strategy's output buffer is reused by the next evaluation.
  const positions = Float64Array.from(def.positions(ctx, params))
  return { candles, setup, engine, search, positions }
}

const small = prepare(PRE_WARMUP.bars)
for (let i = 0; i < PRE_WARMUP.runs; i++) {
  fused(small.candles, COSTS, small.setup.split)
  small.engine()
  small.search()
  backtest(small.candles, small.positions, 0, small.candles.length, COSTS, BARS_PER_YEAR)
}

const { candles, setup, engine, search, positions } = prepare(BARS)

// Both paths implement the same model on the same signal, so they must end at the same equity.
// Checked without costs: with them, a minute-bar SMA cross trades its equity down to ~1e-50,
// where a relative comparison of 1 + totalReturn means nothing.
const free: Costs = { fee: 0, slippage: 0 }
const freeResult = evaluateGenome(def, createStrategyContext(candles), params, { ...setup, costs: free })
const check = [fused(candles, free, setup.split), (1 + (freeResult.inSample?.totalReturn ?? NaN)) * (1 + (freeResult.outOfSample?.totalReturn ?? NaN))]
if (!(Math.abs(check[0] - check[1]) <= 1e-9 * Math.abs(check[0]))) {
  throw new Error(`fused and engine paths disagree: ${check[0]} vs ${check[1]}`)
}

// (d): the job as the GA sees it, on the same candles and setup.
const spec = createJobSpec({
  engine: ENGINE_FIXTURE,
  strategy: { hash: sha256Hex(source), name: 'sma-cross' },
  dataset: { hash: 'f'.repeat(64), name: 'bench-1m', bars: BARS },
  ga: GA,
  minTrades: 0,
  fee: COSTS.fee,
  slippage: COSTS.slippage,
  oosFraction: 0.3,
})
// The cache bound a pool of one evaluator gives its evaluator on this machine.
const gaCtx = createStrategyContext(candles, { maxCacheBytes: evaluatorCacheBytes(1) })
const gaSetup = evalSetupFor(spec, candles)
let gaCalls = 0
const gaPrefixes = createPrefixContexts(candles, Math.floor(evaluatorCacheBytes(1) / 4))
const gaEnv: UnitEnv = {
  def,
  evaluate: (p, scope) => { gaCalls++; return evaluateGenome(def, gaCtx, p, gaSetup, scope) },
  // Each unit checks its sample for look-ahead, as the evaluator's isolate does (isolate/entry.ts,
  // which reports each sampled genome as progress): the same work and the same count in both realms.
  lookAhead: (input, population) => {
    const sample = lookAheadSample(spec, gaSetup, candles.length, input.island, input.epoch, population)
    for (const p of sample.genomes) {
      gaCalls++
      checkLookAhead(def, gaCtx, gaPrefixes, p, sample.cuts)
    }
  },
}
let island = 0
/** Each unit's checkpoint as JSON, to hold (d-iso)'s against. */
const gaCheckpoints: string[] = []
/** Runs one unit; returns its evaluation calls (per bar of work: each call runs all BARS bars). */
const gaUnit = (): number => {
  const before = gaCalls
  gaCheckpoints.push(JSON.stringify(runUnit({ spec, island: island++, epoch: 0, previous: null, migrants: null }, gaEnv)))
  return gaCalls - before
}
const gaCallsPerRun: number[] = []

// (d-iso): the isolate an evaluator child makes for this job (src/node/evaluators/child.ts), with
// the engine bundle of this build; every evaluation reports its progress first, as in the child.
const ivm = (createRequire(import.meta.url)(isolatedVmBinary()) as { ivm: typeof IsolatedVm }).ivm
const isoCacheBytes = evaluatorCacheBytes(1)
let isoCalls = 0
const isoHost = new IsolateHost({
  ivm,
  engineScript: engineScript(),
  memoryMb: isolateMemoryMb(DEFAULT_MEMORY_MB, jobIsolateBytes(candles.length, isoCacheBytes)),
  onProgress: () => { isoCalls++; return true },
})
isoHost.loadJob(compileStrategy(source, 'sma-cross.ts'), 'sma-cross.ts', [candles], spec, isoCacheBytes)
let isoIsland = 0
const isoCheckpoints: string[] = []
const isoUnit = (): number => {
  const before = isoCalls
  isoCheckpoints.push(JSON.stringify(isoHost.runUnit({ spec, island: isoIsland++, epoch: 0, previous: null, migrants: null }, [])))
  return isoCalls - before
}
const isoCallsPerRun: number[] = []

const [a, b, b2, c, d, dIso] = timeRounds([
  () => fused(candles, COSTS, setup.split),
  engine,
  search,
  () => backtest(candles, positions, 0, BARS, COSTS, BARS_PER_YEAR).totalReturn,
  () => { const n = gaUnit(); gaCallsPerRun.push(n); return n },
  () => { const n = isoUnit(); isoCallsPerRun.push(n); return n },
], [WARMUP, WARMUP, WARMUP, WARMUP, 1, 1])
// The same units in both realms: the same evaluations, and bit for bit the same checkpoints.
gaCheckpoints.forEach((cp, i) => {
  if (cp !== isoCheckpoints[i] || gaCallsPerRun[i] !== isoCallsPerRun[i]) {
    throw new Error(`unit ${i}: the isolate's checkpoint or evaluation count differs from the in-process one`)
  }
})
// The warm-up unit's calls are not timed.
gaCallsPerRun.shift()
isoCallsPerRun.shift()

const mps = (ms: number): number => BARS / ms / 1000
const rate = (ms: number): string => `${mps(ms).toFixed(1)}M candles/s`
const spread = (t: { all: number[] }): string => `runs ${Math.min(...t.all.map(mps)).toFixed(0)}-${Math.max(...t.all.map(mps)).toFixed(0)}M/s`
const row = (label: string, t: { median: number, best: number, all: number[] }): string =>
  `  ${label.padEnd(44)} median ${t.median.toFixed(2)} ms  ${rate(t.median).padEnd(18)} best ${rate(t.best).padEnd(18)} ${spread(t)}`
console.log(`backtest bench: ${BARS} candles, strategies/sma-cross.ts (${FAST}, ${SLOW}), ${RUNS} interleaved runs, CPU time, node ${process.version}`)
console.log(row('(a) minimal fused loop (reference)', a))
console.log(row('(b) sma-cross through evaluateGenome', b))
console.log(row("(b') the same, scope 'fitness' (GA search)", b2))
console.log(row('(c) backtest() alone, all bars', c))
console.log(`  (b) = ${mps(b.median).toFixed(1)}M candles/s on the median (goal >= 100M/s)`)
console.log(`  ratio b/a (throughput) = ${(a.median / b.median).toFixed(2)} on medians, ${(a.best / b.best).toFixed(2)} on best runs (goal >= 0.6)`)
console.log(`  (b') = ${mps(b2.median).toFixed(1)}M candles/s, ratio b'/a = ${(a.median / b2.median).toFixed(2)} on medians, ${(a.best / b2.best).toFixed(2)} on best runs`)
// (d) per round: calls x bars / CPU time of that round's unit.
const gaRates = d.all.map((ms, i) => gaCallsPerRun[i] * BARS / ms / 1000)
const gaMedian = median(gaRates)
console.log(`  (d) GA units of ${GA.population} x ${GA.generations}, ${median(gaCallsPerRun)} evaluation calls each (median), unit CPU ${median(d.all).toFixed(0)} ms: ` +
  `${gaMedian.toFixed(1)}M candles/s on the median (runs ${Math.min(...gaRates).toFixed(0)}-${Math.max(...gaRates).toFixed(0)}M/s), ratio d/a = ${(gaMedian / mps(a.median)).toFixed(2)} on medians, ` +
  // A unit takes seconds: against the reference timed just before it, round by round.
  `${median(gaRates.map((r, i) => r / mps(a.all[i]))).toFixed(2)} round by round (median); ` +
  `indicator cache ${JSON.stringify(gaCtx.cacheStats())}`)
// (d-iso) the same way, and against (d) of the same round (the same unit, timed just before it).
const isoRates = dIso.all.map((ms, i) => isoCallsPerRun[i] * BARS / ms / 1000)
const isoMedian = median(isoRates)
const isoVsD = isoRates.map((r, i) => r / gaRates[i])
const evalsPerCpuS = (calls: number[], t: Timing): number => median(calls.map((n, i) => n / t.all[i] * 1000))
const threadShare = (t: Timing): string => `${(100 * t.threadMs.reduce((x, y) => x + y) / t.all.reduce((x, y) => x + y)).toFixed(0)}%`
console.log(`  (d-iso) the same units in the evaluator's isolate, unit CPU ${median(dIso.all).toFixed(0)} ms: ` +
  `${isoMedian.toFixed(1)}M candles/s on the median (runs ${Math.min(...isoRates).toFixed(0)}-${Math.max(...isoRates).toFixed(0)}M/s), ` +
  `ratio d-iso/a = ${(isoMedian / mps(a.median)).toFixed(2)} on medians, ${median(isoRates.map((r, i) => r / mps(a.all[i]))).toFixed(2)} round by round (median)`)
console.log(`  ratio d-iso/d (goal >= 0.95) = ${(isoMedian / gaMedian).toFixed(2)} on medians, ${median(isoVsD).toFixed(2)} round by round (median; rounds ${isoVsD.map(r => r.toFixed(2)).join(' ')}); ` +
  `evaluations per CPU second: (d) ${evalsPerCpuS(gaCallsPerRun, d).toFixed(1)}, (d-iso) ${evalsPerCpuS(isoCallsPerRun, dIso).toFixed(1)} (medians); ` +
  `CPU on the calling thread: (d) ${threadShare(d)}, (d-iso) ${threadShare(dIso)}; checkpoints identical`)
