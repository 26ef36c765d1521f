/**
 * The messages between the evaluator pool (parent) and an evaluator child, over Node's IPC channel
 * with `serialization: 'advanced'` (structured clone, so candle columns cross as Float64Arrays).
 * The child runs other people's code, so the parent checks every message it receives as untrusted
 * input; the child checks the parent's messages as a guard against version skew between the two.
 * Every request carries an `id`; the child answers it with exactly one final message (loaded,
 * result, inspected, detailed, evaluated, statistics-computed or error), after any number of progress messages.
 */
import type { Trade } from '../../engine/backtest-detail.js'
import type { SampledCurve, SampledGenomeDetail, SampledRange } from '../../engine/downsample.js'
import type { Checkpoint, JobSpec } from '../../protocol/job-spec.js'
import type { UnitInput } from '../../engine/ga.js'
import type { WalkForwardResult, WalkForwardWindowResult, WindowWinner } from '../../engine/walk-forward-result.js'
import { MAX_BASKET_SYMBOLS, MAX_WALK_FORWARD_WINDOWS } from '../../protocol/job-spec-check.js'
import type { JobStatistics, StatisticsInput } from '../../engine/stats/job-statistics.js'
import type { ParamSpace } from '../../engine/strategy-api.js'
import type { Candles, Costs, EvalResult, Metrics, ParamValues, SymbolResult } from '../../protocol/types.js'
import { canonicalString } from '../../protocol/canonical.js'
import { StratmeshError } from '../../protocol/errors.js'
import { isErrorCode, type ErrorCode } from '../../protocol/error-codes.js'
import { checkStatistics } from './statistics-answer.js'

/** Longest error message taken from a child: enough for any real message, not a way to flood logs. */
export const MAX_CHILD_ERROR_CHARS = 2000
/**
 * Points per curve in a genome's detail: a chart a few thousand pixels wide shows no more, and
 * four curves of this size stay far below a megabyte of JSON.
 */
export const MAX_DETAIL_POINTS = 2000
/** Trades listed per range in a genome's detail (the rest are counted): markers beyond this hide the candles. */
export const MAX_DETAIL_TRADES = 500
/**
 * Genomes per evaluate request (checking another member's checkpoint): a unit's best list and a
 * sample of its population fit many times over, and an answer stays far below the IPC limits.
 */
export const MAX_EVALUATE_GENOMES = 256
/**
 * How often a child reports its memory: `peer status` shows figures at most this old, and a
 * report (one small IPC message and a heap-statistics call) every 2 s costs nothing measurable.
 */
export const MEMORY_REPORT_MS = 2000

/**
 * Load a job's engine bundle (the script the job names by hash), strategy and candles;
 * `maxCacheBytes` bounds the child's indicator cache (see cache-budget.ts), and the child's
 * isolate is given that much more memory, plus the candles'.
 */
export interface LoadJobMessage { readonly type: 'load-job', readonly id: number, readonly jobKey: string, readonly engine: string, readonly code: string, readonly fileName: string, readonly candles: Candles, readonly spec: JobSpec, readonly maxCacheBytes: number, readonly basket?: readonly Candles[] }
/**
 * Another job of the strategy and candles the child holds (same engine bundle): its spec replaces
 * the loaded job's, and the strategy, indicator cache and look-ahead prefixes stay. Sent only to a
 * child whose `loaded` answer said it could (`reusable`).
 */
export interface UseJobMessage { readonly type: 'use-job', readonly id: number, readonly jobKey: string, readonly spec: JobSpec }
export interface RunUnitMessage { readonly type: 'run-unit', readonly id: number, readonly jobKey: string, readonly input: UnitInput, readonly skip: ReadonlyArray<readonly [string, string]> }
export interface InspectMessage { readonly type: 'inspect', readonly id: number, readonly code: string, readonly fileName: string }
/**
 * Recompute one genome of the loaded job in detail (equity, drawdown, trades), within the limits,
 * on the ranges of unit island `island` (a walk-forward window's own).
 */
