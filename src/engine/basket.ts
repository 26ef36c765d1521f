/**
 * Several symbols in one job: the same genome runs on every symbol, each over its own ranges (its
 * own bars times the job's oosFraction), and the genome's fitness aggregates the per-symbol fitness
 * values (median, min or mean). A symbol whose fitness is null (an error, or fewer than minTrades
 * in-sample trades) makes the genome's fitness null: a parameter set that cannot trade one member
 * of the basket is not robust across it, and a partial aggregate would rank genomes on different
 * symbols.
 *
 * All symbols of a genome are evaluated in one unit, in one isolate (docs/DESIGN.md, "Several
 * symbols"): the GA ranks on the aggregate, so it needs every symbol's result at once, and each
 * symbol's indicator cache serves every genome of the unit.
 */
import type { BasketAggregate, JobSpec } from '../protocol/job-spec.js'
import type { Candles, EvalResult, Metrics, ParamValues, SymbolResult } from '../protocol/types.js'
import { StratmeshError } from '../protocol/errors.js'
import { barsPerYear } from './backtest.js'
import { evaluateGenome, MAX_ERROR_CHARS, type EvalScope, type EvalSetup } from './evaluate.js'
import type { StrategyContext, StrategyDefinition } from './strategy-api.js'

/** One symbol as an evaluation sees it: its strategy context (with its own cache) and its ranges. */
export interface BasketMember {
  readonly name: string
  readonly ctx: StrategyContext
  readonly setup: EvalSetup
}

/** The aggregate of per-symbol fitness values (none null). Median of an even count: the mean of the middle two. */
export function aggregateFitness (values: readonly number[], aggregate: BasketAggregate): number {
  if (values.length === 0) throw new StratmeshError('EVAL_BAD_SETUP', 'a basket aggregate needs at least one symbol')
  if (aggregate === 'min') return values.reduce((a, b) => Math.min(a, b))
  if (aggregate === 'mean') {
    let sum = 0
    for (const v of values) sum += v
    return sum / values.length
  }
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/**
 * Which symbol's metrics stand for the genome on a leaderboard row (its own inSample and
 * outOfSample): for 'min' the symbol with the lowest fitness, otherwise the median symbol (the
 * lower middle one of an even count). Ties go to the earlier symbol.
 */
export function representativeSymbol (values: readonly number[], aggregate: BasketAggregate): number {
  const order = values.map((v, i) => i).sort((a, b) => values[a] - values[b] || a - b)
  return aggregate === 'min' ? order[0] : order[(order.length - 1) >> 1]
}

/** The ranges of a basket symbol: [0, split) in sample, [split, bars) out of sample, as a plain job's. */
export function basketSetupFor (spec: JobSpec, candles: Candles, symbol: number): EvalSetup {
  const d = spec.basket?.datasets[symbol]
  if (d === undefined) throw new StratmeshError('EVAL_BAD_SETUP', `the job has no basket symbol ${symbol}`)
  if (candles.length !== d.bars) {
    throw new StratmeshError('JOB_DATASET_MISMATCH', `job expects ${d.bars} bars of ${d.name}, the dataset has ${candles.length}`)
  }
  return {
    costs: spec.costs,
    objective: spec.objective,
    minTrades: spec.minTrades,
    from: 0,
    split: Math.floor(candles.length * (1 - spec.oosFraction)),
    to: candles.length,
    barsPerYear: barsPerYear(candles.time),
  }
}

function symbolError (error: string, name: string): string {
  const text = `${error} (symbol ${name})`
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 3)}...` : text
}

function asSymbol (r: EvalResult): SymbolResult {
  return { fitness: r.fitness, inSample: r.inSample, outOfSample: r.outOfSample }
}

/**
 * Evaluates one genome on every symbol; see the module comment. Stops at the first symbol without
 * a fitness (its error, named by symbol, becomes the genome's), since the rest cannot change a null.
 */
export function evaluateBasket (def: StrategyDefinition, members: readonly BasketMember[], aggregate: BasketAggregate, params: ParamValues, scope: EvalScope = 'full'): EvalResult {
  const symbols: SymbolResult[] = []
  for (const m of members) {
    const r = evaluateGenome(def, m.ctx, params, m.setup, scope)
    if (r.fitness === null) {
      return { fitness: null, inSample: null, outOfSample: null, ...(r.error === undefined ? {} : { error: symbolError(r.error, m.name) }) }
    }
    symbols.push(asSymbol(r))
  }
  const values = symbols.map(s => s.fitness as number)
  const shown = symbols[representativeSymbol(values, aggregate)]
  return { fitness: aggregateFitness(values, aggregate), inSample: shown.inSample as Metrics, outOfSample: shown.outOfSample, symbols }
}
