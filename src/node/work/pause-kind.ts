/**
 * Why the scheduler's tick came late. A suspended machine (a closed lid) stops the monotonic
 * clock (CLOCK_MONOTONIC on Linux, mach_absolute_time on macOS) while wall time jumps; a starved
 * event loop (a loaded machine) advances both alike. Taking a stall for a sleep made 30 peers on
 * 2 cores "wake up" 69 times, drop their connections and re-sync, which loaded them further.
 */

/** A tick this late means the process did not run for a while. */
export const LATE_TICK_MS = 5_000
/**
 * Wall time running ahead of the monotonic clock by more than this over one gap is a suspend.
 * NTP slews a clock by at most 0.5 ms a second, and a step of the wall clock by a few seconds
 * while running is rare: taking it for a sleep costs only a re-sync.
 */
export const SUSPEND_CLOCK_DRIFT_MS = 3_000
/**
 * A gap longer than this many lease TTLs is taken for a suspend whatever the clocks say: every
 * lease held has lapsed and the others have likely dropped the connection. This covers a
 * platform whose monotonic clock counts through sleep, and a process stopped by SIGSTOP.
 */
export const SUSPEND_GAP_TTLS = 2
/** A gap longer than this is a suspend whatever the lease TTL and the clocks say. */
export const SUSPEND_GAP_MAX_MS = 60_000

export type PauseKind = 'suspend' | 'stall'

/** What a gap between two ticks was, by the wall and monotonic clocks; null when on time. */
export function pauseKind (wallGapMs: number, monotonicGapMs: number, leaseTtlMs: number): PauseKind | null {
  const gap = Math.max(wallGapMs, monotonicGapMs)
  if (gap <= LATE_TICK_MS) return null
  if (wallGapMs - monotonicGapMs > SUSPEND_CLOCK_DRIFT_MS) return 'suspend'
  if (gap > Math.min(SUSPEND_GAP_TTLS * leaseTtlMs, SUSPEND_GAP_MAX_MS)) return 'suspend'
  return 'stall'
}
