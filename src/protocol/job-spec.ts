/**
 * A job: the full description of one optimisation. Its id is the sha256 of its canonical JSON, so
 * every peer that holds the same description computes the same id and the same units.
 */
import type { Costs, Metrics, Objective, ParamValues, SymbolResult } from './types.js'

export interface GaSettings {
  /** Number of islands (independent populations in a migration ring). */
  readonly islands: number
  readonly population: number
  /** Generations an island evolves within one epoch (one work unit). */
  readonly generations: number
  readonly epochs: number
  readonly elite: number
  readonly tournament: number
  readonly crossoverRate: number
  /** Per-gene mutation probability. */
  readonly mutationRate: number
  /** Genomes taken from the previous island's checkpoint at the start of each epoch after the first. */
  readonly migrants: number
}

/**
 * The engine a job runs with: the sha256 of the engine bundle's bytes (a blob every peer fetches
 * and runs, whatever version it was built from), and the submitter's runtime fingerprint for that
 * bundle (a peer whose own differs would compute other bits, so it declines the job).
 */
export interface JobEngine {
  readonly hash: string
  readonly fingerprint: string
}

/**
 * One walk-forward window, in bar indices: the GA optimises on [trainFrom, trainTo) and the
 * window's winners are scored on the test range [trainTo, testTo) that follows.
 */
export interface WalkForwardWindow {
  readonly trainFrom: number
  readonly trainTo: number
  readonly testTo: number
}

/**
 * A walk-forward job's windows, resolved against the dataset by the submitter so peers compute
 * nothing: 'rolling' windows slide a train range of fixed length, 'anchored' ones all train from
 * bar 0. Test ranges follow each other without gap or overlap.
 */
export interface WalkForward {
  readonly mode: 'rolling' | 'anchored'
  readonly windows: readonly WalkForwardWindow[]
}

/** How a basket job's fitness combines the per-symbol fitness values (docs/DESIGN.md, "Several symbols"). */
export type BasketAggregate = 'median' | 'min' | 'mean'
export const BASKET_AGGREGATES: readonly BasketAggregate[] = ['median', 'min', 'mean']

/** One symbol of a basket: its candles are a dataset blob like a plain job's. */
export interface BasketDataset {
  readonly hash: string
  readonly name: string
  readonly bars: number
}

/**
 * Several symbols in one job: `datasets` lists every symbol in order, the first being the job's
 * `dataset` (so everything that reads `dataset` still finds the first symbol's candles).
 */
export interface Basket {
  readonly datasets: readonly BasketDataset[]
  readonly aggregate: BasketAggregate
}

export interface JobSpec {
  readonly engine: JobEngine
  readonly strategy: { readonly hash: string, readonly name: string }
  readonly dataset: { readonly hash: string, readonly name: string, readonly bars: number }
  /** Fraction of bars at the end kept out of sample (reported, never used for fitness); 0 for a walk-forward job, whose windows say what is out of sample. */
  readonly oosFraction: number
  readonly objective: Objective
  /** Genomes with fewer in-sample trades get no fitness (null), so a do-nothing strategy cannot win. */
  readonly minTrades: number
  readonly costs: Costs
  readonly ga: GaSettings
  readonly seed: number
  /** Present on a walk-forward job only (absent, a plain job's id is what it always was). */
  readonly walkForward?: WalkForward
  /** Present on a job over several symbols only (absent, a plain job's id is what it always was). */
  readonly basket?: Basket
}

/** Every dataset a job reads: a basket's symbols in order, or a plain job's one dataset. */
export function jobDatasets (spec: JobSpec): readonly BasketDataset[] {
  return spec.basket?.datasets ?? [spec.dataset]
}

/** One genome in a checkpoint. */
export interface Genome {
  readonly params: ParamValues
  readonly fitness: number | null
  readonly error?: string
}

/** A genome worth showing on the leaderboard, with its metrics. */
export interface BestGenome extends Genome {
  readonly inSample: Metrics | null
  readonly outOfSample: Metrics | null
  /** A basket job's per-symbol results, in the order of spec.basket.datasets. */
  readonly symbols?: readonly SymbolResult[]
}

/** The output of a work unit (island, epoch): a pure function of its inputs. */
export interface Checkpoint {
  readonly jobId: string
  readonly island: number
  readonly epoch: number
  /** The population at the end of the unit, best first. */
  readonly population: readonly Genome[]
  /** The unit's best genomes with full in-sample and out-of-sample metrics, best first. */
  readonly best: readonly BestGenome[]
  readonly evaluations: number
  readonly errors: number
}

export interface LeaderboardRow {
  readonly rank: number
  readonly params: ParamValues
  readonly fitness: number
  readonly inSample: Metrics | null
  readonly outOfSample: Metrics | null
  /** A basket job's per-symbol results, in the order of spec.basket.datasets. */
  readonly symbols?: readonly SymbolResult[]
  readonly island: number
  readonly epoch: number
  /** The peer that committed the unit where this genome was found (filled by the ledger). */
  readonly peer?: string
}
