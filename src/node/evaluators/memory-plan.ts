/**
 * How much of the machine a peer takes by default: the number of evaluators, each one's indicator
 * cache and its isolate's memory limit, sized together from the machine's memory and core count,
 * so that a 16 GB laptop with 10 cores and a 24 GB box with 2 cores both stay under the same share.
 *
 * Why sized together: each evaluator is a process with its own cache, so memory grows with the
 * evaluator count; sizing the cache from the memory alone (as before) let a many-core laptop plan
 * more than it has. Here the budget comes first, then the evaluators that fit it (never more than
 * the cores), then the cache from what is left. The kept evaluators (the checker, which checks
 * other members' commits, and the statistics evaluator) hold a job and a cache like the others, so
 * they count as two more.
 *
 * Pure: the caller passes the machine's memory and cores (cache-budget.ts machineMemoryBytes) and
 * the user's flags. Nothing here changes a result: peers of any size compute the same checkpoints.
 */
import { MAX_EVALUATOR_CACHE_MB, MIN_EVALUATOR_CACHE_MB, machineMemoryBytes } from './cache-budget.js'
import { DEFAULT_MEMORY_MB } from './pool-limits.js'

/**
 * Share of the machine's memory a peer plans to use by default. Half: the peer runs on machines
 * their owners use (a laptop's browser and editor take several GB of 16), the page cache needs
 * room for the data files, and the plan counts each cache full, which short datasets never reach.
 */
export const PEER_MEMORY_SHARE = 0.5
/**
 * Memory planned for the peer process itself (libp2p, LevelDB, the ledger, the API, the candles of
 * the jobs it runs), in MiB: measured 120 MB idle, 170 MB running a job on 20 000 bars and 325 MB
 * just after importing 1M bars (docs/BENCHMARKS.md "Memory"), 225 MB in a mesh of 10 peers.
 */
export const PEER_PROCESS_MB = 384
/**
 * Memory an evaluator takes besides its indicator cache, in MiB: Node and isolated-vm (55 MB idle),
 * the engine, the candles (48 MB per 1M bars, copied into the isolate), the GA's population and
 * garbage not yet collected. An evaluator on 1M bars with a full 1 GiB cache was 1.26 GB, so
 * ~250 MB besides the cache; ~100 MB on small data (docs/BENCHMARKS.md "Memory").
 */
export const EVALUATOR_BASE_MB = 256
/** Evaluators kept beside the pool, each planned like a pooled one: the checker and the statistics evaluator. */
export const KEPT_EVALUATORS = 2
const MIB = 1024 * 1024

export interface MemoryPlanInput {
  /** The machine's memory (or its container's limit), in bytes. */
  readonly totalBytes: number
  readonly cores: number
  /** `--cpus`: the evaluator count the user chose. */
  readonly cpus?: number
  /** `--cache-mb`: each evaluator's cache the user chose, in MiB. */
  readonly cacheMb?: number
}

export interface MemoryPlan {
  /** What the peer stays under by default: PEER_MEMORY_SHARE of the machine. */
  readonly budgetBytes: number
  readonly totalBytes: number
  readonly evaluators: number
  /** Each evaluator's indicator cache bound (and the kept ones'). */
  readonly cacheBytes: number
  /** Each evaluator's memory cap (its isolate's base limit and its Node heap), in MiB. */
  readonly isolateMemoryMb: number
  /** The peer, its evaluators and the kept ones with full caches: at most budgetBytes unless flags say otherwise. */
  readonly plannedBytes: number
  /** Why the plan exceeds the budget (explicit flags win over it), one line each; empty when it fits. */
  readonly warnings: readonly string[]
}

/** The peer's memory plan for a machine of `totalBytes` and `cores` with the user's flags. */
export function planMemory (inp: MemoryPlanInput): MemoryPlan {
  const budgetMb = Math.floor(inp.totalBytes * PEER_MEMORY_SHARE / MIB)
  // What the pooled and kept evaluators may share.
  const forEvaluatorsMb = Math.max(0, budgetMb - PEER_PROCESS_MB)
  const cores = Math.max(1, Math.floor(inp.cores))
  const evaluators = inp.cpus ?? Math.max(1, Math.min(cores, Math.floor(forEvaluatorsMb / (EVALUATOR_BASE_MB + (inp.cacheMb ?? MIN_EVALUATOR_CACHE_MB))) - KEPT_EVALUATORS))
  const slotMb = Math.floor(forEvaluatorsMb / (evaluators + KEPT_EVALUATORS))
  const cacheMb = inp.cacheMb ?? Math.min(MAX_EVALUATOR_CACHE_MB, Math.max(MIN_EVALUATOR_CACHE_MB, slotMb - EVALUATOR_BASE_MB))
  // The isolate's base limit is the same on every machine, not sized here: it decides which
  // genomes fail with EVAL_OUT_OF_MEMORY, and a laptop's smaller cap would make its checkpoints
  // differ from a desktop's for a genome between the two. The plan counts it as a ceiling that
  // honest strategies stay far below (EVALUATOR_BASE_MB is what they use).
  const isolateMemoryMb = DEFAULT_MEMORY_MB
  const plannedMb = PEER_PROCESS_MB + (evaluators + KEPT_EVALUATORS) * (EVALUATOR_BASE_MB + cacheMb)
  const warnings: string[] = []
  if (plannedMb > budgetMb) {
    const chosen = [inp.cpus === undefined ? '' : `--cpus ${inp.cpus}`, inp.cacheMb === undefined ? '' : `--cache-mb ${inp.cacheMb}`].filter(s => s !== '').join(' and ')
    const why = chosen === '' ? 'even one evaluator with the smallest cache does not fit' : `${chosen} plan more`
    warnings.push(`memory: ${evaluators} evaluator(s), a checker and a statistics evaluator with ${cacheMb} MiB of cache each plan ${plannedMb} MiB, over this peer's budget of ${budgetMb} MiB (${PEER_MEMORY_SHARE * 100} % of ${Math.round(inp.totalBytes / MIB)} MiB): ${why}`)
  }
  return {
    budgetBytes: budgetMb * MIB,
    totalBytes: inp.totalBytes,
    evaluators,
    cacheBytes: cacheMb * MIB,
    isolateMemoryMb,
    plannedBytes: plannedMb * MIB,
    warnings,
  }
}

/** One line for the peer's log at start: what it plans, against what budget. */
export function memoryPlanText (plan: MemoryPlan): string {
  const mib = (bytes: number): number => Math.round(bytes / MIB)
  return `memory: ${plan.evaluators} evaluator(s), a checker and a statistics evaluator, ${mib(plan.cacheBytes)} MiB of cache and a ${plan.isolateMemoryMb} MiB cap each; ${mib(plan.plannedBytes)} MiB planned, budget ${mib(plan.budgetBytes)} MiB (${PEER_MEMORY_SHARE * 100} % of ${mib(plan.totalBytes)} MiB)`
}

/** The indicator cache bound, in bytes, for each of `evaluators` evaluators on a machine of `machineBytes` (the plan's). */
export function evaluatorCacheBytes (evaluators: number, machineBytes: number = machineMemoryBytes()): number {
  const n = Math.max(1, Math.floor(evaluators))
  return planMemory({ totalBytes: machineBytes, cores: n, cpus: n }).cacheBytes
}
