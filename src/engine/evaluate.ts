/**
 * Evaluating one genome: run the strategy once over the whole data (so indicators warm up across
 * the split), check what it returned, then backtest the in-sample range [from, split) for fitness
 * and the out-of-sample range [split, to) for the leaderboard (a plain job's ranges cover the
 * data: [0, split) and [split, n)). Strategy code is other people's code: its
 * failures become an error string on the result, never an exception.
 *
 * The GA needs only the fitness of most genomes: their out-of-sample metrics are never read (a
 * checkpoint keeps metrics for its best genomes alone). Scope 'fitness' skips that backtest (30 %
 * of the bars by default) but checks every position all the same, so fitness and error are the
 * ones 'full' gives, bit for bit.
 */
import { StratmeshError } from '../protocol/errors.js'
import { backtest, backtestInBounds, backtestWithStops } from './backtest.js'
import { fitnessOf } from './objective.js'
import { oneStepNeighbours } from './neighbours.js'
import { genomeStops } from './stops.js'
import type { ParamsOf, ParamSpace, StrategyContext, StrategyDefinition } from './strategy-api.js'
import type { Costs, EvalResult, Metrics, Objective, ParamValues } from '../protocol/types.js'

/**
 * How far a position may stray outside [-1, 1]: room for floating-point noise in a strategy's own
 * arithmetic (0.1 + 0.2 - 0.3...), far too little to be used as leverage.
 */
export const POSITION_SLACK = 1e-12

/**
 * Longest error message kept on a result: errors travel in checkpoints on the ledger, and a
 * strategy must not be able to bloat them with a megabyte-long message.
 */
export const MAX_ERROR_CHARS = 500

export interface EvalSetup {
  readonly costs: Costs
  readonly objective: Objective
  readonly minTrades: number
  /**
   * The ranges, as bar indices: in sample [from, split), out of sample [split, to). A plain job
   * has from 0 and to the data's length; a walk-forward window has its train and test ranges.
   * The strategy always runs over all the data, so indicators warm up before `from`.
   */
  readonly from: number
  readonly split: number
  readonly to: number
  readonly barsPerYear: number
}

