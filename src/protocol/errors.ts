import type { ErrorCode } from './error-codes.js'

/**
 * The one error class of stratmesh. Every failure a user or a peer can cause carries a stable
 * `code` from the registry in error-codes.ts, so callers branch on the code, never on the message.
 */
export class StratmeshError extends Error {
  readonly code: ErrorCode
  /** Extra structured facts (file, line, field, peer…) for --json output and logs. */
  readonly details: Record<string, unknown> | undefined

  constructor (code: ErrorCode, message: string, options: { cause?: unknown, details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'StratmeshError'
    this.code = code
    this.details = options.details
  }
}

export function isStratmeshError (err: unknown, code?: ErrorCode): err is StratmeshError {
  return err instanceof StratmeshError && (code === undefined || err.code === code)
}
