/**
 * Look-ahead: a strategy's position at bar i must depend on bars 0..i alone. positions(ctx) sees
 * whole columns, so nothing stops a strategy from reading ctx.close[i + 1], directly or through an
 * indicator of data it shifted itself. The check recomputes a genome's positions on prefixes of
 * the data (the first `cut` bars: a fresh context over subarray views) and compares them with the
 * run on all the data: any difference at a bar before the cut means the position used later bars.
 *
 * Cuts: the in-sample/out-of-sample boundary (so in-sample fitness cannot use out-of-sample bars)
 * plus a few drawn by a PRNG seeded from the job and the unit. Genomes: a unit's best and one more
 * drawn by a PRNG of its own, never the GA's (a plain job's checkpoints stay the same bytes). The
 * choice is a function of the checkpoint alone, so a checker runs the same sample and reaches the
 * same verdict. What it cannot catch: a peek that changes no position before the sampled cuts, in
 * the genomes it samples.
 */
import { StratmeshError } from '../protocol/errors.js'
import type { JobSpec } from '../protocol/job-spec.js'
import { paramsKey } from '../protocol/params-key.js'
import type { Candles, ParamValues } from '../protocol/types.js'
import { checkPositions, describeThrown } from './evaluate.js'
import { createPrng } from './prng.js'
import type { ParamsOf, ParamSpace, StrategyContext, StrategyDefinition } from './strategy-api.js'
import { createStrategyContext } from './strategy-context.js'
import { barStep } from './data/timeframe.js'

/**
 * Seeded cuts per unit besides the boundary: each costs one positions() run per checked genome on
 * a cold prefix context; with 2 the check measured above the 5 % budget (docs/BENCHMARKS.md).
 */
export const LOOKAHEAD_UNIT_CUTS = 1
/** Seeded cuts at submit besides the boundary (once per job, so it can afford more). */
export const LOOKAHEAD_SUBMIT_CUTS = 4
/** Genomes checked at submit, drawn from the islands' first populations. */
export const LOOKAHEAD_SUBMIT_GENOMES = 6
/**
 * Prefix contexts kept per evaluator (least recently used dropped): the boundary's is the same for
 * every unit of a job, so its indicator cache serves them all; a unit uses 1 + LOOKAHEAD_UNIT_CUTS.
 */
export const MAX_PREFIX_CONTEXTS = 6
/** Mixed into the look-ahead PRNG seeds, so its streams are unrelated to the GA's for the same unit. */
const LOOKAHEAD_SALT = 0x4c4f4f4b
/** The stream of the submit check's PRNGs, which belong to no unit. */
const SUBMIT_STREAM = 0x53554254

// Taken when the engine loads, before any strategy code can replace the global.
const DateType = Date

/** An evaluation's ranges (EvalSetup's): in sample [from, split), out of sample [split, to). */
export interface EvalRanges {
  readonly from: number
  readonly split: number
  readonly to: number
}

/** What to check: genomes and prefix lengths (cuts, ascending, each in [1, bars)). */
export interface LookAheadSample {
  readonly genomes: readonly ParamValues[]
  readonly cuts: readonly number[]
}

/**
 * The cuts for one check: the boundary, when it leaves bars on both sides, plus `count` drawn
 * uniformly in the evaluated bars (from, to) by a PRNG seeded from the job seed and `streams`.
 */
export function lookAheadCuts (spec: JobSpec, ranges: EvalRanges, bars: number, count: number, streams: readonly number[]): number[] {
  const cuts = new Set<number>()
  if (ranges.split > 0 && ranges.split < bars) cuts.add(ranges.split)
  const span = Math.min(ranges.to, bars) - ranges.from - 1
  if (span >= 1) {
    const rng = createPrng(spec.seed, ...streams, LOOKAHEAD_SALT, 1)
    for (let k = 0; k < count; k++) cuts.add(ranges.from + 1 + rng.int(span))
  }
  return [...cuts].sort((a, b) => a - b)
}

/**
 * The sample a unit (island, epoch) checks, from its final population (in the GA's order): its
 * best genome when it has a fitness, and one more with a fitness drawn by the look-ahead's own PRNG.
 */
export function lookAheadSample (spec: JobSpec, ranges: EvalRanges, bars: number, island: number, epoch: number, population: ReadonlyArray<{ readonly params: ParamValues, readonly fitness: number | null }>): LookAheadSample {
  const genomes: ParamValues[] = []
  if (population.length > 0 && population[0].fitness !== null) genomes.push(population[0].params)
  const rest: number[] = []
  for (let i = 1; i < population.length; i++) if (population[i].fitness !== null) rest.push(i)
  if (rest.length > 0) {
    const rng = createPrng(spec.seed, island, epoch, LOOKAHEAD_SALT, 2)
    genomes.push(population[rest[rng.int(rest.length)]].params)
  }
  return { genomes, cuts: genomes.length === 0 ? [] : lookAheadCuts(spec, ranges, bars, LOOKAHEAD_UNIT_CUTS, [island, epoch]) }
}

