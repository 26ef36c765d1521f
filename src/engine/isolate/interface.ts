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
/**
 * Operations a host uses only when the bundle has them, so bundles and hosts on either side of
 * their addition still work together (no version bump): useSpec, another job of the loaded
 * strategy and candles (a host without it loads every job in a fresh evaluator).
 */
export const OPTIONAL_OPERATIONS = ['useSpec'] as const
/** The global the bundle leaves its operations on, for the host to take and delete. */
export const ENGINE_GLOBAL = 'stratmeshEngine'
