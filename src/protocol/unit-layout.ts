/**
 * Which units a job has and what each needs. A unit is (island, epoch). A walk-forward job runs
 * one GA per window, each with the job's `ga.islands` islands, numbered window by window: island
 * = window * ga.islands + i. So the unit key, claims, commits and checkpoints are those of a plain
 * job (a plain job is one window), the windows run in parallel on different peers, and the
 * migration ring stays inside a window: no genome tuned on one window's data enters another's.
 */
import type { JobSpec, WalkForwardWindow } from './job-spec.js'

/** Windows of a job: a plain job is one. */
export function windowCount (spec: JobSpec): number {
  return spec.walkForward?.windows.length ?? 1
}

/** Islands over every window: units are (island, epoch) with island in [0, unitIslands). */
export function unitIslands (spec: JobSpec): number {
  return spec.ga.islands * windowCount(spec)
}

/** The window an island belongs to (0 for a plain job). */
export function windowOf (spec: JobSpec, island: number): number {
  return Math.floor(island / spec.ga.islands)
}

/** The islands of window `w`: [first, first + ga.islands). */
export function windowIslands (spec: JobSpec, w: number): { first: number, end: number } {
  return { first: w * spec.ga.islands, end: (w + 1) * spec.ga.islands }
}

/** The walk-forward window an island belongs to, or null for a plain job. */
export function walkForwardWindowOf (spec: JobSpec, island: number): WalkForwardWindow | null {
  return spec.walkForward?.windows[windowOf(spec, island)] ?? null
}

/**
 * Which checkpoints unit (island, epoch) needs: its own island's and the previous island's in its
 * ring, from epoch - 1. `islands` is the ring's size (ga.islands); the ring is the block of
 * `islands` consecutive islands holding `island`, so a walk-forward window is a ring of its own.
 */
export function unitInputs (islands: number, island: number, epoch: number): { previous: [number, number] | null, migrants: [number, number] | null } {
  if (epoch === 0) return { previous: null, migrants: null }
  const base = island - island % islands
  return {
    previous: [island, epoch - 1],
    migrants: islands > 1 ? [base + (island - base - 1 + islands) % islands, epoch - 1] : null,
  }
}
