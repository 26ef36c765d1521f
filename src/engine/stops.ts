/**
 * A genome's stops: what a strategy's `stops(params)` returned, checked. A bad value is that
 * genome's error (STRATEGY_BAD_STOPS, naming the field), as bad positions are, because the GA
 * samples the params the stops come from and one corner of the space may give nonsense.
 */
import { StratmeshError } from '../protocol/errors.js'
import { describeThrown } from './evaluate.js'
import type { ParamsOf, ParamSpace, StrategyDefinition } from './strategy-api.js'
import type { ParamValues } from '../protocol/types.js'

/** The stops the backtester applies, each a fraction of the entry price; 0 means none. */
export interface ResolvedStops {
  readonly stopLoss: number
  readonly takeProfit: number
  readonly trailingStop: number
}

const FIELDS = ['stopLoss', 'takeProfit', 'trailingStop'] as const

function bad (message: string): StratmeshError {
  return new StratmeshError('STRATEGY_BAD_STOPS', message)
}

/** Each field's upper bound: a stop at 100 % or more below the entry could never fill (prices stay > 0). */
function fieldValue (field: typeof FIELDS[number], v: unknown): number {
  if (v === undefined) return 0
  const below1 = field !== 'takeProfit'
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0) || (below1 && !(v < 1))) {
    const shown = typeof v === 'number' ? String(v) : typeof v
    throw bad(`stops().${field} is ${shown}: it must be a finite number ${below1 ? 'in (0, 1)' : 'above 0'}, a fraction of the entry price (0.02 = 2 %), or left out`)
  }
  return v
}

/**
 * The stops of `params`, or null when the strategy declares none or its rule returns none.
 * Throws STRATEGY_THREW when the rule throws and STRATEGY_BAD_STOPS when it returns a bad value.
 */
export function genomeStops<S extends ParamSpace> (def: StrategyDefinition<S>, params: ParamValues): ResolvedStops | null {
  const rule = def.stops
  if (rule === undefined) return null
  let out: unknown
  let values: number[]
  try {
    out = rule(params as ParamsOf<S>)
    if (out === null || typeof out !== 'object' || Array.isArray(out)) throw bad(`stops() must return an object { stopLoss?, takeProfit?, trailingStop? }, got ${out === null ? 'null' : Array.isArray(out) ? 'an array' : typeof out}`)
    const o = out as Record<string, unknown>
    for (const key of Object.keys(o)) {
      if (!(FIELDS as readonly string[]).includes(key)) throw bad(`stops() returned an unknown field "${key}"; the fields are ${FIELDS.join(', ')}`)
    }
    values = FIELDS.map(f => fieldValue(f, o[f]))
  } catch (err) {
    if (err instanceof StratmeshError && err.code === 'STRATEGY_BAD_STOPS') throw err
    throw new StratmeshError('STRATEGY_THREW', `stops() threw: ${describeThrown(err)}`, { cause: err })
  }
  const [stopLoss, takeProfit, trailingStop] = values
  if (stopLoss === 0 && takeProfit === 0 && trailingStop === 0) return null
  return { stopLoss, takeProfit, trailingStop }
}
