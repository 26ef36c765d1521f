/**
 * Throughput of GA units through the evaluator pool on 1M candles (the bundled SMA-cross strategy):
 * a pool of one evaluator vs a pool of two, each fed from a queue of units as the peer feeds it, in
 * interleaved rounds (the ratio is also given round by round; see round() for what is counted).
 * Prints evaluations/s for each (median of RUNS timed runs), evaluations per CPU second (what one
 * core delivers, whatever else the machine runs), the ratio (goal >= 1.8x on a machine with 2 idle
 * cores), the same unit run in-process (the IPC and sandbox overhead) with its indicator cache hit
 * rate, the peak resident memory of the evaluator processes, and a control: the in-process loop in
 * one plain process, then in two at once, i.e. how far this machine scales from one busy core to two.
 * The GA shape is BENCH_GA=<population>x<generations> (default 64x10, the shape of the goal).
 * Run: node --import tsx bench/evaluator.bench.ts
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { evaluatorCacheBytes } from '../src/node/evaluators/memory-plan.js'
import { createEvaluatorPool, type EvaluatorPool, type PoolJob } from '../src/node/evaluators/pool.js'
import { compileStrategy } from '../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../src/node/evaluators/strategy-module.js'
import { runUnit, type UnitEnv, type UnitInput } from '../src/engine/ga.js'
import { evaluateGenome } from '../src/engine/evaluate.js'
import { createJobSpec, evalSetupFor } from '../src/engine/job-setup.js'
import { createStrategyContext } from '../src/engine/strategy-context.js'
import { createPrng } from '../src/engine/prng.js'
import type { Candles } from '../src/protocol/types.js'
import { sha256Hex } from '../src/protocol/canonical.js'
import { ENGINE_FIXTURE } from '../test/helpers/job-spec-fixture.js'
import { engineScript } from '../test/helpers/engine-script.js'
import { median } from './median.js'

const BARS = 1_000_000
/** Timed runs per configuration; the median is reported. */
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const GA_SHAPE = /^(\d+)x(\d+)$/.exec(process.env.BENCH_GA ?? '64x10')
if (GA_SHAPE === null) throw new Error('BENCH_GA must look like 64x10 (population x generations)')
const GA = { islands: 64, population: Number(GA_SHAPE[1]), generations: Number(GA_SHAPE[2]), epochs: 1 }

function syntheticCandles (n: number): Candles {
  const rng = createPrng(2024)
  const c = { length: n, time: new Float64Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) }
  let price = 100
  for (let i = 0; i < n; i++) {
    const open = price
    price = Math.max(1, price * (1 + (rng.next() - 0.5) * 0.004))
    c.time[i] = 1_700_000_000_000 + i * 60_000
    c.open[i] = open
    c.close[i] = price
    c.high[i] = Math.max(open, price) * 1.0005
    c.low[i] = Math.min(open, price) * 0.9995
    c.volume[i] = 1 + rng.next()
  }
  return c
}

const source = readFileSync(new URL('../strategies/sma-cross.ts', import.meta.url), 'utf8')
const candles = syntheticCandles(BARS)
const spec = createJobSpec({
  engine: ENGINE_FIXTURE,
  strategy: { hash: sha256Hex(source), name: 'sma-cross' },
  dataset: { hash: 'e'.repeat(64), name: 'synthetic-1m', bars: BARS },
  ga: GA,
})
const job: PoolJob = { key: 'bench', engine: engineScript(), source, fileName: 'sma-cross.ts', candles, spec }
const unit = (island: number): UnitInput => ({ spec, island, epoch: 0, previous: null, migrants: null })

function peakRssMb (pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m === null ? NaN : Number(m[1]) / 1024
}

