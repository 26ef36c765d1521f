/**
 * How the CLI ends on an error: one line `peer: <CODE>: <message>` on stderr (the stack only with
 * STRATMESH_DEBUG=1) and an exit code a script can branch on.
 */
import { StratmeshError } from '../../protocol/errors.js'
import { ERROR_CODES, EXIT_FAILURE } from '../../protocol/error-codes.js'

export { EXIT_FAILURE, EXIT_USAGE, EXIT_PEER_NOT_RUNNING, EXIT_JOB_NOT_FOUND } from '../../protocol/error-codes.js'

/** The command did what it was asked. */
export const EXIT_OK = 0

export function exitCodeFor (err: unknown): number {
  return err instanceof StratmeshError ? ERROR_CODES[err.code].exit : EXIT_FAILURE
}

/** The one line shown for an error. */
export function errorLine (err: unknown): string {
  if (err instanceof StratmeshError) return `peer: ${err.code}: ${err.message}`
  return `peer: INTERNAL: ${err instanceof Error ? err.message : String(err)}`
}

function debugText (err: unknown): string {
  const parts: string[] = []
  let e: unknown = err
  for (let depth = 0; e !== undefined && depth < 8; depth++) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e))
    e = e instanceof Error ? e.cause : undefined
    if (e !== undefined) parts.push('caused by:')
  }
  return parts.join('\n')
}

/** Prints the error as one line and exits with its code. */
export function programError (err: unknown): never {
  process.stderr.write(errorLine(err).replace(/\s*\n\s*/g, ' ') + '\n')
  if (process.env.STRATMESH_DEBUG === '1') process.stderr.write(debugText(err) + '\n')
  process.exit(exitCodeFor(err))
}
