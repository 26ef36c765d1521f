/**
 * The overfitting statistics of a finished job: per leaderboard row its Deflated Sharpe Ratio and
 * plateau score, and for the selection as a whole its Probability of Backtest Overfitting. A pure
 * function of the job, its committed leaderboard and its trial count, so every peer that computes
 * it gets the same bits, and none needs to trust another's (docs/DESIGN.md).
 */
import { createPrng } from '../prng.js'
import { evaluateGenome, type EvalSetup } from '../evaluate.js'
import { fitnessOf } from '../objective.js'
import { sampleParams } from '../param-space.js'
import type { StrategyContext, StrategyDefinition } from '../strategy-api.js'
import { paramsKey } from '../../protocol/params-key.js'
import type { JobSpec } from '../../protocol/job-spec.js'
import type { ParamValues } from '../../protocol/types.js'
import { deflatedSharpe, expectedMaxSharpe } from './dsr.js'
import { returnMoments } from './moments.js'
import { probabilityOfOverfitting } from './pbo.js'
import { plateauObjective, plateauScore } from './plateau.js'
import { inSampleRecord } from './returns.js'

/** Leaderboard rows that get a DSR and a plateau score: more than a trader reads, and each costs 1 + 2 x params evaluations. */
export const STATISTICS_ROWS = 20
/** Rows PBO selects among: the paper's examples use a few to a few dozen; 16 keeps C(16, 8) splits x 16 rows cheap. */
export const PBO_ROWS = 16
/**
 * Genomes whose Sharpe estimates the variance of the trials' Sharpe ratios (V in the DSR). The
 * estimate's relative standard error is about sqrt(2 / 31) = 25 %, so SR0, which goes with sqrt(V),
 * is known to about 12 %; 64 would bring that to 9 % at twice the cost, and these random draws are
 * the dearest evaluations of the statistics (docs/BENCHMARKS.md).
 */
export const VARIANCE_SAMPLE = 32

export interface StatisticsInput {
  readonly spec: JobSpec
  /** The job's leaderboard, best first (the first STATISTICS_ROWS are used). */
  readonly rows: readonly ParamValues[]
  /** The job's true number of trials: the evaluations its committed checkpoints record. */
  readonly trials: number
}

export interface RowStatistics {
  readonly params: ParamValues
  /** Per-bar (not annualised) in-sample Sharpe ratio, the SR of the DSR. */
  readonly sharpe: number
  /** Probability that the row's true Sharpe beats the best of `trials` lucky ones; null when undefined. */
  readonly dsr: number | null
  /** Share of its one-step neighbours within PLATEAU_TOLERANCE of its fitness; null without neighbours. */
  readonly plateau: number | null
  readonly neighbours: number
}

export interface JobStatistics {
  readonly trials: number
  /** V: variance of the per-bar in-sample Sharpe over the sampled trials, and how many were sampled. */
  readonly sharpeVariance: number
  readonly varianceSample: number
  /** SR0: the per-bar Sharpe the best of `trials` trials without skill is expected to show. */
  readonly expectedMaxSharpe: number
  /** PBO over the first PBO_ROWS rows; null with fewer than 2 of them or too few bars. */
  readonly pbo: number | null
  readonly pboRows: number
  readonly pboSplits: number
  readonly rows: readonly RowStatistics[]
}

/** Called before each genome the statistics run (rows, then the variance sample), for a watchdog. */
export type StatisticsProgress = (index: number, params: ParamValues) => void

/**
 * V is estimated from each island's first draws: unit (island, 0) starts from genomes drawn by
 * sampleParams with the PRNG seeded (job seed, island, 0) before anything else, so these are
 * genomes the job really evaluated, and the only ones drawn before any selection. Its survivors
 * (the populations the ledger keeps) are alike by construction and would understate the spread of
 * the trials, lowering SR0 and flattering every row.
 */
export function varianceGenomes (def: StrategyDefinition, spec: JobSpec): ParamValues[] {
  const { islands, population } = spec.ga
  const perIsland = Math.min(population, Math.ceil(VARIANCE_SAMPLE / islands))
  const seen = new Set<string>()
  const out: ParamValues[] = []
  for (let island = 0; island < islands && out.length < VARIANCE_SAMPLE; island++) {
    const rng = createPrng(spec.seed, island, 0)
    for (let k = 0; k < perIsland && out.length < VARIANCE_SAMPLE; k++) {
      const p = sampleParams(def, rng)
      const key = paramsKey(p)
      if (!seen.has(key)) { seen.add(key); out.push(p) }
    }
  }
  return out
}

function sharpeVariance (def: StrategyDefinition, ctx: StrategyContext, setup: EvalSetup, genomes: readonly ParamValues[], progress: StatisticsProgress | undefined, offset: number): { variance: number, sample: number } {
  const plain: EvalSetup = { ...setup, objective: 'sharpe', minTrades: 0 }
  const values: number[] = []
  genomes.forEach((p, k) => {
    progress?.(offset + k, p)
    const r = evaluateGenome(def, ctx, p, plain, 'fitness')
    if (r.inSample !== null) values.push(r.inSample.sharpe / Math.sqrt(setup.barsPerYear))
  })
  if (values.length < 2) return { variance: 0, sample: values.length }
  let mean = 0
  for (const v of values) mean += v
  mean /= values.length
  let ss = 0
  for (const v of values) ss += (v - mean) * (v - mean)
  return { variance: ss / (values.length - 1), sample: values.length }
}

/** The statistics of a job; see the module comment and docs/DESIGN.md. */
export function jobStatistics (def: StrategyDefinition, ctx: StrategyContext, setup: EvalSetup, input: StatisticsInput, progress?: StatisticsProgress): JobStatistics {
  const rows = input.rows.slice(0, STATISTICS_ROWS)
  const records = rows.map((p, k) => {
    progress?.(k, p)
    return inSampleRecord(def, ctx, p, setup)
  })
  const v = sharpeVariance(def, ctx, setup, varianceGenomes(def, input.spec), progress, rows.length)
  const pboReturns = records.slice(0, PBO_ROWS).flatMap(r => r === null ? [] : [r.returns])
  const pbo = probabilityOfOverfitting(pboReturns)
  const plateauOf = plateauObjective(setup.objective)
  return {
    trials: input.trials,
    sharpeVariance: v.variance,
    varianceSample: v.sample,
    expectedMaxSharpe: expectedMaxSharpe(input.trials, v.variance),
    pbo: pbo?.pbo ?? null,
    pboRows: pboReturns.length,
    pboSplits: pbo?.splits ?? 0,
    rows: rows.map((params, k) => {
      const rec = records[k]
      if (rec === null) return { params, sharpe: 0, dsr: null, plateau: null, neighbours: 0 }
      const m = returnMoments(rec.returns)
      const dsr = deflatedSharpe({ sharpe: m.sharpe, bars: m.n, skew: m.skew, kurtosis: m.kurtosis, trials: input.trials, variance: v.variance })
      const plateau = plateauScore(def, ctx, params, setup, fitnessOf(rec.metrics, plateauOf, setup.minTrades))
      return { params, sharpe: m.sharpe, dsr, plateau: plateau.score, neighbours: plateau.neighbours }
    }),
  }
}