/** CPU seconds (user + system) a process has used; clock ticks are 100 per second on Linux. */
function cpuSeconds (pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** Per round: evaluations/s, the evaluators' CPU time / wall time, and the parent's (this process: the pool's side of the IPC). */
interface Measured { rates: number[], coresUsed: number[], parentCores: number[] }

/** What one round measured, over the time every evaluator had work (see round()). */
interface Busy { seconds: number, evaluations: number, cpu: number, parent: number }

/** Units each evaluator is given per round. */
const UNITS_PER_EVALUATOR = 2

let nextIsland = 0

/**
 * One round: UNITS_PER_EVALUATOR units per evaluator of `pool` in one queue, each evaluator taking
 * the next unit as soon as it has finished one, as the peer's scheduler feeds its evaluators.
 * Evaluations are counted over the time every evaluator had work: from the start until the queue
 * runs dry and the first evaluator finds nothing left (the evaluations of finished units plus those
 * the running units have reached). Waiting for the slowest unit instead would count the others'
 * idle time at the end of each round; units differ in length (the GA skips genomes it has seen),
 * and in a job an evaluator that finishes takes the next unit at once. The first round of a pool
 * is untimed: it sends the candles and warms the caches.
 */
async function round (pool: EvaluatorPool, size: number, m: Measured): Promise<void> {
  const queue = Array.from({ length: size * UNITS_PER_EVALUATOR }, () => unit(nextIsland++))
  const running = new Array<number>(size).fill(0)
  let finished = 0
  const cpu0 = pool.pids().reduce((s, p) => s + cpuSeconds(p), 0)
  const parent0 = process.cpuUsage()
  const t0 = performance.now()
  let busy: Busy | null = null
  const worker = async (k: number): Promise<void> => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      running[k] = 0
      const cp = await pool.runUnit(job, next, { onProgress: done => { running[k] = done } })
      running[k] = 0
      finished += cp.evaluations
    }
    if (busy !== null) return
    const parent = process.cpuUsage(parent0)
    busy = {
      seconds: (performance.now() - t0) / 1000,
      evaluations: finished + running.reduce((a, b) => a + b, 0),
      cpu: pool.pids().reduce((s, p) => s + cpuSeconds(p), 0) - cpu0,
      parent: (parent.user + parent.system) / 1e6,
    }
  }
  await Promise.all(Array.from({ length: size }, async (_, k) => { await worker(k) }))
  const w = busy as Busy | null
  if (w === null) throw new Error('a round ended without a measurement')
  m.rates.push(w.evaluations / w.seconds)
  m.coresUsed.push(w.cpu / w.seconds)
  m.parentCores.push(w.parent / w.seconds)
}

/**
 * A pool of one evaluator and a pool of two (each with the cache bound its size gives), RUNS
 * rounds each, interleaved (1, 2, 2, 1, 1, 2...) so a change in the neighbours' load hits both
 * alike; returns evaluations/s per round and the cores the evaluators actually got (their CPU time
 * / wall time), which tells a slow pool from a busy machine.
 */
async function measurePools (): Promise<{ one: Measured, two: Measured, rss: number[] }> {
  const pools = [createEvaluatorPool({ size: 1 }), createEvaluatorPool({ size: 2 })]
  try {
    for (const p of pools) await p.start()
    for (const [k, p] of pools.entries()) await round(p, k + 1, { rates: [], coresUsed: [], parentCores: [] })
    const [one, two]: Measured[] = [{ rates: [], coresUsed: [], parentCores: [] }, { rates: [], coresUsed: [], parentCores: [] }]
    for (let r = 0; r < RUNS; r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0]
      for (const k of order) await round(pools[k], k + 1, k === 0 ? one : two)
    }
    return { one, two, rss: pools.flatMap(p => p.pids().map(peakRssMb)) }
  } finally {
    for (const p of pools) await p.stop()
  }
}

interface InProcess { rates: number[], perCpuSecond: number[], hitRate: number }

function inProcess (): InProcess {
  const def = instantiateStrategy(compileStrategy(source, 'sma-cross.ts'), 'sma-cross.ts')
  // The bound a pool of one evaluator gives its evaluator on this machine.
  const ctx = createStrategyContext(candles, { maxCacheBytes: evaluatorCacheBytes(1) })
  const setup = evalSetupFor(spec, candles)
  const env: UnitEnv = { def, evaluate: (p, scope) => evaluateGenome(def, ctx, p, setup, scope) }
  runUnit(unit(nextIsland++), env)
  const before = ctx.cacheStats()
  const out: InProcess = { rates: [], perCpuSecond: [], hitRate: 0 }
  for (let r = 0; r < RUNS; r++) {
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const cp = runUnit(unit(nextIsland++), env)
    const cpu = process.cpuUsage(cpu0)
    out.rates.push(cp.evaluations / ((performance.now() - t0) / 1000))
    out.perCpuSecond.push(cp.evaluations / ((cpu.user + cpu.system) / 1e6))
  }
  const after = ctx.cacheStats()
  const hits = after.hits - before.hits
  out.hitRate = hits / (hits + after.misses - before.misses)
  return out
}

