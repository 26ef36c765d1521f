/**
 * Parameter spaces: validating a strategy's declared space, and the genome operations the GA uses
 * (sampling, mutation, crossover, constraint checks). Pure; randomness comes from a Prng.
 */
import { StratmeshError } from '../protocol/errors.js'
import type { Prng } from './prng.js'
import type { ParamSpace, ParamSpec, StrategyDefinition } from './strategy-api.js'
import type { ParamValues } from '../protocol/types.js'

/** Enough for any real strategy; more makes the GA's search space hopeless anyway. */
export const MAX_PARAMS = 32
/** Choice lists longer than this are better expressed as an int parameter. */
export const MAX_CHOICES = 256
/** Guards sample/mutate loops against a constraint that (almost) nothing satisfies. */
export const MAX_CONSTRAINT_TRIES = 200

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/

function invalid (file: string, field: string, problem: string): StratmeshError {
  return new StratmeshError('STRATEGY_INVALID', `${file}: ${field} ${problem}`, { details: { file, field } })
}

/**
 * Checks that a loaded module's default export is a usable strategy definition and returns it typed.
 * Every problem names the field (`params.fast.max`), so an author can fix it at once.
 */
export function validateStrategyDefinition (def: unknown, file: string): StrategyDefinition {
  if (def === null || typeof def !== 'object') throw invalid(file, 'default export', 'must be defineStrategy({...})')
  const d = def as Record<string, unknown>
  if (typeof d.name !== 'string' || d.name.length === 0 || d.name.length > 100) throw invalid(file, 'name', 'must be a non-empty string of at most 100 characters')
  if (typeof d.positions !== 'function') throw invalid(file, 'positions', 'must be a function (ctx, params) => Float64Array')
  if (d.params === null || typeof d.params !== 'object') throw invalid(file, 'params', 'must be an object of int()/float()/choice() specs')
  const names = Object.keys(d.params)
  if (names.length === 0) throw invalid(file, 'params', 'must declare at least one parameter')
  if (names.length > MAX_PARAMS) throw invalid(file, 'params', `declares ${names.length} parameters; at most ${MAX_PARAMS}`)
  for (const name of names) {
    if (!NAME_RE.test(name)) throw invalid(file, `params.${name}`, 'is not a valid parameter name')
    validateSpec((d.params as Record<string, unknown>)[name], file, `params.${name}`)
  }
  const c = d.constraints
  if (c !== undefined && typeof c !== 'function' && !(Array.isArray(c) && c.every(f => typeof f === 'function'))) {
    throw invalid(file, 'constraints', 'must be a function or an array of functions')
  }
  if (d.stops !== undefined && typeof d.stops !== 'function') throw invalid(file, 'stops', 'must be a function (params) => ({ stopLoss?, takeProfit?, trailingStop? })')
  return def as StrategyDefinition
}

function validateSpec (spec: unknown, file: string, field: string): void {
  if (spec === null || typeof spec !== 'object') throw invalid(file, field, 'must be int(), float() or choice()')
  const s = spec as Record<string, unknown>
  const finite = (k: string): number => {
    if (typeof s[k] !== 'number' || !Number.isFinite(s[k])) throw invalid(file, `${field}.${k}`, 'must be a finite number')
    return s[k] as number
  }
  switch (s.kind) {
    case 'int': {
      const min = finite('min'); const max = finite('max'); const step = finite('step')
      if (!Number.isInteger(min) || !Number.isInteger(max)) throw invalid(file, field, 'int bounds must be integers')
      if (!Number.isInteger(step) || step < 1) throw invalid(file, `${field}.step`, 'must be a positive integer')
      if (min > max) throw invalid(file, field, `min ${min} is above max ${max}`)
      return
    }
    case 'float': {
      const min = finite('min'); const max = finite('max')
      if (min > max) throw invalid(file, field, `min ${min} is above max ${max}`)
      return
    }
    case 'choice': {
      const o = s.options
      if (!Array.isArray(o) || o.length === 0) throw invalid(file, `${field}.options`, 'must be a non-empty array')
      if (o.length > MAX_CHOICES) throw invalid(file, `${field}.options`, `has ${o.length} options; at most ${MAX_CHOICES}`)
      for (const v of o) {
        if (!(typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)))) throw invalid(file, `${field}.options`, 'must hold strings or finite numbers')
      }
      if (new Set(o).size !== o.length) throw invalid(file, `${field}.options`, 'has duplicates')
      return
    }
    default:
      throw invalid(file, `${field}.kind`, 'must be "int", "float" or "choice"')
  }
}

/** Parameter names in a fixed order (sorted), so genome operations consume the PRNG identically everywhere. */
export function paramNames (space: ParamSpace): string[] {
  return Object.keys(space).sort()
}

function intSlots (s: { min: number, max: number, step: number }): number {
  return Math.floor((s.max - s.min) / s.step) + 1
}

function sampleOne (spec: ParamSpec, rng: Prng): number | string {
  switch (spec.kind) {
    case 'int': return spec.min + rng.int(intSlots(spec)) * spec.step
    case 'float': return spec.min + rng.next() * (spec.max - spec.min)
    case 'choice': return spec.options[rng.int(spec.options.length)]
  }
}

