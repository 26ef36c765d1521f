/**
 * What a new job costs an evaluator when it follows another job of the same strategy and candles:
 * in the child that ran the last one (use-job: the strategy, indicator cache and look-ahead prefixes
 * stay), or in a fresh child (the candles copied in again, every cache cold), as every job paid
 * before. The fresh case is made in the same run: a second pool gets each job with its own copy of
 * the candles (a pool reuses a child only for the very candles object it holds). Per job, through a
 * pool of one evaluator: its first unit and its second, and the job's statistics (in the kept
 * statistics evaluator, or a fresh one). Median of RUNS jobs each, the two pools alternating.
 *
 *   node --import tsx bench/job-switch.bench.ts            (100 000 bars, 48 x 60 units)
 *   BENCH_SIZE=large node --import tsx bench/job-switch.bench.ts   (1M bars, 64 x 10)
 */
import { readFileSync } from 'node:fs'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { createEvaluatorPool, type EvaluatorPool, type PoolJob } from '../src/node/evaluators/pool.js'
import { createJobSpec } from '../src/engine/job-setup.js'
import { syntheticCandles } from '../src/engine/data/synthetic.js'
import { STATISTICS_ROWS } from '../src/engine/stats/job-statistics.js'
import { sha256Hex } from '../src/protocol/canonical.js'
import type { Candles } from '../src/protocol/types.js'
import { ENGINE_FIXTURE } from '../test/helpers/job-spec-fixture.js'
import { engineScript } from '../test/helpers/engine-script.js'
import { median } from './median.js'

const LARGE = process.env.BENCH_SIZE === 'large'
const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const BARS = LARGE ? 1_000_000 : 100_000
const GA = LARGE ? { islands: 4, epochs: 4, population: 64, generations: 10 } : { islands: 4, epochs: 4, population: 48, generations: 60 }
const source = readFileSync(fileURLToPath(new URL('../strategies/sma-cross.ts', import.meta.url)), 'utf8')
const candles = syntheticCandles({ bars: BARS })

function copyOf (c: Candles): Candles {
  return { length: c.length, time: c.time.slice(), open: c.open.slice(), high: c.high.slice(), low: c.low.slice(), close: c.close.slice(), volume: c.volume.slice() }
}

function jobOf (seed: number, bars: Candles): PoolJob {
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: sha256Hex(source), name: 'sma-cross' }, dataset: { hash: 'e'.repeat(64), name: 'synthetic', bars: BARS }, ga: GA, seed, minTrades: 1 })
  return { key: `job-${seed}`, engine: engineScript(), source, fileName: 'sma-cross.ts', candles: bars, spec }
}

async function timed (run: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now()
  await run()
  return performance.now() - t0
}

interface JobTimes { first: number, second: number, statistics: number }

async function timeJob (pool: EvaluatorPool, job: PoolJob): Promise<JobTimes> {
  const unit = (island: number) => async () => await pool.runUnit(job, { spec: job.spec, island, epoch: 0, previous: null, migrants: null })
  const first = await timed(unit(0))
  let rows: Array<Record<string, number | string>> = []
  const second = await timed(async () => {
    const cp = await unit(1)()
    rows = cp.population.filter(g => g.fitness !== null).slice(0, STATISTICS_ROWS).map(g => g.params)
  })
  const statistics = await timed(async () => await pool.statistics(job, { spec: job.spec, rows, trials: 2000 }))
  return { first, second, statistics }
}

const same = createEvaluatorPool({ size: 1 })
const copies = createEvaluatorPool({ size: 1 })
await Promise.all([same.start(), copies.start()])
console.log(`job switch: sma-cross on ${BARS} bars, units of ${GA.population} x ${GA.generations}; median of ${RUNS} jobs each; node ${process.version}; load average ${loadavg().map(x => x.toFixed(1)).join(' ')}`)
const reused: JobTimes[] = []
const fresh: JobTimes[] = []
let seed = 100
// Untimed: the first job of each pool is cold either way.
await timeJob(same, jobOf(seed++, candles))
await timeJob(copies, jobOf(seed++, copyOf(candles)))
for (let r = 0; r < RUNS; r++) {
  for (const kind of r % 2 === 0 ? ['fresh', 'reused'] : ['reused', 'fresh']) {
    const t = await (kind === 'fresh' ? timeJob(copies, jobOf(seed++, copyOf(candles))) : timeJob(same, jobOf(seed++, candles)))
    ;(kind === 'fresh' ? fresh : reused).push(t)
    console.log(`run ${r + 1}, ${kind}: first unit ${t.first.toFixed(0)} ms, second ${t.second.toFixed(0)} ms, statistics ${t.statistics.toFixed(0)} ms`)
  }
}
await Promise.all([same.stop(), copies.stop()])
for (const [name, ts] of [['fresh child', fresh], ['same child', reused]] as const) {
  console.log(`${name}: first unit ${median(ts.map(t => t.first)).toFixed(0)} ms, second ${median(ts.map(t => t.second)).toFixed(0)} ms, statistics ${median(ts.map(t => t.statistics)).toFixed(0)} ms`)
}
