import type { Entry } from '../../protocol/entry.js'
import type { Heads } from '../../protocol/sync-messages.js'
import type { LogStore } from './log-store.js'

/**
 * What replication needs from the ledger's log store, and nothing more. The replicator is
 * written against this narrow view so it can run over any store; logStoreLog() adapts the
 * LevelDB log store. Entries travel as the JSON objects they are (the canonical form is
 * recomputed for signature checks), so no re-encoding layer sits in between.
 */
export interface ReplicatedLog<E> {
  /** Seq of every author's first entry. */
  readonly firstSeq: number
  /**
   * Rejection codes that mean "not now" rather than "forged": an entry ahead of a gap with the
   * pending pool full, a clock a bit ahead of ours, an author frozen by evidence the sender has
   * not seen yet. Gossip refused only for these is ignored, not held against the sender.
   */
  readonly benignRejections: ReadonlySet<string>
  heads (): Promise<Heads>
  /** Hash of each author's head entry. */
  headHashes (): Record<string, string>
  /** Hash of the stored entry of `author` at `seq`, if we hold it. */
  hashAt (author: string, seq: number): string | undefined
  range (author: string, fromSeq: number, limit: number): Promise<E[]>
  /** Verifies and stores entries from peer `from`; reports bad entries instead of throwing. */
  ingest (entries: readonly unknown[], from?: string): Promise<{ accepted: E[], rejected: ReadonlyArray<{ code: string }>, pending?: number }>
  /** Calls `listener` with each entry this peer appends; returns the unsubscribe function. */
  onOwnEntries (listener: (entries: E[]) => void): () => void
  /** Authors frozen for equivocation, and the pairs of entries proving it. */
  frozenAuthors (): string[]
  evidenceFor (authors: readonly string[]): E[]
}

/** Bytes an entry takes inside a JSON message, for page and message size caps. */
export function wireSize (entry: unknown): number {
  return Buffer.byteLength(JSON.stringify(entry), 'utf8')
}

/** The LevelDB log store (src/node/replication/log-store.ts) seen as a replicated log. */
export function logStoreLog (store: LogStore): ReplicatedLog<Entry> {
  return {
    firstSeq: 1,
    benignRejections: new Set(['ENTRY_GAP', 'ENTRY_CLOCK_SKEW', 'ENTRY_AUTHOR_FROZEN']),
    heads: async () => await store.heads(),
    headHashes: () => {
      const out: Record<string, string> = {}
      for (const [author, chain] of store.state().chains) {
        const h = chain.hashes.at(-1)
        if (h !== undefined) out[author] = h
      }
      return out
    },
    hashAt: (author, seq) => store.state().chains.get(author)?.hashes[seq - 1],
    range: async (author, fromSeq, limit) => await store.range(author, fromSeq, limit),
    ingest: async (entries, from) => await store.ingest(entries, from),
    onOwnEntries: listener => store.on('entry', ev => { if (ev.local) listener([ev.entry]) }),
    frozenAuthors: () => [...store.state().evidence.keys()].sort(),
    evidenceFor: authors => {
      const evidence = store.state().evidence
      return authors.flatMap(a => { const ev = evidence.get(a); return ev === undefined ? [] : [...ev.entries] })
    }
  }
}
