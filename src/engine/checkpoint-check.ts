/**
 * Checking another member's checkpoint without recomputing its unit. A unit is a pure function of
 * its inputs, so a checkpoint could be checked by running the unit again, at the unit's full cost.
 * These checks cost a handful of evaluations instead:
 * - the shape: the population has the job's size and is in the GA's order (fitness, then key), and
 *   `best` is exactly the population's leading genomes with a fitness, at most BEST_PER_UNIT of
 *   them, with the same params and fitness (what runUnit produces, see ga.ts);
 * - the numbers that reach the leaderboard: every `best` genome is evaluated again and its fitness,
 *   in-sample and out-of-sample metrics and error must match bit for bit;
 * - a sample of the rest: POPULATION_SAMPLE other genomes with a fitness, picked by a PRNG seeded
 *   from the checkpoint's hash (so every peer checks the same ones and reaches the same verdict),
 *   must match in fitness and error.
 * A fabricated winner, or a fabricated fitness that lifts a genome into the population's top,
 * fails. What passes: a population whose recorded fitness values are true but which the unit's
 * inputs would not have produced (steering the search without lying about any number). Only
 * recomputing the unit catches that; see docs/SECURITY.md.
 * Pure: the evaluations are the caller's (an evaluator process runs strategy code, not the peer).
 */
import { canonicalString } from '../protocol/canonical.js'
import { BEST_PER_UNIT, compareRanked } from './ga.js'
import type { Checkpoint, Genome, JobSpec } from '../protocol/job-spec.js'
import { paramsKey } from '../protocol/params-key.js'
import { checkpointUnitProblem } from '../protocol/checkpoint-unit.js'
import { createPrng } from './prng.js'
import type { EvalResult, ParamValues } from '../protocol/types.js'

/** Genomes outside `best` re-evaluated per checkpoint. */
export const POPULATION_SAMPLE = 4

export interface CheckPlan {
  /** Genomes to evaluate, each once (by paramsKey), best first then the sample. */
  readonly genomes: ReadonlyArray<{ readonly key: string, readonly params: ParamValues }>
}

function ranked (g: Genome): [number | null, string] {
  return [g.fitness, paramsKey(g.params)]
}

/**
 * What is wrong with the checkpoint's shape for unit (island, epoch) of `spec` (whose id is
 * `jobId`), or null. Needs no evaluation: first the wire format's unit check, then whether it is
 * in the GA's order with the GA's best list.
 */
export function checkpointShapeProblem (cp: Checkpoint, spec: JobSpec, jobId: string, island: number, epoch: number): string | null {
  const unit = checkpointUnitProblem(cp, spec, jobId, island, epoch)
  if (unit !== null) return unit
  for (let i = 1; i < cp.population.length; i++) {
    if (compareRanked(...ranked(cp.population[i - 1]), ...ranked(cp.population[i])) > 0) return `its population is not in order of fitness at genome ${i}`
  }
  let withFitness = 0
  while (withFitness < cp.population.length && cp.population[withFitness].fitness !== null) withFitness++
  const want = Math.min(BEST_PER_UNIT, withFitness)
  if (cp.best.length !== want) return `its best list holds ${cp.best.length} genomes where the population's top has ${want}`
  for (let k = 0; k < want; k++) {
    const b = cp.best[k]
    const g = cp.population[k]
    if (paramsKey(b.params) !== paramsKey(g.params) || b.fitness !== g.fitness || b.error !== g.error) return `best genome ${k} is not the population's genome ${k}`
  }
  return null
}

/** The genomes to evaluate for the numbers check (see the module comment); `hash` is the checkpoint's. */
export function checkPlan (cp: Checkpoint, hash: string): CheckPlan {
  const seen = new Set<string>()
  const genomes: Array<{ key: string, params: ParamValues }> = []
  const add = (params: ParamValues): void => {
    const key = paramsKey(params)
    if (seen.has(key)) return
    seen.add(key)
    genomes.push({ key, params })
  }
  for (const b of cp.best) add(b.params)
  const rest: number[] = []
  for (let i = cp.best.length; i < cp.population.length; i++) {
    const g = cp.population[i]
    if (g.fitness !== null && g.error === undefined && !seen.has(paramsKey(g.params))) rest.push(i)
  }
  const rng = createPrng(Number.parseInt(hash.slice(0, 8), 16) || 0, Number.parseInt(hash.slice(8, 16), 16) || 0)
  for (let k = 0; k < POPULATION_SAMPLE && rest.length > 0; k++) {
    const [i] = rest.splice(rng.int(rest.length), 1)
    add(cp.population[i].params)
  }
  return { genomes }
}

function same (a: unknown, b: unknown): boolean {
  return canonicalString(a ?? null) === canonicalString(b ?? null)
}

/**
 * Compares the checkpoint's recorded numbers with fresh evaluations of its plan's genomes (by
 * paramsKey; every genome of the plan must be there, others are ignored so the verdict depends on
 * the checkpoint alone). Returns what differs, or null when everything matches.
 */
export function checkpointNumbersProblem (cp: Checkpoint, plan: CheckPlan, results: ReadonlyMap<string, EvalResult>): string | null {
  const planned = new Set(plan.genomes.map(g => g.key))
  for (const key of planned) if (!results.has(key)) return `genome ${key} was not evaluated`
  const differs = (what: string, g: Genome, r: EvalResult): string =>
    `${what} (${paramsKey(g.params)}) records fitness ${g.fitness}, evaluating it gives ${r.fitness}${r.error === undefined ? '' : ` (${r.error})`}`
  for (const [k, b] of cp.best.entries()) {
    const key = paramsKey(b.params)
    const r = results.get(key) as EvalResult
    if (b.fitness !== r.fitness || b.error !== r.error) return differs(`best genome ${k}`, b, r)
    if (!same(b.inSample, r.inSample)) return `best genome ${k} (${key}) records in-sample metrics that evaluating it does not give`
    if (!same(b.outOfSample, r.outOfSample)) return `best genome ${k} (${key}) records out-of-sample metrics that evaluating it does not give`
    if (!same(b.symbols, r.symbols)) return `best genome ${k} (${key}) records per-symbol results that evaluating it does not give`
  }
  for (const [i, g] of cp.population.entries()) {
    if (i < cp.best.length) continue
    const key = paramsKey(g.params)
    if (!planned.has(key)) continue
    const r = results.get(key) as EvalResult
    if (g.fitness !== r.fitness || g.error !== r.error) return differs(`genome ${i}`, g, r)
  }
  return null
}
