/**
 * The island GA as deterministic work units. Unit (island i, epoch e) starts from island i's
 * checkpoint of epoch e-1 plus the best genomes of island i-1's checkpoint (a ring), evolves for
 * `generations` generations with a PRNG seeded by (job seed, i, e), and returns a checkpoint. The
 * output is a pure function of the inputs, so a unit computed on any peer, or twice, gives the same
 * bytes.
 */
import { StratmeshError } from '../protocol/errors.js'
import { constraintFailure, crossoverParams, mutateParams, paramsProblem, sampleParams } from './param-space.js'
import { paramsKey } from '../protocol/params-key.js'
import { unitInputs, unitIslands } from '../protocol/unit-layout.js'
import { createPrng, type Prng } from './prng.js'
import type { BestGenome, Checkpoint, Genome, JobSpec } from '../protocol/job-spec.js'
import { jobId } from './job-setup.js'
import type { StrategyDefinition } from './strategy-api.js'
import { brokenConstraintResult, type EvalScope } from './evaluate.js'
import type { EvalResult, ParamValues } from '../protocol/types.js'

/** Rows of full metrics a checkpoint carries: enough for a leaderboard, small enough for an entry. */
export const BEST_PER_UNIT = 10

/**
 * A unit expected to evaluate at least this many genomes searches with scope 'fitness' (see
 * UnitEnv.evaluate); a smaller one evaluates in full, since up to BEST_PER_UNIT repeats at the end
 * would cost more than skipping the out-of-sample backtests saves (about 15 % of an evaluation
 * each at the default split). Speed only: the checkpoint is the same bytes either way.
 */
export const FITNESS_SEARCH_MIN_EVALUATIONS = 10 * BEST_PER_UNIT

export interface UnitInput {
  readonly spec: JobSpec
  readonly island: number
  readonly epoch: number
  readonly previous: Checkpoint | null
  readonly migrants: Checkpoint | null
}

export interface UnitEnv {
  readonly def: StrategyDefinition
  /**
   * Evaluates a genome. A unit large enough (FITNESS_SEARCH_MIN_EVALUATIONS) asks for scope
   * 'fitness' while it searches and for 'full' only for the genomes that make its `best` list; an
   * env may always give 'full' results (the checkpoint is the same bytes either way, only slower).
   */
  readonly evaluate: (params: ParamValues, scope: EvalScope) => EvalResult
  /**
   * Called before each evaluation, so a watchdog can tell which genome hung. `repeat`: a genome
   * evaluated again for its out-of-sample metrics, not counted in `evaluations`.
   */
  readonly onEvaluation?: (index: number, params: ParamValues, repeat: boolean) => void
  /** Genomes (by paramsKey) not to evaluate, with the error to record instead. */
  readonly skip?: ReadonlyMap<string, string>
  /**
   * The look-ahead check (lookahead.ts), called once the generations are done with the unit's final
   * population in order; throws STRATEGY_LOOKAHEAD, which fails the unit. It picks its sample with
   * lookAheadSample, so it consumes nothing of the GA's PRNG and the checkpoint is the same bytes.
   */
  readonly lookAhead?: (input: UnitInput, population: ReadonlyArray<{ readonly params: ParamValues, readonly fitness: number | null }>) => void
}

interface Member {
  readonly key: string
  readonly params: ParamValues
  readonly result: EvalResult
}

/** The population's order: higher fitness first, failed (null) last, ties broken by the genome's key (paramsKey). */
export function compareRanked (fa: number | null, ka: string, fb: number | null, kb: string): number {
  if (fa !== fb) {
    if (fa === null) return 1
    if (fb === null) return -1
    return fb - fa
  }
  return ka < kb ? -1 : ka > kb ? 1 : 0
}

function compareMembers (a: Member, b: Member): number {
  return compareRanked(a.result.fitness, a.key, b.result.fitness, b.key)
}

// The ring's layout belongs to the protocol (the ledger's claimable units follow it too).
export { unitInputs }

