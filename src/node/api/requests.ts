/**
 * Checks of what arrives at the local API: the submit body and the results query. Each failure
 * names the field (API_BAD_REQUEST, `details.field`), so a client sees exactly what to fix. Ranges
 * of job settings are the job builder's to check (JOB_INVALID); here only shapes and types.
 */
import { isAbsolute } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { OBJECTIVES } from '../../protocol/types.js'
import { MAX_BASKET_SYMBOLS, MAX_COST } from '../../protocol/job-spec-check.js'
import { BASKET_AGGREGATES } from '../../protocol/job-spec.js'
import { MAX_GENOME_PARAMS, MAX_JOB_PRIORITY, MIN_JOB_PRIORITY } from '../../protocol/limits.js'
import type { BacktestRequest, SubmitRequest } from '../peer-types.js'

/** Rows `peer results` shows unless told otherwise. */
export const DEFAULT_TOP = 10
/** More rows than anyone reads, and a bound on one response. */
export const MAX_TOP = 1000
/** Paths longer than this are not paths (PATH_MAX is 4096 on Linux, 1024 on macOS). */
const MAX_PATH_CHARS = 4096
/** Job ids are sha256 hex; a prefix of at least a few characters may name one. */
const JOB_ID = /^[0-9a-f]{1,64}$/
/** Leaderboard row ids (dashboard-views.ts rowIdOf): 16 hex characters. */
const ROW_ID = /^[0-9a-f]{16}$/
/** Sign-in codes are 32 random bytes in base64url (43 characters). */
const LOGIN_CODE = /^[A-Za-z0-9_-]{20,100}$/

const INTEGER_FIELDS = ['islands', 'population', 'generations', 'epochs', 'minTrades', 'seed', 'windows'] as const
const NUMBER_FIELDS = ['fee', 'slippage', 'oos'] as const
/** Walk-forward lengths stay text ("0.2", "90d") until the peer resolves them against the data. */
const LENGTH_FIELDS = ['train', 'test'] as const
/** Longer than any fraction or duration a person types. */
const MAX_LENGTH_CHARS = 32
const KNOWN_FIELDS = new Set<string>(['strategyPath', 'data', 'objective', 'walkForward', 'timeframe', 'basket', 'aggregate', 'priority', ...INTEGER_FIELDS, ...NUMBER_FIELDS, ...LENGTH_FIELDS])

function bad (field: string, problem: string): StratmeshError {
  return new StratmeshError('API_BAD_REQUEST', `field "${field}" ${problem}`, { details: { field } })
}

function path (body: Record<string, unknown>, field: string, allowDefault: boolean): string {
  const v = body[field]
  if (typeof v !== 'string' || v.length === 0) throw bad(field, 'must be a non-empty string')
  if (v.length > MAX_PATH_CHARS) throw bad(field, `is longer than ${MAX_PATH_CHARS} characters`)
  if (allowDefault && v === 'default') return v
  if (!isAbsolute(v)) throw bad(field, `must be an absolute path${allowDefault ? " or 'default'" : ''}`)
  return v
}

/** A basket's files (absolute paths, bounded in number; the peer checks the rest) and aggregate. */
function basketFields (b: Record<string, unknown>, req: Record<string, unknown>): void {
  if (b.basket !== undefined) {
    if (!Array.isArray(b.basket) || b.basket.length > MAX_BASKET_SYMBOLS) throw bad('basket', `must be a list of at most ${MAX_BASKET_SYMBOLS} paths`)
    req.basket = b.basket.map((v, i) => {
      if (typeof v !== 'string' || v.length > MAX_PATH_CHARS || !isAbsolute(v)) throw bad(`basket[${i}]`, `must be an absolute path of at most ${MAX_PATH_CHARS} characters`)
      return v
    })
  }
  if (b.aggregate !== undefined) {
    if (typeof b.aggregate !== 'string' || !(BASKET_AGGREGATES as readonly string[]).includes(b.aggregate)) throw bad('aggregate', `must be one of ${BASKET_AGGREGATES.join(', ')}`)
    req.aggregate = b.aggregate
  }
}