function failed (code: string, message: string): EvalResult {
  const text = `${code}: ${message}`
  return { fitness: null, inSample: null, outOfSample: null, error: text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 3)}...` : text }
}

/** The result recorded for a genome that breaks a constraint: it is never run. */
export function brokenConstraintResult (reason: string): EvalResult {
  return failed('GENOME_BREAKS_CONSTRAINT', reason)
}

/** What a strategy threw, as one line (our own errors keep their code). */
export function describeThrown (err: unknown): string {
  if (err instanceof StratmeshError) return `${err.code}: ${err.message}`
  if (err instanceof Error) return err.message
  return String(err)
}

/**
 * Checks a strategy's output: a Float64Array (or number[]) of exactly `length` finite values in
 * [-1, 1]. Returns the positions as a Float64Array, or the reason they are unusable.
 */
export function checkPositions (out: unknown, length: number): Float64Array | string {
  let positions: Float64Array
  if (out instanceof Float64Array) positions = out
  else if (Array.isArray(out) && out.every(v => typeof v === 'number')) positions = Float64Array.from(out as number[])
  else return `positions() must return a Float64Array (or an array of numbers), got ${describeType(out)}`
  if (positions.length !== length) return `positions() returned ${positions.length} values for ${length} bars`
  const lo = -1 - POSITION_SLACK
  const hi = 1 + POSITION_SLACK
  for (let i = 0; i < length; i++) {
    const v = positions[i]
    // Written so NaN fails too.
    if (!(v >= lo && v <= hi)) return `position at bar ${i} is ${v}: every position must be a finite number in [-1, 1]`
  }
  return positions
}

function describeType (v: unknown): string {
  if (v === null) return 'null'
  if (typeof v !== 'object') return typeof v
  if (Array.isArray(v)) return 'an array holding a non-number'
  return v.constructor?.name ?? 'object'
}

/** The ranges must be ordered bar indices within the data, 0 <= from <= split <= to <= bars (a caller bug if not). */
export function checkSplit (setup: EvalSetup, bars: number): void {
  const { from, split, to } = setup
  if (![from, split, to].every(Number.isInteger) || !(from >= 0 && from <= split && split <= to && to <= bars)) {
    throw new StratmeshError('EVAL_BAD_SETUP', `ranges [${from}, ${split}) and [${split}, ${to}) are not within the ${bars} bars`, { details: { from, split, to, bars } })
  }
}

/**
 * What an evaluation computes: 'full' gives the in-sample and out-of-sample metrics; 'fitness'
 * leaves outOfSample null on a successful result (the fitness, the in-sample metrics and any error
 * are those of 'full').
 */
export type EvalScope = 'fitness' | 'full'

/**
 * Evaluates one genome; see the module comment. Throws only for a bad setup (a caller bug). The
 * robust objective's fitness is robustFitness: every caller (a unit's search, the check of another
 * member's checkpoint, the detail) comes through here, so all of them compute the same number.
 */
export function evaluateGenome<S extends ParamSpace> (def: StrategyDefinition<S>, ctx: StrategyContext, params: ParamValues, setup: EvalSetup, scope: EvalScope = 'full'): EvalResult {
  const own = evaluateOnce(def, ctx, params, setup, scope)
  if (setup.objective !== 'robust' || own.fitness === null) return own
  return { ...own, fitness: robustFitness(def as StrategyDefinition, ctx, params, setup, own.fitness) }
}

/**
 * The robust objective: the mean in-sample Sharpe of the genome (`own`) and its one-step
 * neighbours (neighbours.ts), a neighbour that fails or makes fewer than minTrades trades counting
 * as 0. A lone bright dot is averaged down with the dark around it; a plateau keeps its height.
 * It costs one evaluation (scope 'fitness') per neighbour on top of the genome's own.
 */
export function robustFitness (def: StrategyDefinition, ctx: StrategyContext, params: ParamValues, setup: EvalSetup, own: number): number {
  const neighbours = oneStepNeighbours(def, params)
  const plain: EvalSetup = { ...setup, objective: 'sharpe' }
  let sum = own
  for (const p of neighbours) sum += evaluateOnce(def, ctx, p, plain, 'fitness').fitness ?? 0
  return sum / (1 + neighbours.length)
}

function evaluateOnce<S extends ParamSpace> (def: StrategyDefinition<S>, ctx: StrategyContext, params: ParamValues, setup: EvalSetup, scope: EvalScope): EvalResult {
  const n = ctx.length
  checkSplit(setup, n)
  let out: unknown
  try {
    out = def.positions(ctx, params as ParamsOf<S>)
  } catch (err) {
    // The evaluator's budget on the typed arrays a strategy makes stops it this way (src/node/evaluators/array-budget.ts).
    if (err instanceof StratmeshError && err.code === 'EVAL_OUT_OF_MEMORY') return failed(err.code, err.message)
    return failed('STRATEGY_THREW', describeThrown(err))
  }
  if (def.stops !== undefined) return evaluateWithStops(def, ctx, params, out, setup, scope)
  if (isPlainFloat64Array(out) && out.length === n) {
    const fused = backtestCheckingPositions(ctx, out, setup, scope)
    if (fused !== null) return { fitness: fitnessOf(fused[0], setup.objective, setup.minTrades), inSample: fused[0], outOfSample: fused[1] }
  }
  let positions: Float64Array | string
  try {
    positions = checkPositions(out, n)
  } catch (err) {
    // Only a hostile result gets here (a proxy or a getter that throws while being read).
    positions = `reading the positions threw: ${describeThrown(err)}`
  }
  if (typeof positions === 'string') return failed('STRATEGY_BAD_POSITIONS', positions)
  // The context carries the candle columns: the backtest reads them straight from it.
  const inSample = backtest(ctx, positions, setup.from, setup.split, setup.costs, setup.barsPerYear)
  const outOfSample = scope === 'full' ? backtest(ctx, positions, setup.split, setup.to, setup.costs, setup.barsPerYear) : null
  return { fitness: fitnessOf(inSample, setup.objective, setup.minTrades), inSample, outOfSample }
}

/**
 * evaluateGenome's steps for a strategy that declares stops: the positions checked, then the
 * genome's stops (their errors are the genome's), then the stops kernel on each range (the same
 * order and functions as evaluateDetail, so both give one answer).
 */
function evaluateWithStops<S extends ParamSpace> (def: StrategyDefinition<S>, ctx: StrategyContext, params: ParamValues, out: unknown, setup: EvalSetup, scope: EvalScope): EvalResult {
  let positions: Float64Array | string
  try {
    positions = checkPositions(out, ctx.length)
  } catch (err) {
    positions = `reading the positions threw: ${describeThrown(err)}`
  }
  if (typeof positions === 'string') return failed('STRATEGY_BAD_POSITIONS', positions)
  let stops
  try {
    stops = genomeStops(def, params)
  } catch (err) {
    const e = err as StratmeshError
    return failed(e.code, e.message)
  }
  const run = (from: number, to: number): Metrics => stops === null
    ? backtest(ctx, positions, from, to, setup.costs, setup.barsPerYear)
    : backtestWithStops(ctx, positions, from, to, setup.costs, setup.barsPerYear, stops)
  const inSample = run(setup.from, setup.split)
  const outOfSample = scope === 'full' ? run(setup.split, setup.to) : null
  return { fitness: fitnessOf(inSample, setup.objective, setup.minTrades), inSample, outOfSample }
}

/**
 * A Float64Array itself: not a subclass and not a proxy (ArrayBuffer.isView sees through
 * neither), so reading its elements runs no strategy code and gives the same values every time.
 */
function isPlainFloat64Array (v: unknown): v is Float64Array {
  return ArrayBuffer.isView(v) && Object.getPrototypeOf(v) === Float64Array.prototype
}

/**
 * The usual case in one pass per range instead of a checking pass and then the backtests: each
 * range checks the positions it reads, and the few it does not read are checked here. Returns
 * the in-sample and out-of-sample metrics (null for scope 'fitness', whose out-of-sample positions
 * are only checked), or null whenever anything is off (a bad position, or a backtest that threw),
 * and evaluateGenome then takes the separate steps, which report it exactly as before.
 */
function backtestCheckingPositions (ctx: StrategyContext, positions: Float64Array, setup: EvalSetup, scope: EvalScope): [Metrics, Metrics | null] | null {
  const n = ctx.length
  const { from, split, to } = setup
  const lo = -1 - POSITION_SLACK
  const hi = 1 + POSITION_SLACK
  try {
    // Positions outside the two ranges are checked too: an evaluation's error must not depend on
    // which window of the data it was asked about.
    if (!allInBounds(positions, 0, from, lo, hi) || !allInBounds(positions, to, n, lo, hi)) return null
    const a = backtestInBounds(ctx, positions, from, split, setup.costs, setup.barsPerYear, lo, hi)
    if (!a.inBounds || !allInBounds(positions, a.readEnd, split, lo, hi)) return null
    if (scope === 'fitness') return allInBounds(positions, split, to, lo, hi) ? [a.metrics, null] : null
    const b = backtestInBounds(ctx, positions, split, to, setup.costs, setup.barsPerYear, lo, hi)
    if (!b.inBounds || !allInBounds(positions, b.readEnd, to, lo, hi)) return null
    return [a.metrics, b.metrics]
  } catch {
    return null
  }
}

function allInBounds (positions: Float64Array, from: number, to: number, lo: number, hi: number): boolean {
  for (let i = from; i < to; i++) {
    const v = positions[i]
    if (!(v >= lo && v <= hi)) return false
  }
  return true
}
