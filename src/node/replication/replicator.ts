import type { ComponentLogger, Libp2pEvents, Logger, PeerId, TypedEventTarget } from '@libp2p/interface'
import type { GossipSub, Message } from '@libp2p/gossipsub'
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { isStratmeshError, type StratmeshError } from '../../protocol/errors.js'
import {
  LEDGER_TOPIC, SYNC_PROTOCOL, MAX_GOSSIP_ENTRIES, MAX_GOSSIP_MESSAGE_BYTES, MAX_RANGE_ENTRIES, encodeJsonFrame,
  parseJsonFrame, validateGossipMessage, type GossipMessage
} from '../../protocol/sync-messages.js'
import { emptyStats, countIn, type ReplicatorStats } from './stats.js'
import { ingestFrom, pullFrom, serveSync, syncErrorCode, type PullContext } from './pull.js'
import { wireSize, type ReplicatedLog } from './replicated-log.js'
import type { StreamNode } from '../mesh/index.js'

/**
 * Ledger replication. Two mechanisms, each sufficient alone, together fast and robust:
 *
 * - push: each entry we append is published on the gossipsub topic `stratmesh/ledger/1`. Only our
 *   own entries: gossipsub already relays a message across the whole mesh, and re-publishing
 *   entries we received would multiply traffic (each re-publish is a new gossip message) for
 *   nothing that pull does not already guarantee. Received messages are size-checked before
 *   parsing and ingested inside gossipsub's validator, so forged or malformed entries are neither
 *   stored nor forwarded, and their sender is penalised by gossipsub's peer scoring.
 * - pull (anti-entropy, pull.ts): on every new connection, when gossip reveals a gap, and
 *   periodically with a few random connected peers, exchange heads with a peer and fetch missing
 *   ranges page by page.
 *
 * Rejections are counted per peer and error code (stats()); nothing a peer sends stops us.
 */

/**
 * Period of the anti-entropy round. A lost gossip message or a missed connection event is
 * repaired within this long; a heads exchange costs a few hundred bytes, so 5 s is cheap.
 */
export const SYNC_INTERVAL_MS = 5_000
/** Each period is stretched or shrunk by up to this fraction, so peers do not sync in lockstep. */
export const SYNC_JITTER = 0.2
/**
 * Peers pulled from in each periodic round, chosen at random among the connected. With every
 * peer it was O(N) rounds per peer and O(N^2) mesh-wide, each carrying O(N) heads; with a fixed
 * few, an entry gossip missed still reaches everyone in O(log N) periods (an epidemic), and new
 * connections and gaps that gossip reveals are still pulled from at once.
 */
export const PULL_FANOUT = 3
/**
 * Own entries appended within this window travel in one gossip message. Per-message costs
 * (framing, encryption, syscalls, one store write per message at each receiver) dominate when a
 * burst of small entries goes out one by one; 10 ms of added latency is invisible next to
 * leases measured in seconds.
 */
export const GOSSIP_BATCH_MS = 10

export interface ReplicatorNode extends StreamNode {
  peerId: PeerId
  services: { pubsub: GossipSub }
  getPeers: () => PeerId[]
  logger?: ComponentLogger
  addEventListener: TypedEventTarget<Libp2pEvents>['addEventListener']
  removeEventListener: TypedEventTarget<Libp2pEvents>['removeEventListener']
}

/** What the replicator works with: the libp2p node and the ledger's log. */
export interface ReplicatorComponents<E> {
  node: ReplicatorNode
  /** The ledger's log (logStoreLog(logStore) for the LevelDB log store). */
  log: ReplicatedLog<E>
}

export interface ReplicatorInit {
  /** Publish and receive entries by gossip (default true). Off, replication is by pull alone. */
  gossip?: boolean
  /** Period of the pull round (default SYNC_INTERVAL_MS); 0 disables the timer (tests call syncNow). */
  syncIntervalMs?: number
  /** Entries asked for per range request (default and maximum MAX_RANGE_ENTRIES). */
  pageEntries?: number
  idleTimeoutMs?: number
  /** Time source for lastSync (ms). */
  now?: () => number
  /** Uniform [0, 1) source for the jitter; injected so tests can pin it. */
  random?: () => number
  /** Default: the node's `stratmesh:replicator` logger (enable with DEBUG=stratmesh:*). */
  logger?: Logger
}

export interface Replicator {
  start (): Promise<void>
  stop (): Promise<void>
  /** Runs a pull round now with `peer`, or with every connected peer; resolves when it is done. */
  syncNow (peer?: PeerId): Promise<void>
  /** Runs one ordinary periodic round now: with PULL_FANOUT connected peers chosen at random. */
  syncSome (): Promise<void>
  stats (): ReplicatorStats
}

