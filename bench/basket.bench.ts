/**
 * What several symbols per genome cost: the same GA units (sma-cross, population 32, 5
 * generations, each round a new island) on a one-dataset job and on basket jobs of 3 and 5
 * symbols of BARS synthetic bars each, run as an evaluator runs them: the engine bundle in an
 * isolated-vm isolate loaded by the evaluator's IsolateHost, with the cache bound a pool of one
 * evaluator gives (shared among a basket's symbols). Each case keeps its isolate, so its indicator
 * caches, across rounds, as an evaluator does through a job. Timed in interleaved rounds (CPU
 * time of the process; the isolate runs on this thread); prints the median and best of RUNS units
 * per case, evaluations per unit, and the ratio of each basket's median to the one-symbol median
 * of the same run. The expectation is about N: every genome runs once per symbol.
 * Run: node --import tsx bench/basket.bench.ts   (BENCH_RUNS, BENCH_BARS to change the size)
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import type IsolatedVm from 'isolated-vm'
import { createJobSpec } from '../src/engine/job-setup.js'
import { syntheticCandles } from '../src/engine/data/synthetic.js'
import { sha256Hex } from '../src/protocol/canonical.js'
import type { JobSpec } from '../src/protocol/job-spec.js'
import type { Candles } from '../src/protocol/types.js'
import { evaluatorCacheBytes } from '../src/node/evaluators/memory-plan.js'
import { compileStrategy } from '../src/node/evaluators/strategy-compiler.js'
import { IsolateHost, isolateMemoryMb, jobIsolateBytes } from '../src/node/evaluators/isolate-host.js'
import { isolatedVmBinary } from '../src/node/evaluators/launch.js'
import { DEFAULT_MEMORY_MB } from '../src/node/evaluators/pool.js'
import { ENGINE_FIXTURE } from '../test/helpers/job-spec-fixture.js'
import { engineScript } from '../test/helpers/engine-script.js'
import { median } from './median.js'

const BARS = Number(process.env.BENCH_BARS ?? 200_000)
/** Timed units per case (at least 5); the median is reported. */
const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 7))
const SIZES = [1, 3, 5]
const GA = { islands: 256, population: 32, generations: 5, epochs: 1 }

const source = readFileSync(new URL('../strategies/sma-cross.ts', import.meta.url), 'utf8')
const code = compileStrategy(source, 'sma-cross.ts')
const ivm = (createRequire(import.meta.url)(isolatedVmBinary()) as { ivm: typeof IsolatedVm }).ivm
const cacheBytes = evaluatorCacheBytes(1)
const symbols: Candles[] = Array.from({ length: Math.max(...SIZES) }, (_, k) => syntheticCandles({ bars: BARS, seed: 100 + k }))

function specFor (n: number): JobSpec {
  const datasets = symbols.slice(0, n).map((c, k) => ({ hash: sha256Hex(`symbol ${k}`), name: `sym${k}`, bars: c.length }))
  return createJobSpec({
    engine: ENGINE_FIXTURE,
    strategy: { hash: sha256Hex(source), name: 'sma-cross' },
    dataset: datasets[0],
    ...(n === 1 ? {} : { basket: { datasets, aggregate: 'median' as const } }),
    ga: GA,
    minTrades: 0,
  })
}

interface Case { readonly n: number, readonly unit: () => number, readonly evaluations: number[], readonly ms: number[] }

function caseFor (n: number): Case {
  const spec = specFor(n)
  const host = new IsolateHost({ ivm, engineScript: engineScript(), memoryMb: isolateMemoryMb(DEFAULT_MEMORY_MB, jobIsolateBytes(n * BARS, cacheBytes)), onProgress: () => true })
  host.loadJob(code, 'sma-cross.ts', symbols.slice(0, n), spec, cacheBytes)
  let island = 0
  const evaluations: number[] = []
  const unit = (): number => {
    const cp = host.runUnit({ spec, island: island++, epoch: 0, previous: null, migrants: null }, []) as { evaluations: number }
    evaluations.push(cp.evaluations)
    return cp.evaluations
  }
  return { n, unit, evaluations, ms: [] }
}

const cases = SIZES.map(caseFor)
for (const c of cases) c.unit() // warm-up: compiles the engine's hot paths and fills the caches
for (let round = 0; round < RUNS; round++) {
  for (const c of cases) {
    const t0 = process.cpuUsage()
    c.unit()
    const used = process.cpuUsage(t0)
    c.ms.push((used.user + used.system) / 1000)
  }
}

const base = median(cases[0].ms)
console.log(`basket bench: ${BARS} bars per symbol, units of population ${GA.population} x ${GA.generations} generations, ${RUNS} timed units per case (CPU ms)`)
for (const c of cases) {
  const m = median(c.ms)
  console.log(`${String(c.n).padStart(2)} symbol(s): median ${m.toFixed(0)} ms, best ${Math.min(...c.ms).toFixed(0)} ms, ${median(c.evaluations.slice(1))} evaluations per unit, ${(m / base).toFixed(2)} x one symbol (${(m / base / c.n).toFixed(2)} x N)`)
}