/**
 * The sample checked at submit: LOOKAHEAD_SUBMIT_GENOMES distinct genomes of the islands' first
 * populations and the boundary plus LOOKAHEAD_SUBMIT_CUTS cuts, drawn by PRNGs seeded from the job.
 */
export function submitLookAheadSample (spec: JobSpec, ranges: EvalRanges, bars: number, populations: ReadonlyArray<readonly ParamValues[]>): LookAheadSample {
  const byKey = new Map<string, ParamValues>()
  for (const population of populations) for (const p of population) if (!byKey.has(paramsKey(p))) byKey.set(paramsKey(p), p)
  const pool = [...byKey.values()]
  const rng = createPrng(spec.seed, SUBMIT_STREAM, LOOKAHEAD_SALT, 2)
  const genomes: ParamValues[] = []
  while (genomes.length < LOOKAHEAD_SUBMIT_GENOMES && pool.length > 0) genomes.push(...pool.splice(rng.int(pool.length), 1))
  return { genomes, cuts: lookAheadCuts(spec, ranges, bars, LOOKAHEAD_SUBMIT_CUTS, [SUBMIT_STREAM]) }
}

/** Contexts over prefixes of the candles, by length, kept for reuse (MAX_PREFIX_CONTEXTS). */
export interface PrefixContexts {
  get (cut: number): StrategyContext
}

/** `maxCacheBytes`: the indicator cache bound shared by all the prefix contexts kept. */
export function createPrefixContexts (candles: Candles, maxCacheBytes: number): PrefixContexts {
  const kept = new Map<number, StrategyContext>() // insertion order is recency order
  const perContext = Math.floor(maxCacheBytes / MAX_PREFIX_CONTEXTS)
  // The full data's step, so ctx.higher accepts or refuses a timeframe on a prefix as on all of it.
  const barStepMs = barStep(candles.time)
  return {
    get (cut: number): StrategyContext {
      let ctx = kept.get(cut)
      if (ctx !== undefined) {
        kept.delete(cut)
      } else {
        const view = (c: Float64Array): Float64Array => c.subarray(0, cut)
        ctx = createStrategyContext({ length: cut, time: view(candles.time), open: view(candles.open), high: view(candles.high), low: view(candles.low), close: view(candles.close), volume: view(candles.volume) }, { maxCacheBytes: perContext, barStepMs })
        while (kept.size >= MAX_PREFIX_CONTEXTS) kept.delete(kept.keys().next().value as number)
      }
      kept.set(cut, ctx)
      return ctx
    },
  }
}

function isoTime (ms: number): string {
  const d = new DateType(ms)
  return Number.isFinite(d.getTime()) ? d.toISOString() : String(ms)
}

function lookAheadError (key: string, cut: number, bar: number | null, what: string): StratmeshError {
  return new StratmeshError('STRATEGY_LOOKAHEAD',
    `genome ${key} looks ahead: ${what} (cut at ${cut} bars); a position may use only the bars up to its own`,
    { details: { genome: key, bar, cut } })
}

/**
 * Throws STRATEGY_LOOKAHEAD when the genome's positions on a prefix differ from its positions on
 * all the data (`===`, so 0 and -0 agree), or when a prefix run fails where the full run did not.
 * A genome whose full run fails is not checked: its evaluation records that failure already.
 */
export function checkLookAhead<S extends ParamSpace> (def: StrategyDefinition<S>, ctx: StrategyContext, prefixes: PrefixContexts, params: ParamValues, cuts: readonly number[]): void {
  const full = positionsOf(def, ctx, params)
  if (typeof full === 'string') return
  const key = paramsKey(params)
  for (const cut of cuts) {
    if (cut < 1 || cut >= ctx.length) continue
    const prefix = positionsOf(def, prefixes.get(cut), params)
    if (typeof prefix === 'string') throw lookAheadError(key, cut, null, `on the first ${cut} bars ${prefix}, on all ${ctx.length} bars it did not`)
    for (let i = 0; i < cut; i++) {
      if (prefix[i] !== full[i]) throw lookAheadError(key, cut, i, `its position at bar ${i} (${isoTime(ctx.time[i])}) is ${full[i]} on all ${ctx.length} bars but ${prefix[i]} on the first ${cut}`)
    }
  }
}

/** A copy of the genome's positions (ctx.output() is reused by the next run), or what went wrong. */
function positionsOf<S extends ParamSpace> (def: StrategyDefinition<S>, ctx: StrategyContext, params: ParamValues): Float64Array | string {
  try {
    const checked = checkPositions(def.positions(ctx, params as ParamsOf<S>), ctx.length)
    return typeof checked === 'string' ? `its positions are unusable (${checked})` : Float64Array.from(checked)
  } catch (err) {
    return `it threw (${describeThrown(err)})`
  }
}
