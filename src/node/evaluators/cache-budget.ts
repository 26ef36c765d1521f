/**
 * How many bytes of indicator results each evaluator may cache: a memory decision, sized from the
 * machine rather than fixed, because the right answer differs by an order of magnitude between a
 * 16 GB laptop with 10 cores and a 2-core box with 24 GB.
 *
 * Why it matters: a GA over a strategy with two period parameters asks for a few hundred distinct
 * indicator series per unit (the SMA-cross example on 1M bars: ~155 SMAs of 8 MB, 1.2 GB in all).
 * A miss recomputes the series and allocates a fresh 8 MB array that the garbage collector must
 * later free, 4-5 ms each; a hit costs nothing. Measured on that GA (docs/BENCHMARKS.md): 256 MiB
 * per evaluator hit 50 % of lookups, 512 MiB 78 %, 1 GiB 97 %, 1.5 GiB 99 % with no further gain.
 *
 * Why not simply large: there is one evaluator per core and each keeps its own cache, so the total
 * is the per-evaluator figure times the evaluator count, on a machine whose owner is using it. The
 * peer's memory plan (memory-plan.ts) sizes the evaluator count and the cache together so that the
 * peer stays under half the machine: on a 16 GB laptop with 10 cores that is 10 evaluators with
 * 453 MiB each. The bound is a ceiling, not a reservation: a cache only grows to the working set,
 * so short datasets never come near it.
 *
 * Results never depend on it: a cached series is the same bits as a recomputed one, so peers with
 * different memory (or a cache of 0) produce identical checkpoints.
 */
import { totalmem } from 'node:os'

/**
 * Smallest cache per evaluator, whatever the share gives: 8 series of 1M bars, enough that a
 * generation's repeated requests for one series hit. The plan gives fewer evaluators rather than
 * less than this; only --cpus or a machine with under ~2 GiB falls back to it.
 */
export const MIN_EVALUATOR_CACHE_MB = 64
/**
 * Largest cache per evaluator: 128 series of 1M bars, the working set of the SMA-cross GA (97 %
 * hits); 1.5 GiB measured no faster. Past this, memory is better left to the machine's owner.
 */
export const MAX_EVALUATOR_CACHE_MB = 1024

/**
 * Largest explicit bound accepted (`peer start --cache-mb`): 64 GiB per evaluator is beyond any
 * machine this runs on, so a larger number is a unit mistake (bytes given for MiB).
 */
export const MAX_CACHE_MB_OPTION = 64 * 1024

/**
 * The memory this process may use: the machine's, or less where a container limit (cgroup) says
 * so. os.totalmem() reports the host's memory inside a container.
 */
export function machineMemoryBytes (): number {
  const total = totalmem()
  // 0 without a limit, and some hosts report a huge number.
  const limit = process.constrainedMemory()
  return limit > 0 && limit < total ? limit : total
}