export function parseSubmitRequest (body: unknown): SubmitRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('(body)', 'must be a JSON object')
  const b = body as Record<string, unknown>
  for (const k of Object.keys(b)) if (!KNOWN_FIELDS.has(k)) throw bad(k, 'is not a submit field')
  const req: Record<string, unknown> = { strategyPath: path(b, 'strategyPath', false), data: path(b, 'data', true) }
  for (const f of INTEGER_FIELDS) {
    if (b[f] === undefined) continue
    if (!Number.isSafeInteger(b[f])) throw bad(f, 'must be an integer')
    req[f] = b[f]
  }
  for (const f of NUMBER_FIELDS) {
    if (b[f] === undefined) continue
    if (typeof b[f] !== 'number' || !Number.isFinite(b[f])) throw bad(f, 'must be a finite number')
    req[f] = b[f]
  }
  for (const f of LENGTH_FIELDS) {
    if (b[f] === undefined) continue
    if (typeof b[f] !== 'string' || b[f].length === 0 || b[f].length > MAX_LENGTH_CHARS) throw bad(f, `must be a string of 1 to ${MAX_LENGTH_CHARS} characters`)
    req[f] = b[f]
  }
  if (b.walkForward !== undefined) {
    if (b.walkForward !== 'rolling' && b.walkForward !== 'anchored') throw bad('walkForward', "must be 'rolling' or 'anchored'")
    req.walkForward = b.walkForward
  }
  if (b.timeframe !== undefined) {
    // Whether it is a timeframe, and one that suits the data, is the resampler's to say (TIMEFRAME_INVALID).
    if (typeof b.timeframe !== 'string' || b.timeframe.length === 0 || b.timeframe.length > MAX_LENGTH_CHARS) throw bad('timeframe', `must be a string of 1 to ${MAX_LENGTH_CHARS} characters`)
    req.timeframe = b.timeframe
  }
  if (b.objective !== undefined) {
    if (typeof b.objective !== 'string' || !(OBJECTIVES as readonly string[]).includes(b.objective)) throw bad('objective', `must be one of ${OBJECTIVES.join(', ')}`)
    req.objective = b.objective
  }
  basketFields(b, req)
  if (b.priority !== undefined) req.priority = jobPriorityField(b.priority)
  return req as unknown as SubmitRequest
}

/** A job priority, as `--priority` and `peer priority` take it. */
function jobPriorityField (v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < MIN_JOB_PRIORITY || v > MAX_JOB_PRIORITY) throw bad('priority', `must be an integer in [${MIN_JOB_PRIORITY}, ${MAX_JOB_PRIORITY}]`)
  return v
}

/** A job named by its id or a prefix of it (`peer cancel|priority|forget`). */
function jobRef (v: unknown): string {
  if (typeof v !== 'string' || !JOB_ID.test(v)) throw bad('job', 'must be a job id or a prefix of one (hex)')
  return v
}

/** The body of POST /v1/cancel and /v1/forget: `{job}`. */
export function parseJobRefRequest (body: unknown): { job: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('(body)', 'must be a JSON object')
  const b = body as Record<string, unknown>
  for (const k of Object.keys(b)) if (k !== 'job') throw bad(k, 'is not a field of this request')
  return { job: jobRef(b.job) }
}

/** The body of POST /v1/priority: `{job, priority}`. */
export function parsePriorityRequest (body: unknown): { job: string, priority: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('(body)', 'must be a JSON object')
  const b = body as Record<string, unknown>
  for (const k of Object.keys(b)) if (k !== 'job' && k !== 'priority') throw bad(k, 'is not a field of this request')
  if (b.priority === undefined) throw bad('priority', 'is missing')
  return { job: jobRef(b.job), priority: jobPriorityField(b.priority) }
}

export function parseResultsQuery (query: URLSearchParams): { jobId: string | undefined, top: number } {
  // An empty `job=` means the latest job, as if it were absent.
  const job = query.get('job') || undefined
  if (job !== undefined && !JOB_ID.test(job)) throw bad('job', 'must be a job id (hex)')
  const topText = query.get('top')
  let top = DEFAULT_TOP
  if (topText !== null) {
    top = /^\d{1,7}$/.test(topText) ? Number(topText) : NaN
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) throw bad('top', `must be an integer in [1, ${MAX_TOP}]`)
  }
  return { jobId: job, top }
}

