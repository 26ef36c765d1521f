/**
 * A genome's per-bar in-sample returns, for the statistics that need the whole record (the DSR's
 * moments, PBO's blocks), not just the Metrics a checkpoint keeps.
 */
import { backtest } from '../backtest.js'
import { checkPositions, checkSplit, type EvalSetup } from '../evaluate.js'
import type { ParamsOf, ParamSpace, StrategyContext, StrategyDefinition } from '../strategy-api.js'
import type { Metrics, ParamValues } from '../../protocol/types.js'

export interface InSampleRecord {
  /** r[k] = E[k] / E[k - 1] - 1 for bar from + k, r[0] = 0 (the range starts flat), as backtest.ts defines them. */
  readonly returns: Float64Array
  /** The same backtest's metrics, bit for bit those of evaluateGenome. */
  readonly metrics: Metrics
}

/** Runs the genome as evaluateGenome does and returns its in-sample record; null when the strategy fails. */
export function inSampleRecord<S extends ParamSpace> (def: StrategyDefinition<S>, ctx: StrategyContext, params: ParamValues, setup: EvalSetup): InSampleRecord | null {
  checkSplit(setup, ctx.length)
  let positions: Float64Array | string
  try {
    positions = checkPositions(def.positions(ctx, params as ParamsOf<S>), ctx.length)
  } catch {
    return null
  }
  if (typeof positions === 'string') return null
  const equity = new Float64Array(setup.split - setup.from)
  const metrics = backtest(ctx, positions, setup.from, setup.split, setup.costs, setup.barsPerYear, { equity })
  const returns = new Float64Array(equity.length)
  let before = 1
  for (let k = 0; k < equity.length; k++) {
    returns[k] = before > 0 ? equity[k] / before - 1 : 0
    before = equity[k]
  }
  return { returns, metrics }
}
