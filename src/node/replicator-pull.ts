import type { PeerId } from '@libp2p/interface'
import { StratmeshError, isStratmeshError } from '../protocol/errors.js'
import {
  MAX_PAGE_BYTES, MAX_RANGE_ENTRIES, MAX_SYNC_FRAME_BYTES, SYNC_PROTOCOL, bad,
  validateSyncRequest, validateSyncResponse, type Heads, type SyncRequest, type SyncResponse
} from '../protocol/sync-messages.js'
import { countIn, type ReplicatorStats } from './replicator-stats.js'
import { request, remoteError, serve, type FrameChannel, type StreamNode } from './stream-codec.js'
import type { ReplicatedLog, WireCodec } from './replicator-log.js'

/**
 * Anti-entropy over `/stratmesh/sync/1.0.0`: ask a peer for its heads (`{author: last seq}`),
 * and for every author where it is ahead, fetch the missing entries in bounded pages and hand
 * them to the log store, which verifies signatures and continuity before storing anything.
 * Pull alone brings any two connected peers to the same set of entries; gossip only makes it
 * faster.
 */

/** Concurrent sync streams a peer may open to us: a pull round uses one at a time. */
export const MAX_INBOUND_SYNC_STREAMS = 4
/** Largest sync request frame (heads or range requests are a few dozen bytes). */
export const MAX_SYNC_REQUEST_BYTES = 4 * 1024

export interface PullContext<E> {
  node: StreamNode
  log: ReplicatedLog<E>
  codec: WireCodec<E>
  stats: ReplicatorStats
  /** Entries per range request (at most MAX_RANGE_ENTRIES). */
  pageEntries: number
  idleTimeoutMs?: number
  signal: AbortSignal
}

/** Registers our side of the sync protocol: we answer heads and range requests from our log. */
export async function serveSync<E> (ctx: PullContext<E>, onError: (err: StratmeshError, peer: PeerId) => void): Promise<void> {
  await serve<SyncRequest>(ctx.node, SYNC_PROTOCOL, {
    maxRequestBytes: MAX_SYNC_REQUEST_BYTES,
    validate: validateSyncRequest,
    idleTimeoutMs: ctx.idleTimeoutMs,
    maxInboundStreams: MAX_INBOUND_SYNC_STREAMS,
    onError
  }, async (req, channel) => {
    if (req.t === 'heads') {
      await channel.sendJson({ t: 'heads', heads: await ctx.log.heads() } satisfies SyncResponse)
      return
    }
    const entries = await ctx.log.range(req.author, req.from, Math.min(req.limit, MAX_RANGE_ENTRIES))
    const page: unknown[] = []
    let bytes = 0
    for (const entry of entries) {
      const wire = ctx.codec.toWire(entry)
      const size = ctx.codec.wireSize(wire)
      // Always at least one entry, so a page never stalls on one large entry.
      if (page.length > 0 && bytes + size > MAX_PAGE_BYTES) break
      page.push(wire)
      bytes += size
    }
    ctx.stats.entriesServed += page.length
    await channel.sendJson({ t: 'entries', entries: page } satisfies SyncResponse)
  })
}

async function ask (ctx: PullContext<unknown>, peer: PeerId, req: SyncRequest): Promise<SyncResponse> {
  return await request(ctx.node, peer, SYNC_PROTOCOL, req, {
    maxFrameBytes: MAX_SYNC_FRAME_BYTES,
    idleTimeoutMs: ctx.idleTimeoutMs,
    signal: ctx.signal
  }, async (channel: FrameChannel) => {
    const res = await channel.readJson(validateSyncResponse)
    if (res === null) throw bad('sync stream ended without a response')
    if (res.t === 'error') throw remoteError(res, peer)
    return res
  })
}

async function fetchHeads (ctx: PullContext<unknown>, peer: PeerId): Promise<Heads> {
  const res = await ask(ctx, peer, { t: 'heads' })
  if (res.t !== 'heads') throw bad(`expected heads, got ${res.t}`)
  return res.heads
}

/**
 * Decodes wire entries and ingests them, counting refusals for `peer`. Returns how many the log
 * store accepted. Decoding failures are refusals too: a peer that sends garbage is counted.
 */
export async function ingestFrom<E> (ctx: Pick<PullContext<E>, 'log' | 'codec' | 'stats'>, peer: string, wire: unknown[]): Promise<{ accepted: E[], rejectedCodes: string[] }> {
  const decoded: E[] = []
  const rejectedCodes: string[] = []
  for (const w of wire) {
    try {
      decoded.push(ctx.codec.fromWire(w))
    } catch (err) {
      rejectedCodes.push(isStratmeshError(err) ? err.code : 'SYNC_BAD_MESSAGE')
    }
  }
  let accepted: E[] = []
  if (decoded.length > 0) {
    const result = await ctx.log.ingest(decoded, peer)
    accepted = result.accepted
    for (const r of result.rejected) rejectedCodes.push(r.code)
  }
  for (const code of rejectedCodes) countIn(ctx.stats.rejections, peer, code)
  ctx.stats.entriesIn += accepted.length
  return { accepted, rejectedCodes }
}

/**
 * One pull round with `peer`: fetch whatever it has that we lack, page by page, until we hold
 * its heads or it stops making progress (a peer claiming entries it does not serve, or entries
 * the store refuses, e.g. from a frozen author). Throws the codec's SYNC_* errors.
 */
export async function pullFrom<E> (ctx: PullContext<E>, peer: PeerId): Promise<number> {
  const peerKey = peer.toString()
  const theirs = await fetchHeads(ctx as PullContext<unknown>, peer)
  const ours = await ctx.log.heads()
  let gained = 0
  for (const [author, head] of Object.entries(theirs)) {
    let have = ours[author] ?? ctx.log.firstSeq - 1
    while (have < head) {
      ctx.signal.throwIfAborted()
      const limit = Math.min(ctx.pageEntries, MAX_RANGE_ENTRIES, head - have)
      const res = await ask(ctx as PullContext<unknown>, peer, { t: 'range', author, from: have + 1, limit })
      if (res.t !== 'entries') throw bad(`expected entries, got ${res.t}`)
      if (res.entries.length === 0) break
      const { accepted } = await ingestFrom(ctx, peerKey, res.entries)
      gained += accepted.length
      const now = (await ctx.log.heads())[author] ?? ctx.log.firstSeq - 1
      if (now <= have) {
        countIn(ctx.stats.syncErrors, peerKey, 'SYNC_NO_PROGRESS')
        break
      }
      have = now
    }
  }
  return gained
}

export function syncErrorCode (err: unknown): string {
  if (isStratmeshError(err)) return err.code === 'SYNC_REMOTE_ERROR' ? String(err.details?.remoteCode ?? err.code) : err.code
  return err instanceof StratmeshError ? err.code : 'SYNC_STREAM_ERROR'
}
