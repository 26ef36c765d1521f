/**
 * Which peer claims a free unit first. Every peer ranks the candidates (itself and the connected
 * members that said hello and have an evaluator free, per the ledger) by sha256(peer id + unit
 * key), rendezvous hashing: all peers compute the same ranking from the same ledger, without
 * talking. The top-ranked peer claims at once; the peer of rank r claims only if the unit is still
 * free r steps after it saw it free. Without it, every idle peer claims every free unit it sees at
 * the same moment: 30 peers made 144 claims for 10 units.
 */
import { sha256Hex } from '../../protocol/canonical.js'
import { busyPeers, countedCommit, TRUST_ALL, unitKey } from '../../ledger/queries.js'
import type { LedgerState } from '../../ledger/state.js'

/**
 * The least wait between ranks: a little above a gossip round trip on a LAN (a claim published
 * by the peer above must arrive before this peer's turn), short next to a unit's run. The step
 * grows with the claim latency this peer observes (see ClaimOrder.observe).
 */
export const CLAIM_STEP_MS = 200
/**
 * The step's bound, however slow claims arrive. 30 peers on 2 loaded cores gossip in 1-4 s, and
 * two peers first see a unit free up to that much apart; a step below the sum lets the next rank
 * claim before it hears of the claim above it (6.45 claims per unit with a 1 s bound, 2.25 in the
 * simulation; 5 s still gave 1.3 there, 8 s 1.13-1.15). Since busy peers are no candidates, the
 * first-ranked one is almost always free and claims at once, so a long step is rarely waited out:
 * it costs only when the peers ranked above are frozen or gone.
 */
export const MAX_CLAIM_STEP_MS = 8_000
/**
 * Ranks beyond this many share the last turn. A unit reaches them only when this many peers
 * ranked above did not claim it (frozen, gone, or just come busy), and waiting longer would leave
 * evaluators idle.
 */
export const MAX_CLAIM_RANKS = 10
/**
 * The longest a unit waits for its turn, however slow the step: with long steps, fewer ranks get
 * turns of their own (claimRankCap), so a unit whose first-ranked peers froze is still taken
 * within about this long.
 */
export const MAX_CLAIM_WAIT_MS = 20_000
/**
 * An entry that took longer than this to arrive came by a pull after a partition or a restart,
 * not by gossip: it says nothing about the gossip latency.
 */
export const MAX_CLAIM_LATENCY_SAMPLE_MS = 5_000

export interface FreeUnit { readonly island: number, readonly epoch: number }

/**
 * This peer's rank (0 = first) for `key` among `self` and `others` (duplicates and self ignored).
 * `first`, when it is one of them, ranks above every other: the peer that computed the unit's
 * island at the epoch before (claimFirst).
 */
export function claimRank (self: string, others: Iterable<string>, key: string, first?: string): number {
  if (first === self) return 0
  const mine = sha256Hex(`${self}/${key}`)
  let rank = 0
  const seen = new Set<string>([self])
  for (const peer of others) {
    if (seen.has(peer)) continue
    seen.add(peer)
    if (peer === first) { rank++; continue }
    const theirs = sha256Hex(`${peer}/${key}`)
    // Ties cannot happen between distinct ids short of a sha256 collision; ids break them anyway.
    if (theirs < mine || (theirs === mine && peer < self)) rank++
  }
  return rank
}

/** Ranks that get a turn of their own at this step: MAX_CLAIM_RANKS, fewer once steps are long. */
export function claimRankCap (stepMs: number): number {
  return Math.max(1, Math.min(MAX_CLAIM_RANKS, Math.floor(MAX_CLAIM_WAIT_MS / stepMs)))
}

export function claimDelay (rank: number, stepMs = CLAIM_STEP_MS): number {
  return Math.min(rank, claimRankCap(stepMs)) * stepMs
}

/**
 * The peers a free unit is ranked among, besides this one: the connected members (a hello in the
 * ledger) whose evaluators are not all leased at `now`. A busy peer ranked first would make the
 * unit wait a step for nothing, and with steps of seconds the ranks below would then race. Every
 * peer reads this from the same ledger, so rankings agree up to gossip lag. This peer is never
 * busy when it asks: it asks because an evaluator came free.
 */
export function claimCandidates (connected: Iterable<string>, state: Pick<LedgerState, 'leased' | 'peers'>, now: number): string[] {
  const busy = busyPeers(state, now)
  return [...connected].filter(id => state.peers.has(id) && !busy.has(id))
}

/**
 * The peer ranked first for a unit of epoch e > 0: the author of the earliest commit, by (hlc,
 * author), of the same island at epoch e-1. That peer came free when it committed, holds the
 * population, and trusts its own checkpoint, so it may claim the moment the unit is free, while
 * every other peer first has to hear of the commit: a rank that costs no step and leaves nothing
 * to race for. The earliest commit, not the one this peer counts: which commits a peer has checked
 * differs between peers for a while, and their rankings must not. A busy or absent author is no
 * candidate, and the ranking falls back to the hash.
 */
