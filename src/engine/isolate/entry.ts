/**
 * The engine as it runs inside an evaluator's isolate: esbuild bundles this file, the engine and the
 * strategy API into one script (src/node/evaluators/engine-bundle.ts), the evaluator child runs it
 * in a fresh V8 isolate, takes the operations object it leaves on the global, removes it from the
 * global and then runs the strategy's code. Everything crosses the boundary as primitives: the
 * candles once per job (copied in as Float64Arrays), JSON text in, JSON text out.
 *
 * Each operation stores its answer, `{"ok":…}` or `{"error":{code,message}}`, and returns its
 * length, so the host can refuse an oversized answer before copying it out with take().
 */
import { evaluateDetail } from '../backtest-detail.js'
import { packRangeSeries } from '../backtest-series.js'
import { sampleGenomeDetail, type SampledCurve, type SampledGenomeDetail } from '../downsample.js'
import { runUnit, type UnitInput } from '../ga.js'
import { evalSetupFor } from '../job-setup.js'
import { brokenConstraintResult, evaluateGenome, type EvalScope, type EvalSetup } from '../evaluate.js'
import { basketSetupFor, evaluateBasket, type BasketMember } from '../basket.js'
import { constraintFailure, paramsProblem } from '../param-space.js'
import { checkLookAhead, createPrefixContexts, lookAheadSample, type PrefixContexts } from '../lookahead.js'
import { submitPreflight } from '../preflight.js'
import { walkForwardResult, type WindowWinner } from '../walk-forward-result.js'
import { jobStatistics, type StatisticsInput } from '../stats/job-statistics.js'
import { runtimeFingerprint } from '../runtime-fingerprint.js'
import { createStrategyContext } from '../strategy-context.js'
import { loadStrategyModule, type StrategyModuleFunction } from '../strategy-loader.js'
import type { StrategyContext, StrategyDefinition } from '../strategy-api.js'
import { paramsKey } from '../../protocol/params-key.js'
import { StratmeshError } from '../../protocol/errors.js'
import type { JobSpec } from '../../protocol/job-spec.js'
import type { Candles, Costs, EvalResult, ParamValues } from '../../protocol/types.js'
import { ENGINE_GLOBAL, ISOLATE_INTERFACE_VERSION } from './interface.js'


/** Host callbacks, handed in once by connect() and kept here, out of the strategy's reach. */
type Progress = (index: number, paramsKey: string, repeat: boolean) => void
type OutOfMemory = () => void

interface LoadedJob {
  readonly def: StrategyDefinition
  readonly ctx: StrategyContext
  readonly spec: JobSpec
  /** Each unit island's ranges (a walk-forward window's own), made on first use. */
  readonly setups: Map<number, EvalSetup>
  readonly prefixes: PrefixContexts
  /** A basket job's symbols (the first's context is `ctx`), or null for a one-dataset job. */
  readonly members: readonly BasketMember[] | null
}

type RankedGenomes = ReadonlyArray<{ readonly params: ParamValues, readonly fitness: number | null }>

// Taken before any strategy code runs: a strategy may replace the globals, not these bindings.
const stringify = JSON.stringify
const parse = JSON.parse
const RangeErrorType = RangeError

let progress: Progress | null = null
let outOfMemory: OutOfMemory | null = null
let job: LoadedJob | null = null
let answer = ''
/** The last backtest's series, handed out once by takeSeries (a typed array, not JSON: see backtest-series.ts). */
let series: Float64Array | null = null

/**
 * V8 throws this when an ArrayBuffer would pass the isolate's memory limit. A strategy may catch
 * it; one that does not has run out of memory. Outside a strategy's positions() (the engine's own
 * arrays) the host replaces the isolate, as when the heap reaches the limit.
 */
function isAllocationFailure (err: unknown): boolean {
  return err instanceof RangeErrorType && /allocation failed/i.test(String((err as Error).message))
}

function respond (op: () => unknown): number {
  try {
    answer = stringify({ ok: op() })
  } catch (err) {
    if (isAllocationFailure(err) && outOfMemory !== null) outOfMemory()
    const code = err instanceof StratmeshError ? err.code : 'EVAL_CHILD_ERROR'
    const message = err !== null && typeof err === 'object' && typeof (err as Error).message === 'string' ? (err as Error).message : String(err)
    answer = stringify({ error: { code, message } })
  }
  return answer.length
}