/** Mutates one value: a gaussian step of ~10 % of the range for numbers, a new option for choices. */
function mutateOne (spec: ParamSpec, value: number | string, rng: Prng): number | string {
  switch (spec.kind) {
    case 'int': {
      const slots = intSlots(spec)
      const slot = Math.round(((value as number) - spec.min) / spec.step)
      const delta = Math.round(rng.normal() * Math.max(1, slots * 0.1)) || (rng.next() < 0.5 ? -1 : 1)
      const next = Math.min(slots - 1, Math.max(0, slot + delta))
      return spec.min + next * spec.step
    }
    case 'float': {
      const x = (value as number) + rng.normal() * (spec.max - spec.min) * 0.1
      return Math.min(spec.max, Math.max(spec.min, x))
    }
    case 'choice':
      return spec.options.length === 1 ? spec.options[0] : spec.options[rng.int(spec.options.length)]
  }
}

/** Returns null when every constraint holds, else the first failure's reason. */
export function constraintFailure (def: StrategyDefinition, params: ParamValues): string | null {
  const c = def.constraints
  const list = c === undefined ? [] : (Array.isArray(c) ? c : [c])
  for (const f of list as Array<(p: ParamValues) => boolean | string>) {
    let r: boolean | string
    try { r = f(params) } catch (err) { return `constraint threw: ${(err as Error).message}` }
    if (r === true) continue
    return typeof r === 'string' ? r : 'constraint returned false'
  }
  return null
}

/** Checks that values fit the space (type, range, grid, options). Returns null or the first problem. */
export function paramsProblem (space: ParamSpace, params: ParamValues): string | null {
  const names = paramNames(space)
  for (const key of Object.keys(params)) if (!(key in space)) return `unknown parameter "${key}"`
  for (const name of names) {
    const spec = space[name]; const v = params[name]
    if (v === undefined) return `parameter "${name}" is missing`
    if (spec.kind === 'choice') {
      if (!spec.options.includes(v)) return `parameter "${name}" is not one of its options`
      continue
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > spec.max) return `parameter "${name}" is outside [${spec.min}, ${spec.max}]`
    if (spec.kind === 'int' && (v - spec.min) % spec.step !== 0) return `parameter "${name}" is not on the step-${spec.step} grid`
  }
  return null
}

function build (names: string[], values: Array<number | string>): ParamValues {
  const out: Record<string, number | string> = {}
  names.forEach((n, i) => { out[n] = values[i] })
  return out
}

/**
 * A random genome that satisfies the constraints. Throws STRATEGY_CONSTRAINTS_UNSATISFIABLE after
 * MAX_CONSTRAINT_TRIES failed tries: a genome that breaks a constraint is never evaluated.
 */
export function sampleParams (def: StrategyDefinition, rng: Prng): ParamValues {
  const names = paramNames(def.params)
  const reasons = new Map<string, number>()
  for (let t = 0; t < MAX_CONSTRAINT_TRIES; t++) {
    const p = build(names, names.map(n => sampleOne(def.params[n], rng)))
    const failure = constraintFailure(def, p)
    if (failure === null) return p
    reasons.set(failure, (reasons.get(failure) ?? 0) + 1)
  }
  let top = ''; let count = 0
  for (const [reason, n] of reasons) if (n > count) { top = reason; count = n }
  throw new StratmeshError('STRATEGY_CONSTRAINTS_UNSATISFIABLE',
    `${MAX_CONSTRAINT_TRIES} random genomes all broke the constraints (most often, ${count} times: ${top}); loosen the constraints or narrow the parameter ranges`,
    { details: { tries: MAX_CONSTRAINT_TRIES, reason: top, count } })
}

/** Each gene mutates with probability `rate`; retried until the constraints hold (bounded). */
export function mutateParams (def: StrategyDefinition, params: ParamValues, rate: number, rng: Prng): ParamValues {
  const names = paramNames(def.params)
  for (let t = 0; t < MAX_CONSTRAINT_TRIES; t++) {
    let changed = false
    const values = names.map(n => {
      if (rng.next() < rate) { changed = true; return mutateOne(def.params[n], params[n], rng) }
      return params[n]
    })
    if (!changed) {
      // Always change at least one gene, so a mutation is never a silent copy.
      const i = rng.int(names.length)
      values[i] = mutateOne(def.params[names[i]], params[names[i]], rng)
    }
    const p = build(names, values)
    if (constraintFailure(def, p) === null) return p
  }
  return params
}

/** Uniform crossover; falls back to a parent when no child satisfies the constraints (bounded). */
export function crossoverParams (def: StrategyDefinition, a: ParamValues, b: ParamValues, rng: Prng): ParamValues {
  const names = paramNames(def.params)
  for (let t = 0; t < MAX_CONSTRAINT_TRIES; t++) {
    const p = build(names, names.map(n => rng.next() < 0.5 ? a[n] : b[n]))
    if (constraintFailure(def, p) === null) return p
  }
  return a
}
