/**
 * A hybrid logical clock: [wallMs, counter]. It follows the wall clock when the wall clock moves
 * forward and counts within a millisecond otherwise, so a peer's timestamps always increase and
 * an entry written after seeing another is ordered after it, even across skewed machines.
 * Pure: the caller passes the current time.
 */
import { StratmeshError } from './errors.js'
import { MAX_CLOCK_SKEW_MS, MAX_HLC_COUNTER, MAX_HLC_WALL_MS } from './limits.js'

export type Hlc = readonly [wallMs: number, counter: number]

export function compareHlc (a: Hlc, b: Hlc): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1]
}

export function isHlc (v: unknown): v is Hlc {
  return Array.isArray(v) && v.length === 2 &&
    Number.isSafeInteger(v[0]) && v[0] >= 0 && v[0] <= MAX_HLC_WALL_MS &&
    Number.isSafeInteger(v[1]) && v[1] >= 0 && v[1] <= MAX_HLC_COUNTER
}

/** Moves past `wall, counter`, carrying a counter overflow into the wall time so order holds. */
function after (wall: number, counter: number): Hlc {
  return counter >= MAX_HLC_COUNTER ? [wall + 1, 0] : [wall, counter + 1]
}

/** The timestamp of a local event: later than `last` and not behind the wall clock. */
export function tick (last: Hlc | null, nowMs: number): Hlc {
  const now = Math.floor(nowMs)
  if (last === null || now > last[0]) return [now, 0]
  return after(last[0], last[1])
}

/**
 * The clock after receiving `remote`: later than both. A remote wall time more than
 * MAX_CLOCK_SKEW_MS ahead of `nowMs` is refused (HLC_TOO_FAR_AHEAD), so one peer with a wrong
 * clock cannot drag every other peer's clock (and lease expiries) into the future.
 */
export function observe (last: Hlc | null, remote: Hlc, nowMs: number): Hlc {
  const now = Math.floor(nowMs)
  if (remote[0] > now + MAX_CLOCK_SKEW_MS) {
    throw new StratmeshError('HLC_TOO_FAR_AHEAD', `remote clock ${remote[0]} is ${remote[0] - now} ms ahead of local time (limit ${MAX_CLOCK_SKEW_MS} ms)`, {
      details: { remote: [...remote], now }
    })
  }
  const lastWall = last === null ? -1 : last[0]
  const wall = Math.max(lastWall, remote[0], now)
  if (wall === lastWall && wall === remote[0]) return after(wall, Math.max(last![1], remote[1]))
  if (wall === lastWall) return after(wall, last![1])
  if (wall === remote[0]) return after(wall, remote[1])
  return [wall, 0]
}