export interface DetailMessage { readonly type: 'detail', readonly id: number, readonly jobKey: string, readonly params: ParamValues, readonly maxPoints: number, readonly maxTrades: number, readonly island: number }
/** Evaluate genomes of unit island `island` of the loaded job, one progress message before each (the watchdog's steps). */
export interface EvaluateMessage { readonly type: 'evaluate', readonly id: number, readonly jobKey: string, readonly params: readonly ParamValues[], readonly island: number }
/** Run an engine bundle's runtime fingerprint in a fresh isolate (no strategy is loaded). */
export interface FingerprintMessage { readonly type: 'fingerprint', readonly id: number, readonly engine: string }
/** A walk-forward job's result from each window's winner (null: the window has none), its curve within maxPoints. */
export interface WalkForwardMessage { readonly type: 'walk-forward', readonly id: number, readonly jobKey: string, readonly winners: readonly WindowWinner[], readonly maxPoints: number }
/**
 * The look-ahead check of another member's checkpoint of unit (island, epoch): the sample its unit
 * checked, drawn from its population (params and fitness, in order); answered `checked` or an error.
 */
export interface LookAheadMessage { readonly type: 'look-ahead', readonly id: number, readonly jobKey: string, readonly island: number, readonly epoch: number, readonly population: ReadonlyArray<{ readonly params: ParamValues, readonly fitness: number | null }> }
/** The submit check of the loaded job (engine/preflight.ts); answered `checked` or an error. */
export interface PreflightMessage { readonly type: 'preflight', readonly id: number, readonly jobKey: string }
/** `peer backtest`: one genome of the loaded data over [from, to) with these costs, in full (see backtest-series.ts). */
export interface BacktestMessage { readonly type: 'backtest', readonly id: number, readonly jobKey: string, readonly params: ParamValues, readonly range: BacktestRange }
export interface BacktestRange { readonly from: number, readonly to: number, readonly costs: Costs }
/** Compute a finished job's overfitting statistics (stats/job-statistics.ts), one progress message per genome it runs. */
export interface StatisticsMessage { readonly type: 'statistics', readonly id: number, readonly jobKey: string, readonly input: StatisticsInput }
export type ParentMessage = FingerprintMessage | LoadJobMessage | UseJobMessage | RunUnitMessage | InspectMessage | DetailMessage | EvaluateMessage | BacktestMessage | LookAheadMessage | PreflightMessage | WalkForwardMessage | StatisticsMessage

export interface ReadyMessage { readonly type: 'ready' }
/** `reusable`: the child can take another job of the same strategy and candles (use-job). */
export interface LoadedMessage { readonly type: 'loaded', readonly id: number, readonly reusable?: boolean }
/**
 * An evaluation is starting (it re-arms the parent's watchdog and names the genome it blames for a
 * hang). `repeat`: the same genome again within the unit, for its out-of-sample metrics; not a new
 * evaluation, so not counted.
 */
export interface ProgressMessage { readonly type: 'progress', readonly id: number, readonly index: number, readonly paramsKey: string, readonly repeat?: true }
export interface ResultMessage { readonly type: 'result', readonly id: number, readonly checkpoint: Checkpoint }
export interface InspectedMessage { readonly type: 'inspected', readonly id: number, readonly name: string, readonly description?: string, readonly params: ParamSpace }
export interface DetailedMessage { readonly type: 'detailed', readonly id: number, readonly detail: SampledGenomeDetail }
/** The results of an evaluate request, in the order of its genomes. */
export interface EvaluatedMessage { readonly type: 'evaluated', readonly id: number, readonly results: readonly EvalResult[] }
/** A backtest's metrics, its fitness under the loaded job's objective, and its packed series. */
export interface BacktestedMessage { readonly type: 'backtested', readonly id: number, readonly metrics: Metrics, readonly fitness: number | null, readonly tradeCount: number, readonly series: Float64Array }
export interface FingerprintedMessage { readonly type: 'fingerprinted', readonly id: number, readonly fingerprint: string }
/** A look-ahead or preflight request passed. */
export interface CheckedMessage { readonly type: 'checked', readonly id: number }
export interface ErrorMessage { readonly type: 'error', readonly id: number, readonly code: ErrorCode, readonly message: string }
export interface WalkedForwardMessage { readonly type: 'walked-forward', readonly id: number, readonly result: WalkForwardResult }
export interface StatisticsComputedMessage { readonly type: 'statistics-computed', readonly id: number, readonly statistics: JobStatistics }
/**
 * The child's memory, sent unasked every MEMORY_REPORT_MS (and between evaluations while a unit
 * runs): its process's resident set and, once it holds an isolate, the isolate's heap in use and
 * the ArrayBuffers it holds (candles, indicator cache). No id: it answers no request.
 */
