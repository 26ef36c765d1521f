/**
 * The cost of a job's overfitting statistics (DSR, PBO, plateau scores: src/engine/stats) as a
 * share of the job itself: the default job (`peer submit strategies/sma-cross.ts` with every
 * default: the bundled 500k-bar dataset, 4 islands x 4 epochs of 32 genomes x 5 generations) run
 * in process, unit after unit, then its statistics computed from its checkpoints, each in a fresh
 * strategy context (as a peer's evaluator starts them: no indicator cache carried over). Prints
 * the median of RUNS runs of each, and the ratio run by run (goal: a few per cent).
 * Run: node --import tsx bench/statistics.bench.ts   (BENCH_RUNS=<n>, default 5)
 */
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { runUnit } from '../src/engine/ga.js'
import { runJobLocally } from '../src/engine/job-runner.js'
import { evaluateGenome } from '../src/engine/evaluate.js'
import { createJobSpec, evalSetupFor } from '../src/engine/job-setup.js'
import { createStrategyContext } from '../src/engine/strategy-context.js'
import { defaultDataset } from '../src/engine/data/synthetic.js'
import { jobStatistics, STATISTICS_ROWS, VARIANCE_SAMPLE } from '../src/engine/stats/job-statistics.js'
import { leaderboardOf } from '../src/ledger/leaderboard.js'
import { compileStrategy } from '../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../src/node/evaluators/strategy-module.js'
import { sha256Hex } from '../src/protocol/canonical.js'
import { ENGINE_FIXTURE } from '../test/helpers/job-spec-fixture.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)

const source = readFileSync(new URL('../strategies/sma-cross.ts', import.meta.url), 'utf8')
const def = instantiateStrategy(compileStrategy(source, 'sma-cross.ts'), 'sma-cross.ts')
const { name, candles } = defaultDataset()
const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: sha256Hex(source), name: 'sma-cross' }, dataset: { hash: 'd'.repeat(64), name, bars: candles.length } })
const setup = evalSetupFor(spec, candles)

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

const jobMs: number[] = []
const statsMs: number[] = []
let summary = ''
for (let run = 0; run < RUNS; run++) {
  const ctx = createStrategyContext(candles)
  let t = performance.now()
  const checkpoints = await runJobLocally(spec, async input => runUnit(input, { def, evaluate: (p, scope) => evaluateGenome(def, ctx, p, setup, scope) }))
  jobMs.push(performance.now() - t)
  const input = { spec, rows: leaderboardOf(checkpoints, STATISTICS_ROWS).map(r => r.params), trials: checkpoints.reduce((s, cp) => s + cp.evaluations, 0) }
  t = performance.now()
  const stats = jobStatistics(def, createStrategyContext(candles), setup, input)
  statsMs.push(performance.now() - t)
  const neighbours = stats.rows.reduce((s, r) => s + r.neighbours, 0)
  summary = `${input.trials} trials; statistics ran ${stats.rows.length} rows + ${neighbours} neighbours + ${stats.varianceSample} of ${VARIANCE_SAMPLE} variance genomes ` +
    `= ${stats.rows.length + neighbours + stats.varianceSample} evaluations (${((stats.rows.length + neighbours + stats.varianceSample) / input.trials * 100).toFixed(1)} % of the job's); ` +
    `PBO ${stats.pbo} over ${stats.pboRows} rows, best row DSR ${stats.rows[0]?.dsr?.toFixed(3) ?? '-'}`
  console.log(`run ${run + 1}: job ${(jobMs[run] / 1000).toFixed(2)} s, statistics ${(statsMs[run] / 1000).toFixed(3)} s, ratio ${(statsMs[run] / jobMs[run] * 100).toFixed(2)} %`)
}
console.log(`\n${candles.length} bars, ${spec.ga.islands} x ${spec.ga.epochs} units of ${spec.ga.population} x ${spec.ga.generations + 1}; ${summary}`)
console.log(`median of ${RUNS}: job ${(median(jobMs) / 1000).toFixed(2)} s, statistics ${(median(statsMs) / 1000).toFixed(3)} s, ` +
  `statistics / job ${(median(statsMs.map((s, i) => s / jobMs[i])) * 100).toFixed(2)} % (median of the per-run ratios)`)
