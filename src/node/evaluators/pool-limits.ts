/** The evaluator pool's limits and defaults (src/node/evaluators/pool.ts uses them; docs/LIMITS.md lists them). */

/** Ten minutes: what users of other tools found they needed to cut off a stuck backtest, never a slow honest one. */
export const DEFAULT_EVAL_TIMEOUT_MS = 600_000
/**
 * Memory cap per evaluator: the limit of its isolate, where the engine and the strategy run, which
 * counts the heap and ArrayBuffers alike. The candles and the indicator cache (see cache-budget.ts)
 * are added to it when a job loads; 1 GiB covers the GA and a strategy's own arrays with room to
 * spare, while one evaluator per core on an 8-core, 16 GB laptop cannot exhaust it.
 */
export const DEFAULT_MEMORY_MB = 1024
/** Smallest memory cap accepted: the engine takes a few MB of its isolate before any strategy runs. */
export const MIN_MEMORY_MB = 32
/**
 * Evaluator restarts (timeouts, crashes) one unit may cause before it fails with EVAL_UNIT_FAILED.
 * Each costs up to evalTimeoutMs; a strategy that hangs or crashes on more genomes than this in
 * one unit is broken, and its author learns more from a failed unit than from hours of skipping.
 */
export const MAX_UNIT_RESTARTS = 8
/** Evaluators failing in a row before they were ready, after which the pool stops replacing them. */
export const MAX_START_FAILURES = 3
/** The window evaluations/s is measured over: long enough to smooth generation boundaries. */
export const RATE_WINDOW_MS = 10_000
