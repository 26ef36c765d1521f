/**
 * Objectives: which metric the GA maximises. Fitness is always "higher is better".
 */
import { StratmeshError } from '../protocol/errors.js'
import type { Metrics, Objective } from '../protocol/types.js'

/** The metric an objective maximises. */
export function objectiveValue (metrics: Metrics, objective: Objective): number {
  switch (objective) {
    // 'robust' ranks by the Sharpe ratio averaged over a genome's neighbours (evaluate.ts robustFitness).
    case 'sharpe': case 'robust': return metrics.sharpe
    case 'sortino': return metrics.sortino
    case 'calmar': return metrics.calmar
    case 'return': return metrics.totalReturn
    default: throw new StratmeshError('OBJECTIVE_UNKNOWN', `unknown objective ${String(objective)}`, { details: { objective } })
  }
}

/**
 * A genome's fitness: the objective's metric, or null when it made fewer than `minTrades` trades,
 * so a strategy that (almost) never trades cannot win on a lucky or empty record.
 */
export function fitnessOf (metrics: Metrics, objective: Objective, minTrades: number): number | null {
  if (metrics.trades < minTrades) return null
  return objectiveValue(metrics, objective)
}
