/**
 * Which peer claims a free unit first. Every peer ranks the live peers (itself and the connected
 * members that said hello) by sha256(peer id + unit key), rendezvous hashing: all peers compute
 * the same ranking from the same membership, without talking. The top-ranked peer claims at once;
 * the peer of rank r claims only if the unit is still free CLAIM_STEP_MS x r after it saw it free.
 * Without it, every idle peer claims every free unit it sees at the same moment: 30 peers made
 * 144 claims for 10 units. A busy or missing top-ranked peer delays a unit by a step or two.
 */
import { sha256Hex } from '../../protocol/canonical.js'

/**
 * The wait between ranks: a little above a gossip round trip on a loaded LAN (a claim published
 * by the peer above must arrive before this peer's turn), short next to a unit's run.
 */
export const CLAIM_STEP_MS = 200
/** No unit waits longer than this for its turn, however many peers rank above this one. */
export const MAX_CLAIM_DELAY_MS = 2_000

export interface FreeUnit { readonly island: number, readonly epoch: number }

/** This peer's rank (0 = first) for `key` among `self` and `others` (duplicates and self ignored). */
export function claimRank (self: string, others: Iterable<string>, key: string): number {
  const mine = sha256Hex(`${self}/${key}`)
  let rank = 0
  const seen = new Set<string>([self])
  for (const peer of others) {
    if (seen.has(peer)) continue
    seen.add(peer)
    const theirs = sha256Hex(`${peer}/${key}`)
    // Ties cannot happen between distinct ids short of a sha256 collision; ids break them anyway.
    if (theirs < mine || (theirs === mine && peer < self)) rank++
  }
  return rank
}

export function claimDelay (rank: number): number {
  return Math.min(rank * CLAIM_STEP_MS, MAX_CLAIM_DELAY_MS)
}

/** The unit to claim now, or how long until one of them is this peer's turn. */
export type ClaimChoice<U> = { readonly unit: U } | { readonly waitMs: number }

/**
 * Remembers since when this peer has seen each unit free, and picks among a job's free units the
 * one whose turn has come: lowest epoch first (the next epoch waits on it), then the units this
 * peer ranks best for, then its own pseudo-random order.
 */
export class ClaimOrder {
  /** Job id -> unit key -> when this peer first saw the unit free (since it last saw it taken). */
  private readonly freeSince = new Map<string, Map<string, number>>()

  constructor (private readonly self: string, private readonly live: () => Iterable<string>) {}

  choose<U extends FreeUnit> (jobId: string, free: readonly U[], keyOf: (u: U) => string, now: number): ClaimChoice<U> | null {
    if (free.length === 0) { this.freeSince.delete(jobId); return null }
    const previous = this.freeSince.get(jobId)
    // Only units free now are kept: one taken since and free again (a lease lapsed) waits anew.
    const seen = new Map<string, number>()
    this.freeSince.set(jobId, seen)
    const lowest = Math.min(...free.map(u => u.epoch))
    const others = [...this.live()]
    let best: { unit: U, rank: number, order: string } | null = null
    let waitMs = Infinity
    for (const unit of free) {
      // A later epoch's unit waits behind the lowest; its turn is counted from when it is next.
      if (unit.epoch !== lowest) continue
      const key = keyOf(unit)
      const since = previous?.get(key) ?? now
      seen.set(key, since)
      const rank = claimRank(this.self, others, key)
      const due = since + claimDelay(rank)
      if (due > now) { waitMs = Math.min(waitMs, due - now); continue }
      const order = sha256Hex(`${this.self}/${key}`)
      if (best === null || rank < best.rank || (rank === best.rank && order < best.order)) best = { unit, rank, order }
    }
    return best !== null ? { unit: best.unit } : { waitMs }
  }

  /** Forgets a job's units (it is done, or cannot run here). */
  forget (jobId: string): void {
    this.freeSince.delete(jobId)
  }
}
