/**
 * A genome's neighbours one step away, one parameter at a time: what the plateau score and the
 * robust objective re-evaluate to tell a lone bright dot in the parameter space from a plateau.
 */
import { paramsKey } from '../protocol/params-key.js'
import { constraintFailure, paramNames } from './param-space.js'
import type { StrategyDefinition } from './strategy-api.js'
import type { ParamValues } from '../protocol/types.js'

/**
 * A float parameter's step, as a fraction of its range: 5 % is well inside what a trader would call
 * "the same setting" and wide enough that a spike one float ulp wide does not pass for a plateau.
 */
export const NEIGHBOUR_FLOAT_STEP = 0.05

/**
 * The genomes one step from `params` in each dimension, in the order of the sorted parameter names,
 * the lower step first: int +-step, float +-NEIGHBOUR_FLOAT_STEP of its range (clipped to it),
 * choice the options beside the current one. Steps outside the space, onto the genome itself, or
 * breaking a constraint are left out, so no genome the GA could not have made is ever evaluated.
 */
export function oneStepNeighbours (def: StrategyDefinition, params: ParamValues): ParamValues[] {
  const out: ParamValues[] = []
  const seen = new Set<string>([paramsKey(params)])
  const add = (name: string, value: number | string): void => {
    const p = { ...params, [name]: value }
    const key = paramsKey(p)
    if (seen.has(key) || constraintFailure(def, p) !== null) return
    seen.add(key)
    out.push(p)
  }
  for (const name of paramNames(def.params)) {
    const spec = def.params[name]
    const v = params[name]
    if (spec.kind === 'choice') {
      const i = spec.options.indexOf(v)
      if (i > 0) add(name, spec.options[i - 1])
      if (i >= 0 && i < spec.options.length - 1) add(name, spec.options[i + 1])
      continue
    }
    if (typeof v !== 'number') continue
    if (spec.kind === 'int') {
      if (v - spec.step >= spec.min) add(name, v - spec.step)
      if (v + spec.step <= spec.max) add(name, v + spec.step)
      continue
    }
    const d = (spec.max - spec.min) * NEIGHBOUR_FLOAT_STEP
    add(name, Math.max(spec.min, v - d))
    add(name, Math.min(spec.max, v + d))
  }
  return out
}