class PushPullReplicator<E> implements Replicator {
  private readonly node: ReplicatorNode
  private readonly log: ReplicatedLog<E>
  private readonly gossip: boolean
  private readonly intervalMs: number
  private readonly now: () => number
  private readonly random: () => number
  private readonly debug: Logger | ((...args: unknown[]) => void)
  private readonly counters = emptyStats()
  private controller = new AbortController()
  private running = false
  private timer: ReturnType<typeof setTimeout> | undefined
  private unsubscribeOwn: (() => void) | undefined
  /** One pull round per peer at a time; a request during a round queues exactly one more. */
  private readonly rounds = new Map<string, { done: Promise<void>, again: boolean }>()
  private outbox: unknown[] = []
  private flushScheduled = false

  constructor (components: ReplicatorComponents<E>, private readonly init: ReplicatorInit) {
    this.node = components.node
    this.log = components.log
    this.gossip = init.gossip ?? true
    this.intervalMs = init.syncIntervalMs ?? SYNC_INTERVAL_MS
    this.now = init.now ?? Date.now
    this.random = init.random ?? Math.random
    this.debug = init.logger ?? this.node.logger?.forComponent('stratmesh:replicator') ?? (() => {})
  }

  async start (): Promise<void> {
    if (this.running) return
    this.running = true
    this.controller = new AbortController()
    await serveSync(this.ctx(), this.onServeError)
    if (this.gossip) {
      this.node.services.pubsub.topicValidators.set(LEDGER_TOPIC, this.validate)
      this.node.services.pubsub.subscribe(LEDGER_TOPIC)
      this.unsubscribeOwn = this.log.onOwnEntries(this.onOwnEntries)
    }
    this.node.addEventListener('peer:connect', this.onConnect)
    for (const peer of this.node.getPeers()) this.sync(peer).catch(() => {})
    this.schedule()
  }

  async stop (): Promise<void> {
    if (!this.running) return
    this.running = false
    this.node.removeEventListener('peer:connect', this.onConnect)
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.unsubscribeOwn?.()
    this.unsubscribeOwn = undefined
    if (this.gossip) {
      this.node.services.pubsub.unsubscribe(LEDGER_TOPIC)
      this.node.services.pubsub.topicValidators.delete(LEDGER_TOPIC)
    }
    this.controller.abort()
    await this.node.unhandle(SYNC_PROTOCOL)
    await Promise.allSettled([...this.rounds.values()].map(async r => { await r.done }))
  }

  async syncNow (peer?: PeerId): Promise<void> {
    if (peer !== undefined) await this.sync(peer)
    else await this.syncAll()
  }

  async syncSome (): Promise<void> {
    await Promise.all(this.sample(this.node.getPeers(), PULL_FANOUT).map(peer => this.sync(peer)))
  }

  stats (): ReplicatorStats {
    return structuredClone(this.counters)
  }

