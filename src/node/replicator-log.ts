import type { Heads } from '../protocol/sync-messages.js'

/**
 * What replication needs from the ledger's log store, and nothing more. The replicator is
 * written against this narrow view so it can be exercised with any store; logStoreLog() adapts
 * the LevelDB log store (src/node/log-store.ts).
 */
export interface ReplicatedLog<E> {
  /** Seq of every author's first entry. */
  readonly firstSeq: number
  /**
   * Rejection codes that say "not yet" rather than "never" (an entry ahead of a gap): gossip
   * that hits only these triggers a pull instead of penalising the sender.
   */
  readonly benignRejections: ReadonlySet<string>
  heads (): Promise<Heads>
  range (author: string, fromSeq: number, limit: number): Promise<E[]>
  /** Verifies and stores entries from `from`; never throws for a bad entry, reports it. */
  ingest (entries: E[], from?: string): Promise<{ accepted: E[], rejected: Array<{ code: string, message: string }> }>
  /** Calls `listener` with entries this peer appended; returns the unsubscribe function. */
  onOwnEntries (listener: (entries: E[]) => void): () => void
}

/** How entries travel inside sync and gossip messages (as JSON values). */
export interface WireCodec<E> {
  toWire (entry: E): unknown
  /** Throws a StratmeshError with the entry format's code when `value` is not an entry. */
  fromWire (value: unknown): E
  /** Bytes `value` takes in a JSON message, for page and message size caps. */
  wireSize (value: unknown): number
}
