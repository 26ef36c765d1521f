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
import type { StreamNode } from '../mesh/stream-codec.js'

/**
 * Ledger replication. Two mechanisms, each sufficient alone, together fast and robust:
 *
 * - push: each entry we append is published on the gossipsub topic `stratmesh/ledger/1`. Only our
 *   own entries: gossipsub already relays a message across the whole mesh, and re-publishing
 *   entries we received would multiply traffic (each re-publish is a new gossip message) for
 *   nothing that pull does not already guarantee. Received messages are size-checked before
 *   parsing and ingested inside gossipsub's validator, so forged or malformed entries are neither
 *   stored nor forwarded, and their sender is penalised by gossipsub's peer scoring.
 * - pull (anti-entropy, replicator-pull.ts): on every new connection, periodically, and when
 *   gossip reveals a gap, exchange heads with a peer and fetch missing ranges page by page.
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

export interface ReplicatorOptions<E> {
  node: ReplicatorNode
  /** The ledger's log (logStoreLog(logStore) for the LevelDB log store). */
  log: ReplicatedLog<E>
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
  stats (): ReplicatorStats
}

export function createReplicator<E> (options: ReplicatorOptions<E>): Replicator {
  const { node, log } = options
  const gossip = options.gossip ?? true
  const intervalMs = options.syncIntervalMs ?? SYNC_INTERVAL_MS
  const now = options.now ?? Date.now
  const random = options.random ?? Math.random
  const debug: Logger | ((...args: unknown[]) => void) = options.logger ?? node.logger?.forComponent('stratmesh:replicator') ?? (() => {})
  const stats = emptyStats()
  let controller = new AbortController()
  let running = false
  let timer: ReturnType<typeof setTimeout> | undefined
  let unsubscribeOwn: (() => void) | undefined
  /** One pull round per peer at a time; a request during a round queues exactly one more. */
  const rounds = new Map<string, { done: Promise<void>, again: boolean }>()
  let outbox: unknown[] = []
  let flushScheduled = false

  const ctx = (): PullContext<E> => ({
    node,
    log,
    stats,
    pageEntries: Math.min(options.pageEntries ?? MAX_RANGE_ENTRIES, MAX_RANGE_ENTRIES),
    idleTimeoutMs: options.idleTimeoutMs,
    signal: controller.signal
  })

  async function runRound (peer: PeerId): Promise<void> {
    const key = peer.toString()
    try {
      await pullFrom(ctx(), peer)
      stats.syncsCompleted++
      stats.lastSync[key] = now()
    } catch (err) {
      if (!running) return
      const code = syncErrorCode(err)
      countIn(stats.syncErrors, key, code)
      debug('pull from %p failed: %s', peer, (err as Error).message)
    }
  }

  function sync (peer: PeerId): Promise<void> {
    const key = peer.toString()
    const current = rounds.get(key)
    if (current !== undefined) {
      current.again = true
      return current.done
    }
    const state = { done: Promise.resolve(), again: false }
    state.done = (async () => {
      do {
        state.again = false
        await runRound(peer)
      } while (state.again && running)
      rounds.delete(key)
    })()
    rounds.set(key, state)
    return state.done
  }

  async function syncAll (): Promise<void> {
    await Promise.all(node.getPeers().map(sync))
  }

  function schedule (): void {
    if (!running || intervalMs <= 0) return
    const delay = intervalMs * (1 - SYNC_JITTER + 2 * SYNC_JITTER * random())
    timer = setTimeout(() => {
      syncAll().finally(schedule).catch(() => {})
    }, delay)
  }

  const onConnect = (evt: CustomEvent<PeerId>): void => {
    if (running) sync(evt.detail).catch(() => {})
  }

  /** Packs queued own entries into gossip messages within the size and count caps. */
  async function flush (): Promise<void> {
    flushScheduled = false
    const queue = outbox
    outbox = []
    let batch: unknown[] = []
    let bytes = 0
    const send = async (): Promise<void> => {
      if (batch.length === 0) return
      const msg: GossipMessage = { t: 'entries', entries: batch }
      const n = batch.length
      batch = []
      bytes = 0
      try {
        await node.services.pubsub.publish(LEDGER_TOPIC, encodeJsonFrame(msg))
        stats.gossipMessagesOut++
        stats.entriesOut += n
      } catch (err) {
        // Pull delivers what gossip could not; a failed publish is worth a log line, no more.
        debug('publishing %d entries failed: %s', n, (err as Error).message)
      }
    }
    for (const wire of queue) {
      const size = wireSize(wire) + 1
      if (size + 64 > MAX_GOSSIP_MESSAGE_BYTES) continue // too big for gossip: peers pull it
      if (batch.length >= MAX_GOSSIP_ENTRIES || bytes + size + 64 > MAX_GOSSIP_MESSAGE_BYTES) await send()
      batch.push(wire)
      bytes += size
    }
    await send()
  }

  function onOwnEntries (entries: E[]): void {
    if (!running) return
    outbox.push(...entries)
    if (!flushScheduled) {
      flushScheduled = true
      setTimeout(() => { flush().catch(() => {}) }, GOSSIP_BATCH_MS)
    }
  }

  async function validate (from: PeerId, msg: Message): Promise<TopicValidatorResult> {
    const peer = from.toString()
    stats.gossipMessagesIn++
    if (msg.data.byteLength > MAX_GOSSIP_MESSAGE_BYTES) {
      countIn(stats.rejections, peer, 'SYNC_TOO_LARGE')
      return TopicValidatorResult.Reject
    }
    let parsed: GossipMessage
    try {
      parsed = validateGossipMessage(parseJsonFrame(msg.data))
    } catch (err) {
      countIn(stats.rejections, peer, isStratmeshError(err) ? err.code : 'SYNC_BAD_MESSAGE')
      return TopicValidatorResult.Reject
    }
    let outcome: Awaited<ReturnType<typeof ingestFrom>>
    try {
      outcome = await ingestFrom({ log, stats }, peer, parsed.entries, true)
    } catch (err) {
      // Our store failed (stopping, disk full): not the sender's fault, and pull will retry.
      debug('storing gossip from %p failed: %s', from, (err as Error).message)
      return TopicValidatorResult.Ignore
    }
    const { rejectedCodes, pending } = outcome
    // Entries ahead of a gap wait in the store's pool: fetch the missing range now, not in 5 s.
    if (pending > 0 || rejectedCodes.some(c => log.benignRejections.has(c))) sync(from).catch(() => {})
    if (rejectedCodes.length === 0) return TopicValidatorResult.Accept
    // "Not now" (a gap, a clock a little ahead) is not misbehaviour: drop without penalty.
    if (rejectedCodes.every(c => log.benignRejections.has(c))) return TopicValidatorResult.Ignore
    return TopicValidatorResult.Reject
  }

  function onServeError (err: StratmeshError, peer: PeerId): void {
    countIn(stats.syncErrors, peer.toString(), err.code)
    debug('serving sync to %p failed: %s', peer, err.message)
  }

  return {
    async start () {
      if (running) return
      running = true
      controller = new AbortController()
      await serveSync(ctx(), onServeError)
      if (gossip) {
        node.services.pubsub.topicValidators.set(LEDGER_TOPIC, validate)
        node.services.pubsub.subscribe(LEDGER_TOPIC)
        unsubscribeOwn = log.onOwnEntries(onOwnEntries)
      }
      node.addEventListener('peer:connect', onConnect)
      for (const peer of node.getPeers()) sync(peer).catch(() => {})
      schedule()
    },

    async stop () {
      if (!running) return
      running = false
      node.removeEventListener('peer:connect', onConnect)
      if (timer !== undefined) clearTimeout(timer)
      timer = undefined
      unsubscribeOwn?.()
      unsubscribeOwn = undefined
      if (gossip) {
        node.services.pubsub.unsubscribe(LEDGER_TOPIC)
        node.services.pubsub.topicValidators.delete(LEDGER_TOPIC)
      }
      controller.abort()
      await node.unhandle(SYNC_PROTOCOL)
      await Promise.allSettled([...rounds.values()].map(async r => { await r.done }))
    },

    async syncNow (peer) {
      if (peer !== undefined) await sync(peer)
      else await syncAll()
    },

    stats () {
      return structuredClone(stats)
    }
  }
}
