/**
 * Counters of ledger replication, for `peer status` and tests. Rejections are kept per peer and
 * per error code so a misbehaving or outdated peer is visible by name and reason.
 */
export interface ReplicatorStats {
  /** Entries from peers that the log store accepted (gossip and pull). */
  entriesIn: number
  /** Of entriesIn, those that came in gossip messages. */
  entriesInGossip: number
  /** Own entries published over gossip. */
  entriesOut: number
  /** Entries sent to peers in range responses. */
  entriesServed: number
  gossipMessagesIn: number
  gossipMessagesOut: number
  /** Range requests answered by peers during pulls (pages of at most pageEntries entries). */
  pagesFetched: number
  /** Pull rounds that completed (one per peer per round). */
  syncsCompleted: number
  /** Entries (or whole messages, for unreadable ones) refused, by peer then error code. */
  rejections: Record<string, Record<string, number>>
  /** Failed pull rounds by peer then error code (timeouts, peers without the protocol…). */
  syncErrors: Record<string, Record<string, number>>
  /** When a pull round with each peer last completed, in ms of the injected clock. */
  lastSync: Record<string, number>
  /** Bytes of ledger traffic (gossip payloads, sync responses as JSON), for the scale run's per-minute figures. */
  bytes: TrafficBytes
}

/**
 * Payload bytes, not wire bytes: gossipsub's control messages, duplicates it drops before our
 * validator, framing and encryption are not in them (the scale run reads the interfaces for those).
 */
export interface TrafficBytes {
  /** Gossip messages we published, once each (gossipsub sends each to several mesh peers). */
  gossipOut: number
  /** Gossip messages that reached our validator. */
  gossipIn: number
  /** Sync responses we received during our pull rounds (heads, pages, evidence). */
  pullIn: number
  /** Sync responses we sent to peers pulling from us. */
  pullServed: number
}

export function emptyStats (): ReplicatorStats {
  return {
    entriesIn: 0,
    entriesInGossip: 0,
    entriesOut: 0,
    entriesServed: 0,
    gossipMessagesIn: 0,
    gossipMessagesOut: 0,
    pagesFetched: 0,
    syncsCompleted: 0,
    rejections: {},
    syncErrors: {},
    lastSync: {},
    bytes: { gossipOut: 0, gossipIn: 0, pullIn: 0, pullServed: 0 }
  }
}

export function countIn (table: Record<string, Record<string, number>>, peer: string, code: string, n = 1): void {
  const byCode = table[peer] ?? (table[peer] = {})
  byCode[code] = (byCode[code] ?? 0) + n
}

/**
 * The rejections of whole messages (SYNC_* codes: too large, unreadable), by peer. The table also
 * holds the entry rejections the log store reported for each peer, which the store counts itself.
 */
export function messageRejections (stats: ReplicatorStats): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  for (const [peer, byCode] of Object.entries(stats.rejections)) {
    for (const [code, n] of Object.entries(byCode)) if (code.startsWith('SYNC_')) countIn(out, peer, code, n)
  }
  return out
}

/** Total of a per-peer, per-code table, optionally for one code. */
export function total (table: Record<string, Record<string, number>>, code?: string): number {
  let sum = 0
  for (const byCode of Object.values(table)) {
    for (const [c, n] of Object.entries(byCode)) if (code === undefined || c === code) sum += n
  }
  return sum
}