export interface MemoryMessage { readonly type: 'memory', readonly rssBytes: number, readonly isolateHeapBytes?: number, readonly isolateExternalBytes?: number }
export type ChildMessage = MemoryMessage | ReadyMessage | LoadedMessage | CheckedMessage | FingerprintedMessage | ProgressMessage | ResultMessage | InspectedMessage | DetailedMessage | EvaluatedMessage | BacktestedMessage | WalkedForwardMessage | StatisticsComputedMessage | ErrorMessage

function bad (problem: string): StratmeshError {
  return new StratmeshError('EVAL_BAD_MESSAGE', `evaluator message ${problem}`)
}

function isRecord (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function isId (v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}

const CANDLE_COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const

function isCandles (v: unknown): v is Candles {
  if (!isRecord(v) || !Number.isSafeInteger(v.length)) return false
  return CANDLE_COLUMNS.every(c => v[c] instanceof Float64Array && (v[c] as Float64Array).length === v.length)
}

/** Checks a message from the parent (in the child). */
export function parseParentMessage (m: unknown): ParentMessage {
  if (!isRecord(m) || !isId(m.id)) throw bad('is not an object with an id')
  switch (m.type) {
    case 'fingerprint':
      if (typeof m.engine !== 'string') throw bad('fingerprint lacks the engine bundle')
      return m as unknown as FingerprintMessage
    case 'load-job':
      if (typeof m.jobKey !== 'string' || typeof m.engine !== 'string' || typeof m.code !== 'string' || typeof m.fileName !== 'string') throw bad('load-job lacks jobKey, engine, code or fileName')
      if (!isCandles(m.candles)) throw bad('load-job candles must be Float64Array columns of one length')
      if (m.basket !== undefined && !(Array.isArray(m.basket) && m.basket.every(isCandles))) throw bad('load-job basket must be a list of candles')
      if (!isRecord(m.spec)) throw bad('load-job lacks a spec')
      if (!Number.isSafeInteger(m.maxCacheBytes) || (m.maxCacheBytes as number) < 0) throw bad('load-job maxCacheBytes must be an integer >= 0')
      return m as unknown as LoadJobMessage
    case 'use-job':
      if (typeof m.jobKey !== 'string' || !isRecord(m.spec)) throw bad('use-job lacks jobKey or spec')
      return m as unknown as UseJobMessage
    case 'run-unit':
      if (typeof m.jobKey !== 'string' || !isRecord(m.input) || !Array.isArray(m.skip)) throw bad('run-unit lacks jobKey, input or skip')
      if (!m.skip.every(s => Array.isArray(s) && s.length === 2 && typeof s[0] === 'string' && typeof s[1] === 'string')) throw bad('run-unit skip must be [paramsKey, error] pairs')
      return m as unknown as RunUnitMessage
    case 'inspect':
      if (typeof m.code !== 'string' || typeof m.fileName !== 'string') throw bad('inspect lacks code or fileName')
      return m as unknown as InspectMessage
    case 'detail':
      if (typeof m.jobKey !== 'string' || !isRecord(m.params)) throw bad('detail lacks jobKey or params')
      if (!Number.isSafeInteger(m.maxPoints) || !Number.isSafeInteger(m.maxTrades)) throw bad('detail lacks maxPoints or maxTrades')
      if (!Number.isSafeInteger(m.island) || (m.island as number) < 0) throw bad('detail lacks an island')
      return m as unknown as DetailMessage
    case 'evaluate':
      if (typeof m.jobKey !== 'string' || !Array.isArray(m.params) || !m.params.every(isRecord)) throw bad('evaluate lacks jobKey or a list of params')
      if (m.params.length > MAX_EVALUATE_GENOMES) throw bad(`evaluate holds ${m.params.length} genomes, more than ${MAX_EVALUATE_GENOMES}`)
      if (!Number.isSafeInteger(m.island) || (m.island as number) < 0) throw bad('evaluate lacks an island')
      return m as unknown as EvaluateMessage
    case 'backtest': {
      const r = m.range as Record<string, unknown> | undefined
      if (typeof m.jobKey !== 'string' || !isRecord(m.params) || !isRecord(r) || !isId(r.from) || !isId(r.to) || !isRecord(r.costs)) throw bad('backtest lacks jobKey, params or range')
      return m as unknown as BacktestMessage
    }
    case 'look-ahead':
      if (typeof m.jobKey !== 'string' || !isId(m.island) || !isId(m.epoch) || !Array.isArray(m.population)) throw bad('look-ahead lacks jobKey, island, epoch or population')
      if (m.population.length > MAX_EVALUATE_GENOMES) throw bad(`look-ahead holds ${m.population.length} genomes, more than ${MAX_EVALUATE_GENOMES}`)
      if (!m.population.every(g => isRecord(g) && isRecord(g.params) && (g.fitness === null || typeof g.fitness === 'number'))) throw bad('look-ahead population must be {params, fitness} genomes')
      return m as unknown as LookAheadMessage
    case 'preflight':
      if (typeof m.jobKey !== 'string') throw bad('preflight lacks jobKey')
      return m as unknown as PreflightMessage
    case 'walk-forward':
      if (typeof m.jobKey !== 'string' || !Array.isArray(m.winners) || m.winners.length > MAX_WALK_FORWARD_WINDOWS) throw bad('walk-forward lacks jobKey or a list of winners')
      if (!m.winners.every(w => w === null || (isRecord(w) && isRecord(w.params) && typeof w.fitness === 'number'))) throw bad('walk-forward winners must be null or { params, fitness }')
      if (!Number.isSafeInteger(m.maxPoints)) throw bad('walk-forward lacks maxPoints')
      return m as unknown as WalkForwardMessage
    case 'statistics':
      if (typeof m.jobKey !== 'string' || !isRecord(m.input) || !Array.isArray(m.input.rows) || !isRecord(m.input.spec)) throw bad('statistics lacks jobKey or an input with spec and rows')
      return m as unknown as StatisticsMessage
    default:
      throw bad(`has unknown type ${JSON.stringify(String(m.type))}`)
  }
}

/** Checks a message from a child (in the parent): the child runs untrusted code, so check everything. */
export function parseChildMessage (m: unknown): ChildMessage {
  if (!isRecord(m)) throw bad('is not an object')
  if (m.type === 'ready') return { type: 'ready' }
  if (m.type === 'memory') return checkMemory(m)
  if (!isId(m.id)) throw bad('lacks an id')
  const id = m.id
  switch (m.type) {
    case 'loaded':
      if (m.reusable !== undefined && typeof m.reusable !== 'boolean') throw bad('loaded reusable is not a boolean')
      return { type: 'loaded', id, ...(m.reusable === true ? { reusable: true } : {}) }
    case 'checked':
      return { type: 'checked', id }
    case 'fingerprinted':
      if (typeof m.fingerprint !== 'string' || !/^[0-9a-f]{64}$/.test(m.fingerprint)) throw bad('fingerprinted lacks a sha256 hex fingerprint')
      return { type: 'fingerprinted', id, fingerprint: m.fingerprint }
    case 'progress':
      if (!Number.isSafeInteger(m.index) || (m.index as number) < 0 || typeof m.paramsKey !== 'string') throw bad('progress lacks index or paramsKey')
      if (m.repeat !== undefined && m.repeat !== true) throw bad('progress repeat is not true')
      return { type: 'progress', id, index: m.index as number, paramsKey: m.paramsKey, ...(m.repeat === true ? { repeat: true } : {}) }
    case 'result':
      return { type: 'result', id, checkpoint: checkCheckpoint(m.checkpoint) }
    case 'inspected': {
      if (typeof m.name !== 'string' || !isRecord(m.params)) throw bad('inspected lacks name or params')
      if (m.description !== undefined && typeof m.description !== 'string') throw bad('inspected description must be a string')
      // Canonical encodability proves the space is plain data (no functions, getters or cycles).
      try { canonicalString(m.params) } catch (err) { throw new StratmeshError('EVAL_BAD_MESSAGE', 'inspected params are not plain data', { cause: err }) }
      return { type: 'inspected', id, name: m.name, params: m.params as ParamSpace, ...(m.description === undefined ? {} : { description: m.description }) }
    }
    case 'detailed':
      return { type: 'detailed', id, detail: checkDetail(m.detail) }
    case 'backtested':
      if (!Number.isSafeInteger(m.tradeCount) || (m.tradeCount as number) < 0 || !(m.series instanceof Float64Array)) throw bad('backtested lacks tradeCount or series')
      if (!(m.fitness === null || (typeof m.fitness === 'number' && Number.isFinite(m.fitness)))) throw bad('backtested fitness must be null or a finite number')
      // The series' length and values are checked against the range asked for (unpackRangeSeries).
      return { type: 'backtested', id, metrics: checkMetrics(m.metrics), fitness: m.fitness, tradeCount: m.tradeCount as number, series: m.series }
    case 'walked-forward':
      return { type: 'walked-forward', id, result: checkWalkForwardResult(m.result) }
    case 'evaluated':
      if (!Array.isArray(m.results) || m.results.length > MAX_EVALUATE_GENOMES) throw bad(`evaluated must hold at most ${MAX_EVALUATE_GENOMES} results`)
      return { type: 'evaluated', id, results: m.results.map(checkEvalResult) }
    case 'statistics-computed':
      return { type: 'statistics-computed', id, statistics: checkStatistics(m.statistics) }
    case 'error':
      // The code crosses a process boundary: only a registered one may become a StratmeshError here.
      if (!isErrorCode(m.code) || typeof m.message !== 'string') throw bad('error lacks a code or message')
      return { type: 'error', id, code: m.code, message: m.message.slice(0, MAX_CHILD_ERROR_CHARS) }
    default:
      throw bad(`has unknown type ${JSON.stringify(String(m.type))}`)
  }
}

function isByteCount (v: unknown): v is number {
  return Number.isSafeInteger(v) && (v as number) >= 0
}

function checkMemory (m: Record<string, unknown>): MemoryMessage {
  if (!isByteCount(m.rssBytes)) throw bad('memory lacks rssBytes')
  for (const k of ['isolateHeapBytes', 'isolateExternalBytes'] as const) {
    if (m[k] !== undefined && !isByteCount(m[k])) throw bad(`memory ${k} must be a byte count`)
  }
  return {
    type: 'memory',
    rssBytes: m.rssBytes,
    ...(m.isolateHeapBytes === undefined ? {} : { isolateHeapBytes: m.isolateHeapBytes as number }),
    ...(m.isolateExternalBytes === undefined ? {} : { isolateExternalBytes: m.isolateExternalBytes as number }),
  }
}

function checkCheckpoint (v: unknown): Checkpoint {
  if (!isRecord(v)) throw bad('result lacks a checkpoint')
  if (typeof v.jobId !== 'string' || !Number.isSafeInteger(v.island) || !Number.isSafeInteger(v.epoch)) throw bad('checkpoint lacks jobId, island or epoch')
  if (!Number.isSafeInteger(v.evaluations) || !Number.isSafeInteger(v.errors)) throw bad('checkpoint lacks evaluations or errors')
  if (!Array.isArray(v.population) || !Array.isArray(v.best)) throw bad('checkpoint lacks population or best')
  for (const g of [...v.population, ...v.best]) {
    if (!isRecord(g) || !isRecord(g.params) || !(g.fitness === null || typeof g.fitness === 'number')) throw bad('checkpoint holds a malformed genome')
    if (g.error !== undefined && typeof g.error !== 'string') throw bad('checkpoint genome error must be a string')
  }
  // A checkpoint is hashed and signed later: refuse one that cannot be encoded canonically now.
  try { canonicalString(v) } catch (err) { throw new StratmeshError('EVAL_BAD_MESSAGE', 'checkpoint is not canonical data', { cause: err }) }
  return v as unknown as Checkpoint
}

function checkEvalResult (v: unknown): EvalResult {
  if (!isRecord(v) || !(v.fitness === null || (typeof v.fitness === 'number' && Number.isFinite(v.fitness)))) throw bad('evaluated holds a malformed result')
  if (v.error !== undefined && typeof v.error !== 'string') throw bad('evaluated result error must be a string')
  const metrics = (x: unknown): Metrics | null => x === null ? null : checkMetrics(x)
  return { fitness: v.fitness, inSample: metrics(v.inSample), outOfSample: metrics(v.outOfSample), ...(v.error === undefined ? {} : { error: v.error }), ...(v.symbols === undefined ? {} : { symbols: checkSymbolResults(v.symbols, metrics) }) }
}

/** A basket genome's per-symbol results (engine/basket.ts), rebuilt from checked fields only. */
function checkSymbolResults (v: unknown, metrics: (x: unknown) => Metrics | null): SymbolResult[] {
  if (!Array.isArray(v) || v.length > MAX_BASKET_SYMBOLS) throw bad(`evaluated result symbols must be a list of at most ${MAX_BASKET_SYMBOLS}`)
  return v.map(s => {
    if (!isRecord(s) || !(s.fitness === null || (typeof s.fitness === 'number' && Number.isFinite(s.fitness)))) throw bad('evaluated holds a malformed symbol result')
    return { fitness: s.fitness, inSample: metrics(s.inSample), outOfSample: metrics(s.outOfSample) }
  })
}

function finiteOrNull (v: unknown, what: string): number | null {
  if (v !== null && !(typeof v === 'number' && Number.isFinite(v))) throw bad(`walked-forward ${what} must be null or a finite number`)
  return v
}

/** A walk-forward result from a child, rebuilt from checked fields only. */
function checkWalkForwardResult (v: unknown): WalkForwardResult {
  if (!isRecord(v) || !Array.isArray(v.windows) || v.windows.length > MAX_WALK_FORWARD_WINDOWS || !isRecord(v.paramStability) || !isRecord(v.equity)) throw bad('walked-forward lacks windows, paramStability or equity')
  const windows = v.windows.map((w: unknown): WalkForwardWindowResult => {
    if (!isRecord(w) || !(['window', 'trainFrom', 'trainTo', 'testTo'] as const).every(k => Number.isSafeInteger(w[k]))) throw bad('walked-forward window lacks its ranges')
    if (!Array.isArray(w.time) || w.time.length !== 3 || !w.time.every(t => typeof t === 'number' && Number.isFinite(t))) throw bad('walked-forward window time must be 3 finite numbers')
    if (w.params !== null) {
      if (!isRecord(w.params)) throw bad('walked-forward window params must be null or an object')
      try { canonicalString(w.params) } catch (err) { throw new StratmeshError('EVAL_BAD_MESSAGE', 'walked-forward params are not plain data', { cause: err }) }
    }
    const metrics = (x: unknown): Metrics | null => x === null ? null : checkMetrics(x)
    return {
      window: w.window as number, trainFrom: w.trainFrom as number, trainTo: w.trainTo as number, testTo: w.testTo as number,
      time: [w.time[0], w.time[1], w.time[2]] as [number, number, number],
      params: w.params as ParamValues | null, fitness: finiteOrNull(w.fitness, 'fitness'), train: metrics(w.train), test: metrics(w.test),
    }
  })
  const { bars, values } = v.equity
  if (!Array.isArray(bars) || !Array.isArray(values) || bars.length !== values.length || bars.length > MAX_DETAIL_POINTS) throw bad(`walked-forward equity must be two arrays of one length (at most ${MAX_DETAIL_POINTS})`)
  if (!bars.every(b => Number.isSafeInteger(b)) || !values.every(x => typeof x === 'number' && Number.isFinite(x))) throw bad('walked-forward equity must hold integer bars and finite values')
  const paramStability: Record<string, number> = {}
  for (const [name, x] of Object.entries(v.paramStability)) paramStability[name] = finiteOrNull(x, 'paramStability') ?? 0
  return {
    windows,
    stitched: checkMetrics(v.stitched),
    efficiency: finiteOrNull(v.efficiency, 'efficiency'),
    stability: finiteOrNull(v.stability, 'stability'),
    paramStability,
    equity: { bars: bars as number[], values: values as number[] },
  }
}

const METRIC_KEYS: ReadonlyArray<keyof Metrics> = ['totalReturn', 'cagr', 'sharpe', 'sortino', 'maxDrawdown', 'calmar', 'trades', 'winRate', 'profitFactor', 'exposure', 'bars']

function checkMetrics (v: unknown): Metrics {
  if (!isRecord(v) || !METRIC_KEYS.every(k => typeof v[k] === 'number' && Number.isFinite(v[k]))) throw bad('metrics are not finite numbers')
  return Object.fromEntries(METRIC_KEYS.map(k => [k, v[k]])) as unknown as Metrics
}

function checkCurve (v: unknown, from: number, to: number): SampledCurve {
  if (!isRecord(v) || !(v.bars instanceof Int32Array) || !(v.values instanceof Float64Array)) throw bad('detail curve must be Int32Array bars and Float64Array values')
  const { bars, values } = v
  if (bars.length !== values.length || bars.length > MAX_DETAIL_POINTS) throw bad(`detail curve has ${bars.length} bars for ${values.length} values (at most ${MAX_DETAIL_POINTS})`)
  for (let k = 0; k < bars.length; k++) {
    if (bars[k] < from || bars[k] >= to || (k > 0 && bars[k] <= bars[k - 1])) throw bad('detail curve bars must increase within the range')
    if (!Number.isFinite(values[k])) throw bad('detail curve values must be finite')
  }
  return { bars, values }
}

function checkTrade (v: unknown, from: number, to: number): Trade {
  if (!isRecord(v) || (v.side !== 1 && v.side !== -1) || typeof v.open !== 'boolean') throw bad('detail trade lacks side or open')
  const { entryBar, exitBar } = v
  if (!Number.isSafeInteger(entryBar) || !Number.isSafeInteger(exitBar) || (entryBar as number) < from || (entryBar as number) > (exitBar as number) || (exitBar as number) >= to) {
    throw bad('detail trade bars must lie within the range')
  }
  if (typeof v.return !== 'number' || !(v.return >= -1) || !Number.isFinite(v.return)) throw bad('detail trade return must be a finite number >= -1')
  const trade: Trade = { side: v.side, entryBar: entryBar as number, exitBar: exitBar as number, open: v.open, return: v.return }
  // A stop or target fill's price (engine-managed stops).
  if (v.exitPrice === undefined) return trade
  if (typeof v.exitPrice !== 'number' || !Number.isFinite(v.exitPrice) || !(v.exitPrice > 0)) throw bad('detail trade exitPrice must be a finite price above 0')
  return { ...trade, exitPrice: v.exitPrice }
}

function checkRange (v: unknown): SampledRange {
  if (!isRecord(v) || !Number.isSafeInteger(v.from) || !Number.isSafeInteger(v.to) || (v.from as number) < 0 || (v.from as number) > (v.to as number)) throw bad('detail range lacks from or to')
  const from = v.from as number
  const to = v.to as number
  if (!Array.isArray(v.trades) || v.trades.length > MAX_DETAIL_TRADES) throw bad(`detail trades must be an array of at most ${MAX_DETAIL_TRADES}`)
  if (!Number.isSafeInteger(v.tradeCount) || (v.tradeCount as number) < v.trades.length) throw bad('detail tradeCount must count at least the trades listed')
  return {
    from,
    to,
    metrics: checkMetrics(v.metrics),
    equity: checkCurve(v.equity, from, to),
    drawdown: checkCurve(v.drawdown, from, to),
    trades: v.trades.map(t => checkTrade(t, from, to)),
    tradeCount: v.tradeCount as number,
  }
}

/** A genome's detail from a child, rebuilt from checked fields only. */
function checkDetail (v: unknown): SampledGenomeDetail {
  if (!isRecord(v) || !isRecord(v.params)) throw bad('detailed lacks a detail with params')
  if (!(v.fitness === null || (typeof v.fitness === 'number' && Number.isFinite(v.fitness)))) throw bad('detail fitness must be null or a finite number')
  try { canonicalString(v.params) } catch (err) { throw new StratmeshError('EVAL_BAD_MESSAGE', 'detail params are not plain data', { cause: err }) }
  return { params: v.params as ParamValues, fitness: v.fitness, inSample: checkRange(v.inSample), outOfSample: checkRange(v.outOfSample) }
}