/** `job=` alone: a job id or prefix, or the latest job when absent or empty. */
export function parseJobQuery (query: URLSearchParams): string | undefined {
  const job = query.get('job') || undefined
  if (job !== undefined && !JOB_ID.test(job)) throw bad('job', 'must be a job id (hex)')
  return job
}

/** `job=` and `row=` of /v1/detail: both required. */
export function parseDetailQuery (query: URLSearchParams): { jobId: string, rowId: string } {
  const job = parseJobQuery(query)
  if (job === undefined) throw bad('job', 'is required')
  const row = query.get('row') ?? ''
  if (!ROW_ID.test(row)) throw bad('row', 'must be a leaderboard row id (16 hex characters)')
  return { jobId: job, rowId: row }
}

export function parseSessionRequest (body: unknown): { code: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('(body)', 'must be a JSON object')
  const code = (body as Record<string, unknown>).code
  if (typeof code !== 'string' || !LOGIN_CODE.test(code)) throw bad('code', 'must be the code from a dashboard link')
  return { code }
}

const BACKTEST_PATHS = ['strategyPath', 'tradesPath', 'equityPath'] as const
const BACKTEST_FIELDS = new Set<string>([...BACKTEST_PATHS, 'params', 'job', 'rank', 'data', 'symbol', 'from', 'to', 'fee', 'slippage'])

function genome (v: unknown): Record<string, number | string> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw bad('params', 'must be a JSON object of parameter values')
  const entries = Object.entries(v)
  if (entries.length > MAX_GENOME_PARAMS) throw bad('params', `has ${entries.length} parameters; at most ${MAX_GENOME_PARAMS}`)
  for (const [k, x] of entries) {
    if (!(typeof x === 'string' || (typeof x === 'number' && Number.isFinite(x)))) throw bad('params', `value of "${k}" must be a finite number or a string`)
  }
  return Object.fromEntries(entries) as Record<string, number | string>
}

/** The body of POST /v1/backtest: shapes here; what the strategy and the data say is the peer's to check. */
export function parseBacktestRequest (body: unknown): BacktestRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('(body)', 'must be a JSON object')
  const b = body as Record<string, unknown>
  for (const k of Object.keys(b)) if (!BACKTEST_FIELDS.has(k)) throw bad(k, 'is not a backtest field')
  const req: Record<string, unknown> = {}
  for (const f of BACKTEST_PATHS) if (b[f] !== undefined) req[f] = path(b, f, false)
  if (b.data !== undefined) req.data = path(b, 'data', true)
  if (b.params !== undefined) req.params = genome(b.params)
  if (b.symbol !== undefined) {
    if (typeof b.symbol !== 'string' || b.symbol.length === 0 || b.symbol.length > MAX_PATH_CHARS) throw bad('symbol', 'must be the name of one of the job\'s data files')
    req.symbol = b.symbol
  }
  if (b.job !== undefined) {
    if (typeof b.job !== 'string' || !JOB_ID.test(b.job)) throw bad('job', 'must be a job id (hex)')
    req.job = b.job
  }
  if (b.rank !== undefined) {
    if (!Number.isSafeInteger(b.rank) || (b.rank as number) < 1 || (b.rank as number) > MAX_TOP) throw bad('rank', `must be an integer in [1, ${MAX_TOP}]`)
    req.rank = b.rank
  }
  for (const f of ['from', 'to'] as const) {
    if (b[f] === undefined) continue
    if (typeof b[f] !== 'number' || !Number.isFinite(b[f])) throw bad(f, 'must be a time in milliseconds since the epoch')
    req[f] = b[f]
  }
  for (const f of ['fee', 'slippage'] as const) {
    if (b[f] === undefined) continue
    if (typeof b[f] !== 'number' || !((b[f] as number) >= 0 && (b[f] as number) <= MAX_COST)) throw bad(f, `must be a number in [0, ${MAX_COST}]`)
    req[f] = b[f]
  }
  if ((req.job === undefined) === (req.params === undefined)) throw bad(req.job === undefined ? 'params' : 'job', 'a backtest takes either strategyPath and params, or job and rank')
  if (req.job === undefined && req.strategyPath === undefined) throw bad('strategyPath', 'is required with params')
  if (typeof req.from === 'number' && typeof req.to === 'number' && req.from >= req.to) throw bad('to', 'must be after from')
  return req as BacktestRequest
}
