import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkPlan, checkpointNumbersProblem, checkpointShapeProblem, POPULATION_SAMPLE } from '../../src/engine/checkpoint-check.js'
import { BEST_PER_UNIT, runUnit, type UnitEnv } from '../../src/engine/ga.js'
import { createJobSpec, jobId } from '../../src/engine/job-setup.js'
import type { Checkpoint } from '../../src/protocol/job-spec.js'
import { paramsKey } from '../../src/protocol/params-key.js'
import { defineStrategy, float, int } from '../../src/engine/strategy-api.js'
import type { EvalResult, Metrics, ParamValues } from '../../src/protocol/types.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

// An analytic landscape stands in for the backtester (as in ga.test.ts): what is under test is
// which genomes get re-evaluated and how the recorded numbers are compared.
const def = defineStrategy({
  name: 'landscape',
  params: { a: int(0, 100), b: float(-5, 5) },
  positions: ctx => ctx.output(),
})
const zero: Metrics = { totalReturn: 0, cagr: 0, sharpe: 0, sortino: 0, maxDrawdown: 0, calmar: 0, trades: 20, winRate: 0, profitFactor: 0, exposure: 0, bars: 1 }
function landscape (p: ParamValues): EvalResult {
  const fitness = -(((p.a as number) - 37) ** 2) / 100 - ((p.b as number) - 1.5) ** 2
  return { fitness, inSample: { ...zero, sharpe: fitness }, outOfSample: { ...zero, sharpe: fitness / 3 } }
}
const env: UnitEnv = { def, evaluate: landscape }
const spec = createJobSpec({
  engine: ENGINE_FIXTURE,
  strategy: { hash: 'a'.repeat(64), name: 'landscape' },
  dataset: { hash: 'b'.repeat(64), name: 'test', bars: 1000 },
  seed: 11,
  ga: { islands: 2, population: 24, generations: 3, epochs: 2 },
})
const id = jobId(spec)
const honest = runUnit({ spec, island: 1, epoch: 0, previous: null, migrants: null }, env)

/** Evaluates the plan's genomes as a checking peer would (here with the landscape). */
function evaluatePlan (cp: Checkpoint): { plan: ReturnType<typeof checkPlan>, results: Map<string, EvalResult> } {
  const plan = checkPlan(cp, canonicalHash(cp))
  return { plan, results: new Map(plan.genomes.map(g => [g.key, landscape(g.params)])) }
}

function edited (change: (cp: { population: Checkpoint['population'][number][], best: Checkpoint['best'][number][] }) => void): Checkpoint {
  const copy = structuredClone(honest) as unknown as { population: Checkpoint['population'][number][], best: Checkpoint['best'][number][] }
  change(copy)
  return copy as unknown as Checkpoint
}

test('an honest checkpoint passes both checks; the plan is every best genome plus a sample, the same for the same checkpoint', () => {
  assert.equal(checkpointShapeProblem(honest, spec, id, 1, 0), null)
  const { plan, results } = evaluatePlan(honest)
  assert.equal(honest.best.length, BEST_PER_UNIT)
  const keys = plan.genomes.map(g => g.key)
  assert.deepEqual(keys.slice(0, BEST_PER_UNIT), honest.best.map(b => paramsKey(b.params)), 'every best genome, best first')
  assert.equal(keys.length, BEST_PER_UNIT + POPULATION_SAMPLE)
  assert.equal(new Set(keys).size, keys.length, 'each genome once')
  const rest = new Set(honest.population.slice(BEST_PER_UNIT).map(g => paramsKey(g.params)))
  assert.ok(keys.slice(BEST_PER_UNIT).every(k => rest.has(k)), 'the sample comes from outside the best list')
  assert.deepEqual(checkPlan(structuredClone(honest), canonicalHash(honest)), plan, 'every peer checks the same genomes')
  assert.notDeepEqual(checkPlan(honest, 'f'.repeat(64)).genomes.slice(BEST_PER_UNIT), plan.genomes.slice(BEST_PER_UNIT), 'the sample depends on the hash')
  assert.equal(checkpointNumbersProblem(honest, plan, results), null)
})