/**
 * The machine's own scaling, without the pool: the in-process loop in one plain process, then in
 * two at once, measured back to back the same way. Two busy cores rarely give twice one (shared
 * caches, memory bandwidth, hyperthreads, neighbours on a VM host, the GC's helper threads, which
 * already use part of the second core when one process runs); the pool can only be judged against this.
 */
async function plainProcesses (count: number): Promise<number> {
  const self = fileURLToPath(import.meta.url)
  const one = (): Promise<number> => new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, self, '--plain'], { env: { ...process.env, BENCH_RUNS: String(RUNS) } }, (err, stdout) => {
      if (err !== null) reject(err)
      else resolve(Number(stdout.trim()))
    })
  })
  const rates = await Promise.all(Array.from({ length: count }, one))
  return rates.reduce((a, b) => a + b, 0)
}

const fmt = (x: number): string => x.toFixed(1)
if (process.argv.includes('--plain')) {
  console.log(median(inProcess().rates))
  process.exit(0)
}
const mib = (n: number): string => `${(evaluatorCacheBytes(n) / 1024 / 1024).toFixed(0)} MiB`
console.log(`evaluator pool: ${BARS} candles, sma-cross, population ${GA.population}, ${GA.generations} generations, median of ${RUNS} runs, node ${process.version}`)
console.log(`indicator cache per evaluator (sized from this machine): ${mib(1)} with 1 evaluator, ${mib(2)} with 2`)
const local = inProcess()
console.log(`in-process (no pool)     ${fmt(median(local.rates))} evaluations/s   runs: ${local.rates.map(fmt).join(' ')}`)
console.log(`  per CPU second         ${fmt(median(local.perCpuSecond))} evaluations   runs: ${local.perCpuSecond.map(fmt).join(' ')}   indicator cache hits ${(local.hitRate * 100).toFixed(0)} %`)
const report = (label: string, m: Measured): void => {
  console.log(`${label} ${fmt(median(m.rates))} evaluations/s   runs: ${m.rates.map(fmt).join(' ')}   cores used: ${m.coresUsed.map(c => c.toFixed(2)).join(' ')}   parent: ${m.parentCores.map(c => c.toFixed(3)).join(' ')}`)
}
const { one, two, rss } = await measurePools()
report(`1 evaluator, ${UNITS_PER_EVALUATOR} units    `, one)
report(`2 evaluators, ${2 * UNITS_PER_EVALUATOR} units  `, two)
const pairs = two.rates.map((r, i) => r / one.rates[i])
console.log(`ratio 2/1                ${(median(two.rates) / median(one.rates)).toFixed(2)}x on medians; round by round ${pairs.map(x => x.toFixed(2)).join(' ')}, median ${median(pairs).toFixed(2)}x (goal >= 1.8x with 2 idle cores)`)
const perCore = (m: Measured): number => median(m.rates.map((r, i) => r / m.coresUsed[i]))
console.log(`per CPU second           ${fmt(perCore(one))} (1 evaluator) vs ${fmt(perCore(two))} (2 evaluators) evaluations (goal >= 100; equal = the pool scales, lower with 2 = shared caches, memory bandwidth or neighbours)`)
console.log(`pool overhead            ${((1 - median(one.rates) / median(local.rates)) * 100).toFixed(1)} % below in-process`)
const single = await plainProcesses(1)
const pair = await plainProcesses(2)
console.log(`control, no pool: 1 plain process ${fmt(single)}, 2 at once ${fmt(pair)} evaluations/s = ${(pair / single).toFixed(2)}x (the machine's ceiling for the ratio)`)
console.log(`evaluator peak RSS       ${rss.map(x => `${fmt(x)} MB`).join(', ')}`)
