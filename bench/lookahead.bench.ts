/**
 * What the look-ahead check costs a job: GA units of the default job's shape (DEFAULT_GA: population
 * 32, 5 generations) on the bundled 500k-bar dataset, run in-process with the check (env.lookAhead,
 * as the evaluators run it) and without, interleaved round by round (the order alternates), on one
 * context whose indicator cache is warm, as in an evaluator that has run a unit of the job before.
 * Prints the median unit time of each (RUNS rounds), their ratio, and the time spent inside the
 * check as a share of the checked unit (the direct measure; the ratio of medians carries the noise
 * of two timings). Every unit of a job runs the check once, so the share is the job's too.
 * BENCH_STRATEGY=<file in strategies/> (default sma-cross.ts).
 * Run: node --import tsx bench/lookahead.bench.ts
 */
import { pathToFileURL } from 'node:url'
import { performance } from 'node:perf_hooks'
import { defaultDataset } from '../src/engine/data/synthetic.js'
import { runUnit, type UnitEnv } from '../src/engine/ga.js'
import { evaluateGenome } from '../src/engine/evaluate.js'
import { createJobSpec, evalSetupFor } from '../src/engine/job-setup.js'
import { checkLookAhead, createPrefixContexts, lookAheadSample } from '../src/engine/lookahead.js'
import { validateStrategyDefinition } from '../src/engine/param-space.js'
import { createStrategyContext, DEFAULT_MAX_CACHE_BYTES } from '../src/engine/strategy-context.js'
import type { StrategyDefinition } from '../src/engine/strategy-api.js'
import { ENGINE_FIXTURE } from '../test/helpers/job-spec-fixture.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 5)
const file = process.env.BENCH_STRATEGY ?? 'sma-cross.ts'

const def = validateStrategyDefinition((await import(pathToFileURL(new URL(`../strategies/${file}`, import.meta.url).pathname).href) as { default: unknown }).default, file) as StrategyDefinition
const { candles } = defaultDataset()
const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'a'.repeat(64), name: def.name }, dataset: { hash: 'b'.repeat(64), name: 'default', bars: candles.length } })
const setup = evalSetupFor(spec, candles)
const ctx = createStrategyContext(candles)
const prefixes = createPrefixContexts(candles, Math.floor(DEFAULT_MAX_CACHE_BYTES / 4))
let checkMs = 0
const plain: UnitEnv = { def, evaluate: (p, scope) => evaluateGenome(def, ctx, p, setup, scope) }
const checked: UnitEnv = {
  ...plain,
  lookAhead: (input, population) => {
    const t0 = performance.now()
    const sample = lookAheadSample(spec, setup, candles.length, input.island, input.epoch, population)
    for (const p of sample.genomes) checkLookAhead(def, ctx, prefixes, p, sample.cuts)
    checkMs += performance.now() - t0
  },
}

function unitMs (env: UnitEnv, island: number): number {
  const t0 = performance.now()
  runUnit({ spec, island, epoch: 0, previous: null, migrants: null }, env)
  return performance.now() - t0
}

const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)] }

unitMs(plain, spec.ga.islands - 1) // warm-up: the indicator cache and the JIT
const withCheck: number[] = []
const without: number[] = []
const shares: number[] = []
for (let r = 0; r < RUNS; r++) {
  const island = r % spec.ga.islands
  const order = r % 2 === 0 ? [true, false] : [false, true]
  for (const check of order) {
    if (check) {
      checkMs = 0
      const ms = unitMs(checked, island)
      withCheck.push(ms)
      shares.push(checkMs / ms)
    } else {
      without.push(unitMs(plain, island))
    }
  }
  console.log(`round ${r + 1}: unit island ${island} with check ${withCheck[r].toFixed(0)} ms, without ${without[r].toFixed(0)} ms, check ${(shares[r] * 100).toFixed(2)} % of the checked unit`)
}
const a = median(withCheck)
const b = median(without)
console.log(`${file}, ${candles.length} bars, population ${spec.ga.population} x ${spec.ga.generations} generations, ${RUNS} rounds`)
console.log(`median unit: with the check ${a.toFixed(0)} ms, without ${b.toFixed(0)} ms, ratio ${(a / b).toFixed(3)}`)
console.log(`time inside the check: median ${(median(shares) * 100).toFixed(2)} % of a unit (goal: at most 5 %)`)
