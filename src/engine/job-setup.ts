/**
 * Building job descriptions from options and defaults, and deriving what an evaluation needs from
 * one. The bounds a job must respect are the wire format's (src/protocol/job-spec-check.ts).
 */
import { StratmeshError } from '../protocol/errors.js'
import { canonicalHash } from '../protocol/canonical.js'
import type { EvalSetup } from './evaluate.js'
import { barsPerYear } from './backtest.js'
import type { Basket, BasketAggregate, GaSettings, JobEngine, JobSpec, WalkForward } from '../protocol/job-spec.js'
import { validateJobSpec } from '../protocol/job-spec-check.js'
import { unitIslands, walkForwardWindowOf } from '../protocol/unit-layout.js'
import type { Candles, Objective } from '../protocol/types.js'

/** GA defaults: small enough that the demo finishes in a minute or two on one laptop. */
export const DEFAULT_GA: GaSettings = {
  islands: 4,
  population: 32,
  generations: 5,
  epochs: 4,
  elite: 2,
  tournament: 3,
  crossoverRate: 0.7,
  mutationRate: 0.2,
  migrants: 2,
}

/** Default share of the data held out of sample. */
export const DEFAULT_OOS_FRACTION = 0.3
/** How a basket job combines its symbols' fitness unless told: the median shrugs off one outlier symbol. */
export const DEFAULT_BASKET_AGGREGATE: BasketAggregate = 'median'
/** A strategy with fewer in-sample trades than this gets no fitness by default. */
export const DEFAULT_MIN_TRADES = 10

export interface JobOptions {
  /** The engine bundle the job runs with and the submitter's runtime fingerprint for it. */
  readonly engine: JobEngine
  readonly strategy: { readonly hash: string, readonly name: string }
  readonly dataset: { readonly hash: string, readonly name: string, readonly bars: number }
  readonly objective?: Objective
  readonly minTrades?: number
  readonly fee?: number
  readonly slippage?: number
  readonly oosFraction?: number
  readonly seed?: number
  readonly ga?: Partial<GaSettings>
  /** Windows resolved against the dataset (walk-forward.ts); none for a plain job. */
  readonly walkForward?: WalkForward
  /** Every symbol of a job over several (the first being `dataset`); none for a one-dataset job. */
  readonly basket?: Basket
}

export function createJobSpec (opts: JobOptions): JobSpec {
  return validateJobSpec({
    engine: { hash: opts.engine.hash, fingerprint: opts.engine.fingerprint },
    strategy: { hash: opts.strategy.hash, name: opts.strategy.name },
    dataset: { hash: opts.dataset.hash, name: opts.dataset.name, bars: opts.dataset.bars },
    oosFraction: opts.oosFraction ?? (opts.walkForward === undefined ? DEFAULT_OOS_FRACTION : 0),
    objective: opts.objective ?? 'sharpe',
    minTrades: opts.minTrades ?? DEFAULT_MIN_TRADES,
    costs: { fee: opts.fee ?? 0.001, slippage: opts.slippage ?? 0.0005 },
    ga: { ...DEFAULT_GA, ...opts.ga },
    seed: opts.seed ?? 1,
    ...(opts.walkForward === undefined ? {} : { walkForward: opts.walkForward }),
    ...(opts.basket === undefined ? {} : { basket: { datasets: opts.basket.datasets.map(d => ({ hash: d.hash, name: d.name, bars: d.bars })), aggregate: opts.basket.aggregate } }),
  })
}

/** A job's id: the sha256 of its canonical description. */
export function jobId (spec: JobSpec): string {
  return canonicalHash(spec)
}

/** Index of the first out-of-sample bar. */
export function splitIndex (spec: JobSpec, bars: number): number {
  return Math.floor(bars * (1 - spec.oosFraction))
}

/**
 * What evaluating a genome of unit island `island` means: a plain job's ranges are [0, split) and
 * [split, bars); a walk-forward unit's are its window's train and test ranges.
 */
export function evalSetupFor (spec: JobSpec, candles: Candles, island = 0): EvalSetup {
  if (candles.length !== spec.dataset.bars) {
    throw new StratmeshError('JOB_DATASET_MISMATCH', `job expects ${spec.dataset.bars} bars, dataset has ${candles.length}`)
  }
  if (!Number.isInteger(island) || island < 0 || island >= unitIslands(spec)) {
    throw new StratmeshError('UNIT_BAD_INPUT', `island ${island} is outside [0, ${unitIslands(spec)})`)
  }
  const window = walkForwardWindowOf(spec, island)
  return {
    costs: spec.costs,
    objective: spec.objective,
    minTrades: spec.minTrades,
    from: window?.trainFrom ?? 0,
    split: window?.trainTo ?? splitIndex(spec, candles.length),
    to: window?.testTo ?? candles.length,
    barsPerYear: barsPerYear(candles.time),
  }
}

export function totalUnits (spec: JobSpec): number {
  return unitIslands(spec) * spec.ga.epochs
}