export function claimFirst (state: Pick<LedgerState, 'units'>, jobId: string, unit: FreeUnit): string | undefined {
  if (unit.epoch === 0) return undefined
  // The commit that counts when every commit is trusted: the earliest by (hlc, author).
  return countedCommit(state.units.get(unitKey(jobId, unit.island, unit.epoch - 1)), TRUST_ALL)?.author
}

/** A free unit as this peer saw it: first seen free, its rank then, and when its turn counts from. */
interface UnitTurn { readonly since: number, readonly rank: number, readonly turnFrom: number, readonly afterFree: boolean }

/** The unit to claim now, or how long until one of them is this peer's turn. */
export type ClaimChoice<U> = { readonly unit: U } | { readonly waitMs: number }

/** One look for work at one time, over every open job (ClaimOrder.look). */
export interface ClaimLook {
  choose: <U extends FreeUnit>(jobId: string, free: readonly U[], keyOf: (u: U) => string, firstOf?: (u: U) => string | undefined) => ClaimChoice<U> | null
}

/**
 * Remembers since when this peer has seen each unit free, and picks among a job's free units the
 * one whose turn has come: lowest epoch first (the next epoch waits on it), then the units this
 * peer ranks best for, then its own pseudo-random order.
 */
export class ClaimOrder {
  /** Job id -> unit key -> since when this peer has seen the unit free, and its rank and turn. */
  private readonly freeSince = new Map<string, Map<string, UnitTurn>>()
  /**
   * When this peer last had an evaluator come free. A turn is counted from the later of this and
   * the unit's first sighting: peers finishing units in lockstep (a GA epoch) would otherwise all
   * find the same long-free unit at once, every one of them past its turn.
   */
  private idleAt = -Infinity
  /** Jobs looked at since this peer last came free. */
  private readonly lookedSinceFree = new Set<string>()
  /** Smoothed claim latency and its mean deviation (as TCP estimates a round trip, RFC 6298). */
  private latency: { mean: number, deviation: number } | null = null

  constructor (private readonly self: string, private readonly live: (now: number) => Iterable<string>) {}

  /**
   * A look for work at `now` (the scheduler's, over every open job): the candidates are read once,
   * at the first job with a free unit, and every job's ranking shares them. Reading them scans the
   * ledger's leases (claimCandidates), which would otherwise be done once per open job.
   */
  look (now: number): ClaimLook {
    let others: string[] | undefined
    const candidates = (): string[] => (others ??= [...this.live(now)])
    return { choose: (jobId, free, keyOf, firstOf) => this.choose(jobId, free, keyOf, now, firstOf, candidates) }
  }

  /** One job's choice within a look (`candidates` reads the look's, once). */
  private choose<U extends FreeUnit> (jobId: string, free: readonly U[], keyOf: (u: U) => string, now: number, firstOf: ((u: U) => string | undefined) | undefined, candidates: () => readonly string[]): ClaimChoice<U> | null {
    if (free.length === 0) { this.freeSince.delete(jobId); return null }
    const previous = this.freeSince.get(jobId)
    const firstLook = !this.lookedSinceFree.has(jobId)
    this.lookedSinceFree.add(jobId)
    // Only units free now are kept: one taken since and free again (a lease lapsed) waits anew.
    const seen = new Map<string, UnitTurn>()
    this.freeSince.set(jobId, seen)
    const lowest = Math.min(...free.map(u => u.epoch))
    const others = candidates()
    const rivals = others.some(p => p !== this.self)
    const step = this.stepMs()
    let best: { unit: U, rank: number, order: string } | null = null
    let waitMs = Infinity
    for (const unit of free) {
      // A later epoch's unit waits behind the lowest; its turn is counted from when it is next.
      if (unit.epoch !== lowest) continue
      const key = keyOf(unit)
      const first = firstOf?.(unit)
      const rank = claimRank(this.self, others, key, first)
      const before = previous?.get(key)
      // A better rank than before (a peer above came busy or left): the peer now above this one
      // heard the same news at about the same time, and may have claimed on it; its claim takes a
      // step to arrive, so the turn counts anew.
      const turnFrom = before === undefined || rank < before.rank ? now : before.turnFrom
      const since = before?.since ?? now
      // First seen free after this peer came free, not at its first look then (where a unit its
      // own commit unlocked shows): the others rank this peer only once its commit reaches them,
      // so for a step the peer they rank first may claim it at once.
      const afterFree = before?.afterFree ?? (!firstLook && since > this.idleAt)
      seen.set(key, { since, rank, turnFrom, afterFree })
      // Free for a while before this peer came free: a peer ranked below may be claiming it
      // right now, so every rank waits a step more to hear of it. Both extra steps wait for a
      // rival's claim: with no other candidate (one peer, or every other one busy) there is none.
      const late = rivals && this.idleAt - since > step
      // The peer every other ranks first by the island it computed waits for nobody's news.
      const due = Math.max(turnFrom, this.idleAt + (rivals && afterFree && first !== this.self ? step : 0)) + claimDelay(rank, step) + (late ? step : 0)
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
    this.lookedSinceFree.clear()
  }
}