function loaded (): LoadedJob {
  if (job === null) throw new StratmeshError('EVAL_JOB_NOT_LOADED', 'no job is loaded in this isolate')
  return job
}

/** The ranges of unit island `island` of the loaded job (evalSetupFor refuses an island outside it). */
function setupOf (j: LoadedJob, island: number): EvalSetup {
  let setup = j.setups.get(island)
  if (setup === undefined) {
    setup = evalSetupFor(j.spec, j.ctx, island)
    j.setups.set(island, setup)
  }
  return setup
}

/**
 * A genome's evaluation for unit island `island`: on every symbol of a basket job (basket.ts), on
 * the one dataset otherwise. Units, checks and details all come through here.
 */
function evaluateLoaded (j: LoadedJob, island: number, params: ParamValues, scope: EvalScope = 'full'): EvalResult {
  if (j.members !== null) return evaluateBasket(j.def, j.members, (j.spec.basket as NonNullable<JobSpec['basket']>).aggregate, params, scope)
  return evaluateGenome(j.def, j.ctx, params, setupOf(j, island), scope)
}

/** Six columns (time, open, high, low, close, volume) as candles. */
function candlesOf (c: readonly Float64Array[]): Candles {
  if (c.length !== 6 || !c.every(x => x instanceof Float64Array && x.length === c[0].length)) throw new StratmeshError('JOB_DATASET_MISMATCH', 'a symbol\'s candles must be six columns of one length')
  return { length: c[0].length, time: c[0], open: c[1], high: c[2], low: c[3], close: c[4], volume: c[5] }
}

/**
 * A basket job's symbols, each with its own context, so its own indicator cache (the cache bound
 * shared out evenly, so the isolate's memory limit holds whatever the basket's size). `more` holds
 * the columns of the symbols after the first, six per symbol, in the order of spec.basket.datasets.
 */
function basketMembers (spec: JobSpec, first: Candles, more: readonly Float64Array[], maxCacheBytes: number): BasketMember[] {
  const datasets = (spec.basket as NonNullable<JobSpec['basket']>).datasets
  if (more.length !== 6 * (datasets.length - 1)) throw new StratmeshError('JOB_DATASET_MISMATCH', `the job has ${datasets.length} symbols, ${1 + more.length / 6} were loaded`)
  const symbols = [first, ...datasets.slice(1).map((_, k) => candlesOf(more.slice(6 * k, 6 * k + 6)))]
  return datasets.map((d, k) => ({ name: d.name, ctx: createStrategyContext(symbols[k], { maxCacheBytes: Math.floor(maxCacheBytes / datasets.length) }), setup: basketSetupFor(spec, symbols[k], k) }))
}

/**
 * The definition whose positions() turns an allocation failure it did not catch into
 * EVAL_OUT_OF_MEMORY, recorded for the genome like any failed evaluation: the isolate is intact
 * (V8 refused one ArrayBuffer; it collects the strategy's garbage as usual), so no restart.
 */
function watchedForMemory (def: StrategyDefinition): StrategyDefinition {
  const positions = def.positions
  return {
    ...def,
    positions: (ctx, p) => {
      try {
        return positions(ctx, p)
      } catch (err) {
        if (isAllocationFailure(err)) throw new StratmeshError('EVAL_OUT_OF_MEMORY', 'the evaluation exceeded the evaluator memory limit')
        throw err
      }
    },
  }
}

/** The share of the indicator cache bound the look-ahead's prefix contexts get (isolate-host.ts counts it). */
function prefixCacheBytes (maxCacheBytes: number): number {
  return Math.floor(maxCacheBytes / 4)
}

function checkUnitLookAhead (j: LoadedJob, island: number, epoch: number, population: RankedGenomes): void {
  const report = progress
  const sample = lookAheadSample(j.spec, setupOf(j, island), j.ctx.length, island, epoch, population)
  sample.genomes.forEach((params, index) => {
    // A repeat for the watchdog: it names the genome if a prefix run hangs, and counts nothing.
    if (report !== null) report(index, paramsKey(params), true)
    checkLookAhead(j.def, j.ctx, j.prefixes, params, sample.cuts)
  })
}

