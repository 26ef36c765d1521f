/**
 * The messages between the evaluator pool (parent) and an evaluator child, over Node's IPC channel
 * with `serialization: 'advanced'` (structured clone, so candle columns cross as Float64Arrays).
 * The child runs other people's code, so the parent checks every message it receives as untrusted
 * input; the child checks the parent's messages as a guard against version skew between the two.
 * Every request carries an `id`; the child answers it with exactly one final message (loaded,
 * result, inspected or error), after any number of progress messages.
 */
import type { Checkpoint, JobSpec } from '../engine/job-spec.js'
import type { UnitInput } from '../engine/ga.js'
import type { ParamSpace } from '../engine/strategy-api.js'
import type { Candles } from '../engine/types.js'
import { canonicalString } from '../protocol/canonical.js'
import { StratmeshError } from '../protocol/errors.js'

/** Longest error message taken from a child: enough for any real message, not a way to flood logs. */
export const MAX_CHILD_ERROR_CHARS = 2000

export interface LoadJobMessage { readonly type: 'load-job', readonly id: number, readonly jobKey: string, readonly code: string, readonly fileName: string, readonly candles: Candles, readonly spec: JobSpec }
export interface RunUnitMessage { readonly type: 'run-unit', readonly id: number, readonly jobKey: string, readonly input: UnitInput, readonly skip: ReadonlyArray<readonly [string, string]> }
export interface InspectMessage { readonly type: 'inspect', readonly id: number, readonly code: string, readonly fileName: string }
export type ParentMessage = LoadJobMessage | RunUnitMessage | InspectMessage

export interface ReadyMessage { readonly type: 'ready' }
export interface LoadedMessage { readonly type: 'loaded', readonly id: number }
export interface ProgressMessage { readonly type: 'progress', readonly id: number, readonly index: number, readonly paramsKey: string }
export interface ResultMessage { readonly type: 'result', readonly id: number, readonly checkpoint: Checkpoint }
export interface InspectedMessage { readonly type: 'inspected', readonly id: number, readonly name: string, readonly description?: string, readonly params: ParamSpace }
export interface ErrorMessage { readonly type: 'error', readonly id: number, readonly code: string, readonly message: string }
export type ChildMessage = ReadyMessage | LoadedMessage | ProgressMessage | ResultMessage | InspectedMessage | ErrorMessage

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
    case 'load-job':
      if (typeof m.jobKey !== 'string' || typeof m.code !== 'string' || typeof m.fileName !== 'string') throw bad('load-job lacks jobKey, code or fileName')
      if (!isCandles(m.candles)) throw bad('load-job candles must be Float64Array columns of one length')
      if (!isRecord(m.spec)) throw bad('load-job lacks a spec')
      return m as unknown as LoadJobMessage
    case 'run-unit':
      if (typeof m.jobKey !== 'string' || !isRecord(m.input) || !Array.isArray(m.skip)) throw bad('run-unit lacks jobKey, input or skip')
      if (!m.skip.every(s => Array.isArray(s) && s.length === 2 && typeof s[0] === 'string' && typeof s[1] === 'string')) throw bad('run-unit skip must be [paramsKey, error] pairs')
      return m as unknown as RunUnitMessage
    case 'inspect':
      if (typeof m.code !== 'string' || typeof m.fileName !== 'string') throw bad('inspect lacks code or fileName')
      return m as unknown as InspectMessage
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
    case 'progress':
      if (!Number.isSafeInteger(m.index) || (m.index as number) < 0 || typeof m.paramsKey !== 'string') throw bad('progress lacks index or paramsKey')
      return { type: 'progress', id, index: m.index as number, paramsKey: m.paramsKey }
    case 'result':
      return { type: 'result', id, checkpoint: checkCheckpoint(m.checkpoint) }
    case 'inspected': {
      if (typeof m.name !== 'string' || !isRecord(m.params)) throw bad('inspected lacks name or params')
      if (m.description !== undefined && typeof m.description !== 'string') throw bad('inspected description must be a string')
      // Canonical encodability proves the space is plain data (no functions, getters or cycles).
      try { canonicalString(m.params) } catch (err) { throw new StratmeshError('EVAL_BAD_MESSAGE', 'inspected params are not plain data', { cause: err }) }
      return { type: 'inspected', id, name: m.name, params: m.params as ParamSpace, ...(m.description === undefined ? {} : { description: m.description }) }
    }
    case 'error':
      if (typeof m.code !== 'string' || !/^[A-Z][A-Z0-9_]{0,63}$/.test(m.code) || typeof m.message !== 'string') throw bad('error lacks a code or message')
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
