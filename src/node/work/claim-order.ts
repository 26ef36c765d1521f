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
 * The least wait between ranks: a little above a gossip round trip on a LAN (a claim published
 * by the peer above must arrive before this peer's turn), short next to a unit's run. The step
 * grows with the claim latency this peer observes (see ClaimOrder.observe).
 */
export const CLAIM_STEP_MS = 200
/** The step's bound, however slow claims arrive: a unit waits at most this long per rank. */
export const MAX_CLAIM_STEP_MS = 1_000
/**
 * Ranks beyond this many share the last turn. A unit reaches them only when this many peers
 * ranked above are all busy, and waiting longer would leave evaluators idle.
 */
export const MAX_CLAIM_RANKS = 10
/**
 * An entry that took longer than this to arrive came by a pull after a partition or a restart,
 * not by gossip: it says nothing about the gossip latency.
 */
export const MAX_CLAIM_LATENCY_SAMPLE_MS = 5_000

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

export function claimDelay (rank: number, stepMs = CLAIM_STEP_MS): number {
  return Math.min(rank, MAX_CLAIM_RANKS) * stepMs
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
  /**
   * When this peer last had an evaluator come free. A turn is counted from the later of this and
   * the unit's first sighting: peers finishing units in lockstep (a GA epoch) would otherwise all
   * find the same long-free unit at once, every one of them past its turn.
   */
  private idleAt = -Infinity
  /** Smoothed claim latency and its mean deviation (as TCP estimates a round trip, RFC 6298). */
  private latency: { mean: number, deviation: number } | null = null

  constructor (private readonly self: string, private readonly live: () => Iterable<string>) {}

  choose<U extends FreeUnit> (jobId: string, free: readonly U[], keyOf: (u: U) => string, now: number): ClaimChoice<U> | null {
    if (free.length === 0) { this.freeSince.delete(jobId); return null }
    const previous = this.freeSince.get(jobId)
    // Only units free now are kept: one taken since and free again (a lease lapsed) waits anew.
    const seen = new Map<string, number>()
    this.freeSince.set(jobId, seen)
    const lowest = Math.min(...free.map(u => u.epoch))
    const others = [...this.live()]
    const step = this.stepMs()
    let best: { unit: U, rank: number, order: string } | null = null
    let waitMs = Infinity
    for (const unit of free) {
      // A later epoch's unit waits behind the lowest; its turn is counted from when it is next.
      if (unit.epoch !== lowest) continue
      const key = keyOf(unit)
      const since = previous?.get(key) ?? now
      seen.set(key, since)
      const rank = claimRank(this.self, others, key)
      // Free for a while before this peer came free: a peer ranked below may be claiming it
      // right now, so every rank waits a step more to hear of it (when there is such a peer).
      const late = others.some(p => p !== this.self) && this.idleAt - since > step
      const due = Math.max(since, this.idleAt) + claimDelay(rank, step) + (late ? step : 0)
      if (due > now) { waitMs = Math.min(waitMs, due - now); continue }
      const order = sha256Hex(`${this.self}/${key}`)
      if (best === null || rank < best.rank || (rank === best.rank && order < best.order)) best = { unit, rank, order }
    }
    return best !== null ? { unit: best.unit } : { waitMs }
  }

  /**
   * An entry of another peer (a claim travels as any entry does) arrived `ms` after it was made
   * (its hlc wall time): on a loaded machine gossip takes hundreds of milliseconds, and a turn
   * shorter than that lets the next peer claim before it sees the claim above it. Clocks are NTP-close on a LAN; a skewed one
   * only moves the step within its bounds.
   */
  observe (ms: number): void {
    if (!(ms >= 0 && ms <= MAX_CLAIM_LATENCY_SAMPLE_MS)) return
    if (this.latency === null) { this.latency = { mean: ms, deviation: ms / 2 }; return }
    this.latency.deviation = 0.75 * this.latency.deviation + 0.25 * Math.abs(this.latency.mean - ms)
    this.latency.mean = 0.875 * this.latency.mean + 0.125 * ms
  }

  /** The wait between ranks now: the claim latency with a margin, within its bounds. */
  stepMs (): number {
    const l = this.latency
    const estimate = l === null ? 0 : l.mean + 4 * l.deviation
    return Math.min(MAX_CLAIM_STEP_MS, Math.max(CLAIM_STEP_MS, Math.round(estimate)))
  }

  /** An evaluator of this peer came free at `now`. */
  evaluatorFreed (now: number): void {
    this.idleAt = now
  }
}
