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
 * is the per-evaluator figure times the core count, on a machine whose owner is using it. All
 * caches together get CACHE_MEMORY_SHARE of the machine's memory. On a 16 GB Mac with 10 cores that
 * is 410 MiB per evaluator, 4 GiB in all; with the ~250 MB each evaluator needs besides its cache
 * (Node, the candles, the GA, garbage not yet collected) the evaluators stay near 6.5 GB and the
 * user's own applications keep the rest, so the machine does not swap. The bound is a ceiling, not
 * a reservation: a cache only grows to the working set, so short datasets never come near it.
 *
 * Results never depend on it: a cached series is the same bits as a recomputed one, so peers with
 * different memory (or a cache of 0) produce identical checkpoints.
 */
import { totalmem } from 'node:os'

/** Share of the machine's memory that all evaluators' indicator caches together may take. */
export const CACHE_MEMORY_SHARE = 0.25
/**
 * Smallest cache per evaluator, whatever the share gives: 8 series of 1M bars, enough that a
 * generation's repeated requests for one series hit. Only machines with under 2 GiB per 8 cores
 * fall back to it.
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

const MIB = 1024 * 1024

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

/** The indicator cache bound, in bytes, for each of `evaluators` evaluators on a machine of `machineBytes`. */
export function evaluatorCacheBytes (evaluators: number, machineBytes: number = machineMemoryBytes()): number {
  const share = Math.floor(machineBytes * CACHE_MEMORY_SHARE / Math.max(1, evaluators))
  return Math.min(MAX_EVALUATOR_CACHE_MB * MIB, Math.max(MIN_EVALUATOR_CACHE_MB * MIB, share))
}
