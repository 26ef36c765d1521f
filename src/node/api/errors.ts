/**
 * How errors cross the local API: which codes are the user's input being wrong (HTTP 400 on the
 * server, exit code 2 in the CLI), and the JSON shape an error travels in. Shared by the server,
 * the client and the CLI so the three agree on every code.
 */
import { StratmeshError } from '../../protocol/errors.js'

/** Code families that always mean "the input you gave is wrong": a file, a CSV, an option. */
const INPUT_ERROR_PREFIXES = ['STRATEGY_', 'CSV_', 'JSON_', 'DATA_', 'OPTION_', 'USAGE']
/** Input codes outside those families. */
const INPUT_ERROR_CODES = new Set([
  'API_BAD_REQUEST', 'DATASET_INVALID', 'JOB_INVALID', 'OBJECTIVE_UNKNOWN', 'SECRET_TOO_SHORT',
  'SWARM_SECRET_TOO_SHORT', 'NODE_BAD_ADDRESS',
])
/** In an input family by name but not the user's input: another peer holds the data dir. */
const NOT_INPUT_ERROR_CODES = new Set(['DATA_DIR_LOCKED'])

/** True when the code says the user's input (file, data, option, request field) is wrong. */
export function isInputErrorCode (code: string): boolean {
  if (NOT_INPUT_ERROR_CODES.has(code)) return false
  return INPUT_ERROR_CODES.has(code) || INPUT_ERROR_PREFIXES.some(p => code.startsWith(p))
}

/** HTTP statuses for the API's own codes; anything else is 400 for input, 500 otherwise. */
const API_STATUS: Readonly<Record<string, number>> = {
  JOB_NOT_FOUND: 404,
  ROW_NOT_FOUND: 404,
  API_NOT_FOUND: 404,
  API_UNAUTHORIZED: 401,
  API_LOGIN_INVALID: 401,
  API_BAD_HOST: 403,
  API_BAD_ORIGIN: 403,
  API_FORBIDDEN: 403,
  DETAIL_UNAVAILABLE: 409,
  DETAIL_NOT_READY: 503,
  DETAIL_BUSY: 503,
  API_BUSY: 503,
  API_METHOD_NOT_ALLOWED: 405,
  API_BODY_TOO_LARGE: 413,
  API_BAD_CONTENT_TYPE: 415,
  PEER_STOPPING: 503,
}

export function httpStatusFor (code: string): number {
  return API_STATUS[code] ?? (isInputErrorCode(code) ? 400 : 500)
}

/** The body of every error response. */
export interface ApiErrorBody {
  readonly error: { readonly code: string, readonly message: string, readonly details?: Record<string, unknown> }
}

/** Only StratmeshErrors keep their code and message; anything else is an internal error. */
export function toErrorBody (err: unknown): ApiErrorBody {
  if (err instanceof StratmeshError) {
    return { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } }
  }
  return { error: { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err) } }
}

/** Turns a parsed error body back into the error the server threw. */
export function fromErrorBody (body: unknown, status: number): StratmeshError {
  const e = (body as Partial<ApiErrorBody> | null)?.error
  if (e !== undefined && typeof e.code === 'string' && typeof e.message === 'string') {
    return new StratmeshError(e.code, e.message, e.details === undefined ? {} : { details: e.details })
  }
  return new StratmeshError('API_BAD_RESPONSE', `the peer answered HTTP ${status} without an error body`)
}
