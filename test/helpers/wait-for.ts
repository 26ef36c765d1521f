export interface WaitForOptions {
  /** Give up after this long; every wait in a test is bounded. */
  timeoutMs?: number
  /** How often the condition is checked. */
  intervalMs?: number
  /** Said in the error when the condition never held, so a failing test explains itself. */
  message?: string
}

/** Default bound on a wait: generous for a loaded 2-core CI box, still far below a hung test. */
export const DEFAULT_WAIT_TIMEOUT_MS = 20_000
/** Default polling period: fast enough to keep tests quick, slow enough not to spin the CPU. */
export const DEFAULT_WAIT_INTERVAL_MS = 25

/**
 * Resolves with the condition's first truthy value; rejects with WAIT_TIMEOUT (naming `message`
 * and the last error the condition threw, if any) once `timeoutMs` has passed.
 */
export async function waitFor<T> (condition: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS
  const intervalMs = options.intervalMs ?? DEFAULT_WAIT_INTERVAL_MS
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await condition()
      if (value !== undefined && value !== null && value !== false) return value as NonNullable<T>
    } catch (err) {
      lastError = err
    }
    if (Date.now() >= deadline) {
      const why = lastError === undefined ? '' : ` (last error: ${(lastError as Error).message})`
      // A plain Error: a test's timeout is not one of stratmesh's error codes.
      throw Object.assign(new Error(`timed out after ${timeoutMs} ms waiting for ${options.message ?? 'a condition'}${why}`, { cause: lastError }), { code: 'WAIT_TIMEOUT' })
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
}
