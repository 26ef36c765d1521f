/**
 * Waiting in a bench for something real peers do: a probe polled until it yields a value. A probe
 * that throws (a peer whose API is not up yet) counts as not yet; the deadline makes a stuck run
 * fail with what it waited for instead of hanging.
 */

export interface PollOptions {
  /** Give up after this long, ms. */
  readonly timeoutMs?: number
  /** Between probes, ms: short where the moment is measured, longer where it is only awaited. */
  readonly everyMs?: number
  /** Print what is awaited before each wait (stderr), to see where a slow run spends its time. */
  readonly trace?: boolean
}

export async function until<T> (what: string, probe: () => Promise<T | undefined>, opts: PollOptions = {}): Promise<T> {
  const { timeoutMs = 60_000, everyMs = 250, trace = false } = opts
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await probe().catch(() => undefined)
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    if (trace) console.error(`waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, everyMs))
  }
}