function checkInput (input: UnitInput, id: string): void {
  const { spec, island, epoch, previous, migrants } = input
  const islands = unitIslands(spec)
  if (!Number.isInteger(island) || island < 0 || island >= islands) throw new StratmeshError('UNIT_BAD_INPUT', `island ${island} is outside [0, ${islands})`)
  if (!Number.isInteger(epoch) || epoch < 0 || epoch >= spec.ga.epochs) throw new StratmeshError('UNIT_BAD_INPUT', `epoch ${epoch} is outside [0, ${spec.ga.epochs})`)
  const need = unitInputs(spec.ga.islands, island, epoch)
  const check = (cp: Checkpoint | null, want: [number, number] | null, what: string): void => {
    if (want === null) return
    if (cp === null) throw new StratmeshError('UNIT_BAD_INPUT', `unit (${island}, ${epoch}) needs the ${what} checkpoint of unit (${want[0]}, ${want[1]})`)
    if (cp.jobId !== id || cp.island !== want[0] || cp.epoch !== want[1]) {
      throw new StratmeshError('UNIT_BAD_INPUT', `the ${what} checkpoint is unit (${cp.island}, ${cp.epoch}) of job ${cp.jobId.slice(0, 12)}, expected unit (${want[0]}, ${want[1]})`)
    }
  }
  check(previous, need.previous, 'previous')
  check(migrants, need.migrants, 'migrant')
}

export function runUnit (input: UnitInput, env: UnitEnv): Checkpoint {
  const { spec, island, epoch } = input
  const id = jobId(spec)
  checkInput(input, id)
  const ga = spec.ga
  const rng = unitPrng(spec, island, epoch)
  const searchScope: EvalScope = ga.population * (ga.generations + 1) >= FITNESS_SEARCH_MIN_EVALUATIONS ? 'fitness' : 'full'
  const genomes = new UnitGenomes(env, searchScope)
  genomes.remember(input.previous)
  genomes.remember(input.migrants)

  let population = initialPopulation(input, env.def, rng).map(p => genomes.evaluate(p))
  population.sort(compareMembers)

  for (let g = 0; g < ga.generations; g++) {
    const next: Member[] = population.slice(0, ga.elite)
    const seen = new Set(next.map(m => m.key))
    while (next.length < ga.population) {
      const a = tournament(population, ga.tournament, rng)
      const b = tournament(population, ga.tournament, rng)
      let child = rng.next() < ga.crossoverRate ? crossoverParams(env.def, a.params, b.params, rng) : a.params
      child = mutateParams(env.def, child, ga.mutationRate, rng)
      // A duplicate wastes a slot; nudge it a few times, then accept it (tiny spaces run out of genomes).
      for (let t = 0; t < 5 && seen.has(paramsKey(child)); t++) child = mutateParams(env.def, child, 1 / Object.keys(child).length, rng)
      const m = genomes.evaluate(child)
      seen.add(m.key)
      next.push(m)
    }
    population = next.sort(compareMembers)
  }
  env.lookAhead?.(input, population.map(m => ({ params: m.params, fitness: m.result.fitness })))

  const best = genomes.bestOf(population)
  return {
    jobId: id,
    island,
    epoch,
    population: population.map(m => toGenome(m.params, m.result)),
    best,
    evaluations: genomes.evaluations,
    errors: genomes.errors,
  }
}

/** A unit's genomes by key: each evaluated (or skipped) once, inherited ones with their recorded results. */
class UnitGenomes {
  /** Genomes evaluated here (repeats for metrics not counted), and results that are errors. */
  evaluations = 0
  errors = 0
  private readonly known = new Map<string, EvalResult>()
  private readonly env: UnitEnv
  private readonly searchScope: EvalScope

  constructor (env: UnitEnv, searchScope: EvalScope) {
    this.env = env
    this.searchScope = searchScope
  }

  evaluate (params: ParamValues, scope: EvalScope = this.searchScope): Member {
    const key = paramsKey(params)
    const cached = this.known.get(key)
    if (cached !== undefined) return { key, params, result: cached }
    let result: EvalResult
    const skipped = this.env.skip?.get(key)
    // The GA's operators keep to the constraints; this guards what it inherits from checkpoints.
    const broken = skipped === undefined ? constraintFailure(this.env.def, params) : null
    if (skipped !== undefined) {
      result = { fitness: null, inSample: null, outOfSample: null, error: skipped }
    } else if (broken !== null) {
      result = brokenConstraintResult(broken)
    } else {
      this.env.onEvaluation?.(this.evaluations, params, false)
      result = this.env.evaluate(params, scope)
      this.evaluations++
    }
    if (result.error !== undefined) this.errors++
    this.known.set(key, result)
    return { key, params, result }
  }

