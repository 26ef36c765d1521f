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
import type { JobStatistics, StatisticsInput } from '../../engine/stats/job-statistics.js'
import type { ParamSpace } from '../../engine/strategy-api.js'
import type { Candles, EvalResult, Metrics, ParamValues } from '../../protocol/types.js'
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
 * Load a job's engine bundle (the script the job names by hash), strategy and candles;
 * `maxCacheBytes` bounds the child's indicator cache (see cache-budget.ts), and the child's
 * isolate is given that much more memory, plus the candles'.
 */
export interface LoadJobMessage { readonly type: 'load-job', readonly id: number, readonly jobKey: string, readonly engine: string, readonly code: string, readonly fileName: string, readonly candles: Candles, readonly spec: JobSpec, readonly maxCacheBytes: number }
export interface RunUnitMessage { readonly type: 'run-unit', readonly id: number, readonly jobKey: string, readonly input: UnitInput, readonly skip: ReadonlyArray<readonly [string, string]> }
export interface InspectMessage { readonly type: 'inspect', readonly id: number, readonly code: string, readonly fileName: string }
/** Recompute one genome of the loaded job in detail (equity, drawdown, trades), within the limits. */
export interface DetailMessage { readonly type: 'detail', readonly id: number, readonly jobKey: string, readonly params: ParamValues, readonly maxPoints: number, readonly maxTrades: number }
/** Evaluate genomes of the loaded job, one progress message before each (the watchdog's steps). */
export interface EvaluateMessage { readonly type: 'evaluate', readonly id: number, readonly jobKey: string, readonly params: readonly ParamValues[] }
/** Run an engine bundle's runtime fingerprint in a fresh isolate (no strategy is loaded). */
export interface FingerprintMessage { readonly type: 'fingerprint', readonly id: number, readonly engine: string }
/** Compute a finished job's overfitting statistics (stats/job-statistics.ts), one progress message per genome it runs. */
export interface StatisticsMessage { readonly type: 'statistics', readonly id: number, readonly jobKey: string, readonly input: StatisticsInput }
export type ParentMessage = FingerprintMessage | LoadJobMessage | RunUnitMessage | InspectMessage | DetailMessage | EvaluateMessage | StatisticsMessage

export interface ReadyMessage { readonly type: 'ready' }
export interface LoadedMessage { readonly type: 'loaded', readonly id: number }
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
export interface FingerprintedMessage { readonly type: 'fingerprinted', readonly id: number, readonly fingerprint: string }
export interface ErrorMessage { readonly type: 'error', readonly id: number, readonly code: ErrorCode, readonly message: string }
export interface StatisticsComputedMessage { readonly type: 'statistics-computed', readonly id: number, readonly statistics: JobStatistics }
export type ChildMessage = ReadyMessage | LoadedMessage | FingerprintedMessage | ProgressMessage | ResultMessage | InspectedMessage | DetailedMessage | EvaluatedMessage | StatisticsComputedMessage | ErrorMessage

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
      if (!isRecord(m.spec)) throw bad('load-job lacks a spec')
      if (!Number.isSafeInteger(m.maxCacheBytes) || (m.maxCacheBytes as number) < 0) throw bad('load-job maxCacheBytes must be an integer >= 0')
      return m as unknown as LoadJobMessage
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
      return m as unknown as DetailMessage
    case 'evaluate':
      if (typeof m.jobKey !== 'string' || !Array.isArray(m.params) || !m.params.every(isRecord)) throw bad('evaluate lacks jobKey or a list of params')
      if (m.params.length > MAX_EVALUATE_GENOMES) throw bad(`evaluate holds ${m.params.length} genomes, more than ${MAX_EVALUATE_GENOMES}`)
      return m as unknown as EvaluateMessage
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
  if (!isId(m.id)) throw bad('lacks an id')
  const id = m.id
  switch (m.type) {
    case 'loaded':
      return { type: 'loaded', id }
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
  return { fitness: v.fitness, inSample: metrics(v.inSample), outOfSample: metrics(v.outOfSample), ...(v.error === undefined ? {} : { error: v.error }) }
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
  return { side: v.side, entryBar: entryBar as number, exitBar: exitBar as number, open: v.open, return: v.return }
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