function plainCurve (c: SampledCurve): { bars: number[], values: number[] } {
  return { bars: Array.from(c.bars), values: Array.from(c.values) }
}

/** The detail with its typed arrays as plain arrays, for JSON (the host rebuilds them). */
function plainDetail (d: SampledGenomeDetail): unknown {
  const range = (r: SampledGenomeDetail['inSample']): unknown => ({ ...r, equity: plainCurve(r.equity), drawdown: plainCurve(r.drawdown) })
  return { ...d, inSample: range(d.inSample), outOfSample: range(d.outOfSample) }
}

const operations = {
  interfaceVersion: ISOLATE_INTERFACE_VERSION,
  connect (onProgress: Progress, onOutOfMemory: OutOfMemory): void {
    if (progress !== null) throw new Error('the engine is connected already')
    progress = onProgress
    outOfMemory = onOutOfMemory
  },
  /** The runtime fingerprint (runtime-fingerprint.ts), run before any strategy is in the isolate. */
  fingerprint: (): number => respond(() => runtimeFingerprint()),
  inspect: (fn: StrategyModuleFunction, fileName: string): number => respond(() => {
    const def = loadStrategyModule(fn, fileName)
    // A plain copy: the definition's objects may carry getters or functions.
    return { name: def.name, params: parse(stringify(def.params)) as unknown, ...(typeof def.description === 'string' ? { description: def.description } : {}) }
  }),
  /** `more`: a basket job's other symbols' columns (basketMembers); none for a one-dataset job. */
  loadJob: (fn: StrategyModuleFunction, fileName: string, time: Float64Array, open: Float64Array, high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array, specJson: string, maxCacheBytes: number, ...more: Float64Array[]): number => respond(() => {
    const candles = { length: time.length, time, open, high, low, close, volume }
    const def = watchedForMemory(loadStrategyModule(fn, fileName))
    const spec = parse(specJson) as JobSpec
    const members = spec.basket === undefined ? null : basketMembers(spec, candles, more, maxCacheBytes)
    const ctx = members === null ? createStrategyContext(candles, { maxCacheBytes }) : members[0].ctx
    // Checked now, so a job whose data does not fit fails at load, as it always did.
    const setups = new Map([[0, evalSetupFor(spec, candles)]])
    // The look-ahead check runs on the first symbol of a basket: it tests the strategy's code, and
    // one series shows a peek as well as several (docs/DESIGN.md, "Several symbols").
    job = { def, ctx, spec, setups, prefixes: createPrefixContexts(candles, prefixCacheBytes(maxCacheBytes)), members }
    return null
  }),
  /**
   * Another job of the loaded strategy on the loaded candles (the host sends it only when the job's
   * engine, strategy and candles are the ones loaded): its spec replaces the last one, and the
   * strategy, its indicator cache and the look-ahead prefixes stay, as they stay between units of one
   * job. A basket job's members are made from its spec, so one is always loaded afresh.
   */
  useSpec: (specJson: string): number => respond(() => {
    const j = loaded()
    const spec = parse(specJson) as JobSpec
    if (j.members !== null || spec.basket !== undefined) throw new StratmeshError('EVAL_CHILD_USED', 'a basket job is loaded in a fresh evaluator')
    job = { ...j, spec, setups: new Map([[0, evalSetupFor(spec, j.ctx)]]) }
    return null
  }),
  runUnit: (inputJson: string, skipJson: string): number => respond(() => {
    const j = loaded()
    const report = progress
    const input = parse(inputJson) as UnitInput
    // Refuses an island outside the job before any genome runs.
    setupOf(j, input.island)
    return runUnit(input, {
      def: j.def,
      evaluate: (params, scope) => evaluateLoaded(j, input.island, params, scope),
      onEvaluation: (index, params, repeat) => { if (report !== null) report(index, paramsKey(params), repeat) },
      skip: new Map(parse(skipJson) as Array<[string, string]>),
      lookAhead: (input, population) => { checkUnitLookAhead(j, input.island, input.epoch, population) },
    })
  }),
  /** The look-ahead sample of another member's checkpoint (its unit and population), as its unit ran it. */
  lookAhead: (requestJson: string): number => respond(() => {
    const r = parse(requestJson) as { island: number, epoch: number, population: RankedGenomes }
    checkUnitLookAhead(loaded(), r.island, r.epoch, r.population)
    return null
  }),
  /** Before a job is published: every island's first population keeps the constraints, and a sample does not look ahead. */
  preflight: (): number => respond(() => {
    const j = loaded()
    return submitPreflight(j.spec, setupOf(j, 0), j.def, j.ctx, j.prefixes)
  }),
  /** Genomes of unit island `island` (whose ranges they are scored on). */
  evaluate: (paramsJson: string, island: number): number => respond(() => {
    const j = loaded()
    // Refuses an island outside the job before any genome runs.
    setupOf(j, island)
    const report = progress
    // Genomes come from another member's checkpoint: one outside the strategy's space is recorded
    // as such (the GA never produces one), not run.
    return (parse(paramsJson) as ParamValues[]).map((params, index) => {
      const problem = paramsProblem(j.def.params, params)
      if (problem !== null) return { fitness: null, inSample: null, outOfSample: null, error: `GENOME_OUTSIDE_SPACE: ${problem}` }
      const broken = constraintFailure(j.def, params)
      if (broken !== null) return brokenConstraintResult(broken)
      if (report !== null) report(index, paramsKey(params), false)
      return evaluateLoaded(j, island, params)
    })
  }),
  detail: (paramsJson: string, maxPoints: number, maxTrades: number, island: number): number => respond(() => {
    const j = loaded()
    const params = parse(paramsJson) as ParamValues
    const detail = evaluateDetail(j.def, j.ctx, params, setupOf(j, island))
    // A basket's detail charts its first symbol; its fitness is the genome's, the one the GA ranked by.
    const shown = j.members === null ? detail : { ...detail, fitness: evaluateLoaded(j, island, params).fitness }
    return plainDetail(sampleGenomeDetail(shown, { maxPoints, maxTrades }))
  }),
  /**
   * `peer backtest`: one genome over [from, to) of the loaded data (the strategy runs over all of
   * it, so indicators warm up before `from`), with these costs; its series wait for takeSeries.
   * A genome outside the space or breaking a constraint is refused: the GA would never run it.
   */
  backtest: (paramsJson: string, rangeJson: string): number => respond(() => {
    const j = loaded()
    series = null
    const params = parse(paramsJson) as ParamValues
    const range = parse(rangeJson) as { from: number, to: number, costs: Costs }
    const problem = paramsProblem(j.def.params, params)
    if (problem !== null) throw new StratmeshError('BACKTEST_BAD_PARAMS', problem)
    const broken = constraintFailure(j.def, params)
    if (broken !== null) throw new StratmeshError('BACKTEST_CONSTRAINT_BROKEN', broken)
    const d = evaluateDetail(j.def, j.ctx, params, { ...setupOf(j, 0), costs: range.costs, from: range.from, split: range.to, to: range.to })
    series = packRangeSeries(d.inSample)
    return { metrics: d.inSample.metrics, fitness: d.fitness, tradeCount: d.inSample.trades.length }
  }),
  takeSeries (): Float64Array | null {
    const s = series
    series = null
    return s
  },
  /** A walk-forward job's result from each window's winner (walk-forward-result.ts). */
  walkForward: (winnersJson: string, maxPoints: number): number => respond(() => {
    const j = loaded()
    return walkForwardResult(j.def, j.ctx, j.spec, parse(winnersJson) as WindowWinner[], maxPoints)
  }),
  /** A finished job's overfitting statistics (stats/job-statistics.ts), reporting progress per genome it runs. */
  statistics: (inputJson: string): number => respond(() => {
    const j = loaded()
    const report = progress
    return jobStatistics(j.def, j.ctx, setupOf(j, 0), parse(inputJson) as StatisticsInput, (index, params) => { if (report !== null) report(index, paramsKey(params), false) })
  }),
  /** The last answer, handed out once. */
  take (): string {
    const a = answer
    answer = ''
    return a
  },
}

Object.defineProperty(globalThis, ENGINE_GLOBAL, { value: operations, configurable: true, writable: false, enumerable: false })