  /**
   * Genomes inherited from checkpoints keep their recorded fitness (evaluation is deterministic,
   * so re-running them would only cost time); those in a `best` list also keep their metrics.
   */
  remember (cp: Checkpoint | null): void {
    if (cp === null) return
    for (const g of cp.best) this.known.set(paramsKey(g.params), { fitness: g.fitness, inSample: g.inSample, outOfSample: g.outOfSample, ...(g.error === undefined ? {} : { error: g.error }), ...(g.symbols === undefined ? {} : { symbols: g.symbols }) })
    for (const g of cp.population) {
      const key = paramsKey(g.params)
      if (!this.known.has(key)) this.known.set(key, { fitness: g.fitness, inSample: null, outOfSample: null, ...(g.error === undefined ? {} : { error: g.error }) })
    }
  }

  /** The best BEST_PER_UNIT of a sorted population with full metrics, evaluating again those that lack them. */
  bestOf (population: readonly Member[]): BestGenome[] {
    const best: BestGenome[] = []
    for (const m of population) {
      if (best.length >= BEST_PER_UNIT) break
      if (m.result.fitness === null) break
      let r = m.result
      if (r.inSample === null) {
        // Inherited without metrics: evaluate again (same result by determinism) to get them.
        this.known.delete(m.key)
        r = this.evaluate(m.params, 'full').result
      } else if (r.outOfSample === null) {
        // Evaluated here for its fitness alone: the same evaluation again for its out-of-sample
        // metrics. Not counted: `evaluations` counts genomes, and this one was counted already.
        this.env.onEvaluation?.(this.evaluations, m.params, true)
        r = this.env.evaluate(m.params, 'full')
        if (r.fitness !== m.result.fitness || r.error !== m.result.error) {
          // Only a strategy whose output depends on more than its inputs gets here; a checkpoint
          // mixing the two results would fail every peer's check, so the unit fails instead.
          throw new StratmeshError('STRATEGY_NONDETERMINISTIC', `genome ${m.key} evaluated twice gave fitness ${m.result.fitness}, then ${r.fitness}${r.error === undefined ? '' : ` (${r.error})`}`)
        }
      }
      best.push(toBest(m.params, r))
    }
    return best
  }
}

function toGenome (params: ParamValues, r: EvalResult): Genome {
  return r.error === undefined ? { params, fitness: r.fitness } : { params, fitness: r.fitness, error: r.error }
}

function toBest (params: ParamValues, r: EvalResult): BestGenome {
  return { ...toGenome(params, r), inSample: r.inSample, outOfSample: r.outOfSample, ...(r.symbols === undefined ? {} : { symbols: r.symbols }) }
}

/** The GA's PRNG for unit (island, epoch). */
export function unitPrng (spec: JobSpec, island: number, epoch: number): Prng {
  return createPrng(spec.seed, island, epoch)
}

/**
 * An island's epoch-0 population, drawn from `rng` (its unit's unitPrng, fresh) as runUnit draws
 * it; throws STRATEGY_CONSTRAINTS_UNSATISFIABLE as sampleParams does. The submit check uses it.
 */
export function firstPopulation (spec: JobSpec, def: StrategyDefinition, rng: Prng): ParamValues[] {
  return Array.from({ length: spec.ga.population }, () => sampleParams(def, rng))
}

function initialPopulation (input: UnitInput, def: StrategyDefinition, rng: Prng): ParamValues[] {
  const size = input.spec.ga.population
  if (input.previous === null) return firstPopulation(input.spec, def, rng)
  const own = input.previous.population.map(g => g.params)
  for (const p of own) {
    const problem = paramsProblem(def.params, p)
    if (problem !== null) throw new StratmeshError('UNIT_BAD_INPUT', `previous checkpoint holds a genome that does not fit the strategy: ${problem}`)
  }
  if (input.migrants === null || input.spec.ga.migrants === 0) return own.slice(0, size)
  // The worst of the island make room for the best of its ring neighbour.
  const ownKeys = new Set(own.map(paramsKey))
  const incoming = input.migrants.population
    .filter(g => g.fitness !== null && !ownKeys.has(paramsKey(g.params)))
    .slice(0, input.spec.ga.migrants)
    .map(g => g.params)
  return [...own.slice(0, size - incoming.length), ...incoming]
}

function tournament (population: readonly Member[], size: number, rng: Prng): Member {
  let best = population[rng.int(population.length)]
  for (let i = 1; i < size; i++) {
    const c = population[rng.int(population.length)]
    if (compareMembers(c, best) < 0) best = c
  }
  return best
}
