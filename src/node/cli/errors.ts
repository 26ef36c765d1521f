/**
 * How the CLI ends on an error: one line `peer: <CODE>: <message>` on stderr (the stack only with
 * STRATMESH_DEBUG=1) and an exit code a script can branch on.
 */
import { StratmeshError } from '../../protocol/errors.js'
import { isInputErrorCode } from '../api/errors.js'

/** The command did what it was asked. */
export const EXIT_OK = 0
/** A failure not caused by the input: network, disk, a bug. The message says which. */
export const EXIT_FAILURE = 1
/** Bad input: an option, a strategy file, a CSV, a request field. */
export const EXIT_USAGE = 2
export const EXIT_PEER_NOT_RUNNING = 3
export const EXIT_JOB_NOT_FOUND = 4

export function exitCodeFor (err: unknown): number {
  if (!(err instanceof StratmeshError)) return EXIT_FAILURE
  if (err.code === 'PEER_NOT_RUNNING') return EXIT_PEER_NOT_RUNNING
  if (err.code === 'JOB_NOT_FOUND') return EXIT_JOB_NOT_FOUND
  return isInputErrorCode(err.code) ? EXIT_USAGE : EXIT_FAILURE
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