test('shape: the wrong unit, population size, order, or a best list that is not the population\'s top is named', () => {
  assert.match(checkpointShapeProblem(honest, spec, id, 0, 0) ?? '', /unit \(1, 0\)/)
  assert.match(checkpointShapeProblem(honest, spec, 'c'.repeat(64), 1, 0) ?? '', /of job/)
  assert.match(checkpointShapeProblem(edited(cp => { cp.population.pop() }), spec, id, 1, 0) ?? '', /population holds 23 genomes, the job's is 24/)
  assert.match(checkpointShapeProblem(edited(cp => { [cp.population[2], cp.population[3]] = [cp.population[3], cp.population[2]] }), spec, id, 1, 0) ?? '', /not in order of fitness at genome 3/)
  assert.match(checkpointShapeProblem(edited(cp => { cp.best.pop() }), spec, id, 1, 0) ?? '', /best list holds 9 genomes where the population's top has 10/)
  // The hostile member's usual trick: a winner with params nobody found, at the top of `best` only.
  assert.match(checkpointShapeProblem(edited(cp => { cp.best[0] = { ...cp.best[0], params: { a: 37, b: 1.5 }, fitness: 1e6 } }), spec, id, 1, 0) ?? '', /best genome 0 is not the population's genome 0/)
})

test('numbers: a fabricated fitness or metric on a best genome, or a wrong fitness in the sample, is found by evaluating', () => {
  // Inflated consistently in best and population, so the shape holds: only evaluation tells.
  const inflated = edited(cp => {
    cp.best[0] = { ...cp.best[0], fitness: 1e6, inSample: { ...(cp.best[0].inSample as Metrics), sharpe: 1e6 } }
    cp.population[0] = { ...cp.population[0], fitness: 1e6 }
  })
  assert.equal(checkpointShapeProblem(inflated, spec, id, 1, 0), null)
  const a = evaluatePlan(inflated)
  assert.match(checkpointNumbersProblem(inflated, a.plan, a.results) ?? '', /^best genome 0 \(.*\) records fitness 1000000, evaluating it gives -?\d/)

  const metric = edited(cp => { cp.best[4] = { ...cp.best[4], outOfSample: { ...(cp.best[4].outOfSample as Metrics), totalReturn: 0.5 } } })
  const b = evaluatePlan(metric)
  assert.match(checkpointNumbersProblem(metric, b.plan, b.results) ?? '', /^best genome 4 .* out-of-sample metrics/)

  // A sampled genome outside `best` with a wrong fitness (compared against the honest plan).
  const { plan, results } = evaluatePlan(honest)
  const sampled = plan.genomes[BEST_PER_UNIT].key
  const i = honest.population.findIndex(g => paramsKey(g.params) === sampled)
  const wrong = edited(cp => { cp.population[i] = { ...cp.population[i], fitness: (cp.population[i].fitness as number) - 1e-9 } })
  assert.match(checkpointNumbersProblem(wrong, plan, results) ?? '', new RegExp(`^genome ${i} `))
  // A genome the plan did not pick is not compared, whatever it says (the verdict depends on the checkpoint alone).
  const unpicked = honest.population.findIndex((g, k) => k >= BEST_PER_UNIT && !plan.genomes.some(p => p.key === paramsKey(g.params)))
  const ignored = edited(cp => { cp.population[unpicked] = { ...cp.population[unpicked], fitness: (cp.population[unpicked].fitness as number) - 1e-9 } })
  assert.equal(checkpointNumbersProblem(ignored, plan, results), null)
  assert.match(checkpointNumbersProblem(honest, plan, new Map([...results].slice(1))) ?? '', /was not evaluated/)
})