  /** `n` of `items` chosen at random (a partial Fisher-Yates shuffle of a copy). */
  private sample<T> (items: readonly T[], n: number): T[] {
    const out = [...items]
    const k = Math.min(n, out.length)
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.random() * (out.length - i))
      ;[out[i], out[j]] = [out[j], out[i]]
    }
    return out.slice(0, k)
  }

  private ctx (): PullContext<E> {
    return {
      node: this.node,
      log: this.log,
      stats: this.counters,
      pageEntries: Math.min(this.init.pageEntries ?? MAX_RANGE_ENTRIES, MAX_RANGE_ENTRIES),
      idleTimeoutMs: this.init.idleTimeoutMs,
      signal: this.controller.signal
    }
  }

  private async runRound (peer: PeerId): Promise<void> {
    const key = peer.toString()
    try {
      await pullFrom(this.ctx(), peer)
      this.counters.syncsCompleted++
      this.counters.lastSync[key] = this.now()
    } catch (err) {
      if (!this.running) return
      const code = syncErrorCode(err)
      countIn(this.counters.syncErrors, key, code)
      this.debug('pull from %p failed: %s', peer, (err as Error).message)
    }
  }

  private sync (peer: PeerId): Promise<void> {
    const key = peer.toString()
    const current = this.rounds.get(key)
    if (current !== undefined) {
      current.again = true
      return current.done
    }
    const state = { done: Promise.resolve(), again: false }
    state.done = (async () => {
      do {
        state.again = false
        await this.runRound(peer)
      } while (state.again && this.running)
      this.rounds.delete(key)
    })()
    this.rounds.set(key, state)
    return state.done
  }

  private async syncAll (): Promise<void> {
    await Promise.all(this.node.getPeers().map(peer => this.sync(peer)))
  }

  private schedule (): void {
    if (!this.running || this.intervalMs <= 0) return
    const delay = this.intervalMs * (1 - SYNC_JITTER + 2 * SYNC_JITTER * this.random())
    this.timer = setTimeout(() => {
      this.syncSome().finally(() => { this.schedule() }).catch(() => {})
    }, delay)
  }

  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    if (this.running) this.sync(evt.detail).catch(() => {})
  }

  /** Packs queued own entries into gossip messages within the size and count caps. */
  private async flush (): Promise<void> {
    this.flushScheduled = false
    const queue = this.outbox
    this.outbox = []
    let batch: unknown[] = []
    let bytes = 0
    for (const wire of queue) {
      const size = wireSize(wire) + 1
      if (size + 64 > MAX_GOSSIP_MESSAGE_BYTES) continue // too big for gossip: peers pull it
      if (batch.length >= MAX_GOSSIP_ENTRIES || bytes + size + 64 > MAX_GOSSIP_MESSAGE_BYTES) {
        await this.publish(batch)
        batch = []
        bytes = 0
      }
      batch.push(wire)
      bytes += size
    }
    await this.publish(batch)
  }

  private async publish (batch: unknown[]): Promise<void> {
    if (batch.length === 0) return
    const msg: GossipMessage = { t: 'entries', entries: batch }
    try {
      const data = encodeJsonFrame(msg)
      await this.node.services.pubsub.publish(LEDGER_TOPIC, data)
      this.counters.bytes.gossipOut += data.byteLength
      this.counters.gossipMessagesOut++
      this.counters.entriesOut += batch.length
    } catch (err) {
      // Pull delivers what gossip could not; a failed publish is worth a log line, no more.
      this.debug('publishing %d entries failed: %s', batch.length, (err as Error).message)
    }
  }

  private readonly onOwnEntries = (entries: E[]): void => {
    if (!this.running) return
    this.outbox.push(...entries)
    if (!this.flushScheduled) {
      this.flushScheduled = true
      setTimeout(() => { this.flush().catch(() => {}) }, GOSSIP_BATCH_MS)
    }
  }

  private readonly validate = async (from: PeerId, msg: Message): Promise<TopicValidatorResult> => {
    const peer = from.toString()
    this.counters.gossipMessagesIn++
    this.counters.bytes.gossipIn += msg.data.byteLength
    if (msg.data.byteLength > MAX_GOSSIP_MESSAGE_BYTES) {
      countIn(this.counters.rejections, peer, 'SYNC_TOO_LARGE')
      return TopicValidatorResult.Reject
    }
    let parsed: GossipMessage
    try {
      parsed = validateGossipMessage(parseJsonFrame(msg.data))
    } catch (err) {
      countIn(this.counters.rejections, peer, isStratmeshError(err) ? err.code : 'SYNC_BAD_MESSAGE')
      return TopicValidatorResult.Reject
    }
    let outcome: Awaited<ReturnType<typeof ingestFrom>>
    try {
      outcome = await ingestFrom({ log: this.log, stats: this.counters }, peer, parsed.entries, true)
    } catch (err) {
      // Our store failed (stopping, disk full): not the sender's fault, and pull will retry.
      this.debug('storing gossip from %p failed: %s', from, (err as Error).message)
      return TopicValidatorResult.Ignore
    }
    return this.verdictOn(from, outcome)
  }

  private verdictOn (from: PeerId, { rejectedCodes, pending }: Awaited<ReturnType<typeof ingestFrom>>): TopicValidatorResult {
    const benign = this.log.benignRejections
    // Entries ahead of a gap wait in the store's pool: fetch the missing range now, not in 5 s.
    if (pending > 0 || rejectedCodes.some(c => benign.has(c))) this.sync(from).catch(() => {})
    if (rejectedCodes.length === 0) return TopicValidatorResult.Accept
    // "Not now" (a gap, a clock a little ahead) is not misbehaviour: drop without penalty.
    if (rejectedCodes.every(c => benign.has(c))) return TopicValidatorResult.Ignore
    return TopicValidatorResult.Reject
  }

  private readonly onServeError = (err: StratmeshError, peer: PeerId): void => {
    countIn(this.counters.syncErrors, peer.toString(), err.code)
    this.debug('serving sync to %p failed: %s', peer, err.message)
  }
}

export function createReplicator<E> (components: ReplicatorComponents<E>, init: ReplicatorInit = {}): Replicator {
  return new PushPullReplicator(components, init)
}
