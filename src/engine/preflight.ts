/**
 * The check a job passes at submit, before anything is published: every island's first population
 * is drawn exactly as its unit will draw it (so a constraint nothing satisfies fails here, with
 * STRATEGY_CONSTRAINTS_UNSATISFIABLE, not in every unit of every peer), and a sample of those
 * genomes is checked for look-ahead (STRATEGY_LOOKAHEAD) at more cuts than a unit uses.
 */
import type { JobSpec } from '../protocol/job-spec.js'
import { firstPopulation, unitPrng } from './ga.js'
import { checkLookAhead, submitLookAheadSample, type EvalRanges, type PrefixContexts } from './lookahead.js'
import type { StrategyContext, StrategyDefinition } from './strategy-api.js'

export interface PreflightReport {
  /** Genomes drawn for the islands' first populations (all kept to the constraints). */
  readonly sampled: number
  /** Genomes checked for look-ahead, and at how many cuts. */
  readonly checked: number
  readonly cuts: number
}

/** Throws the first problem found; see the module comment. */
export function submitPreflight (spec: JobSpec, ranges: EvalRanges, def: StrategyDefinition, ctx: StrategyContext, prefixes: PrefixContexts): PreflightReport {
  const populations = Array.from({ length: spec.ga.islands }, (_, island) => firstPopulation(spec, def, unitPrng(spec, island, 0)))
  const sample = submitLookAheadSample(spec, ranges, ctx.length, populations)
  for (const params of sample.genomes) checkLookAhead(def, ctx, prefixes, params, sample.cuts)
  return { sampled: populations.length * spec.ga.population, checked: sample.genomes.length, cuts: sample.cuts.length }
}
