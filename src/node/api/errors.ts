/**
 * How errors cross the local API: the HTTP status of each code (from the error-code registry) and
 * the JSON shape an error travels in. Shared by the server, the client and the CLI so the three
 * agree on every code.
 */
import { StratmeshError } from '../../protocol/errors.js'
import { errorCodeInfo, isErrorCode } from '../../protocol/error-codes.js'

/** The status an error code is answered with; a code not in the registry is a 500. */
export function httpStatusFor (code: string): number {
  return errorCodeInfo(code)?.http ?? 500
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
    if (isErrorCode(e.code)) return new StratmeshError(e.code, e.message, e.details === undefined ? {} : { details: e.details })
    // A peer of another version may send a code this one does not know: keep it, under a code we have.
    return new StratmeshError('API_BAD_RESPONSE', `the peer answered ${e.code}: ${e.message}`, { details: { ...e.details, remoteCode: e.code } })
  }
  return new StratmeshError('API_BAD_RESPONSE', `the peer answered HTTP ${status} without an error body`)
}
