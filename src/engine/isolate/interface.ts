/**
 * The contract between an evaluator's host and the engine bundle, kept apart from entry.ts (which
 * installs itself on the global when loaded) so the host can import it without running the engine.
 */

/**
 * The version of the operations the bundle offers; a host refuses a bundle that speaks another.
 * Bundles travel with jobs (by hash), so a peer may be handed one built elsewhere: this number,
 * not the bundle's build, says whether the host can drive it. 2: the fingerprint operation.
 * 3: the backtest and takeSeries operations (`peer backtest`), the look-ahead and submit checks
 * (lookAhead, preflight), the walkForward operation, and evaluate and detail name the unit island
 * (a walk-forward window has its own ranges),
 * and the statistics operation (a finished job's DSR, PBO and plateau scores).
 */
export const ISOLATE_INTERFACE_VERSION = 3
/** The global the bundle leaves its operations on, for the host to take and delete. */
export const ENGINE_GLOBAL = 'stratmeshEngine'
