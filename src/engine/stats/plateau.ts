/**
 * The plateau score of a genome: the share of its one-step neighbours (src/engine/neighbours.ts)
 * whose fitness stays close to its own. A genome on a plateau scores near 1; a lone bright dot,
 * whose neighbours fall away, near 0, however high it stands.
 */
import { evaluateGenome, type EvalSetup } from '../evaluate.js'
import { oneStepNeighbours } from '../neighbours.js'
import type { StrategyContext, StrategyDefinition } from '../strategy-api.js'
import type { Objective, ParamValues } from '../../protocol/types.js'

/**
 * A neighbour is "close" when |f_n - f| <= PLATEAU_TOLERANCE * |f|: within a fifth of the row's
 * fitness, a difference a trader would not act on; a failed neighbour (no fitness) is never close.
 */
export const PLATEAU_TOLERANCE = 0.2

export interface PlateauScore {
  /** Share of the neighbours within PLATEAU_TOLERANCE; null without neighbours or without a fitness of its own. */
  readonly score: number | null
  readonly neighbours: number
}

/**
 * The objective the plateau compares: the job's own, except that 'robust' (already an average over
 * the neighbours) is compared on the in-sample Sharpe it averages.
 */
export function plateauObjective (objective: Objective): Objective {
  return objective === 'robust' ? 'sharpe' : objective
}

/** The plateau score of `params`, whose own fitness under plateauObjective(setup.objective) is `own`. */
export function plateauScore (def: StrategyDefinition, ctx: StrategyContext, params: ParamValues, setup: EvalSetup, own: number | null): PlateauScore {
  const neighbours = oneStepNeighbours(def, params)
  if (own === null || neighbours.length === 0) return { score: null, neighbours: neighbours.length }
  const plain: EvalSetup = { ...setup, objective: plateauObjective(setup.objective) }
  let close = 0
  for (const p of neighbours) {
    const f = evaluateGenome(def, ctx, p, plain, 'fitness').fitness
    if (f !== null && Math.abs(f - own) <= PLATEAU_TOLERANCE * Math.abs(own)) close++
  }
  return { score: close / neighbours.length, neighbours: neighbours.length }
}
