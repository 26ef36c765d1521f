import type { PeerId } from '@libp2p/interface'
import { isStratmeshError, type StratmeshError } from '../../protocol/errors.js'
import {
  MAX_EVIDENCE_AUTHORS, MAX_PAGE_BYTES, MAX_RANGE_ENTRIES, MAX_SYNC_FRAME_BYTES, SYNC_PROTOCOL, bad,
  validateSyncRequest, validateSyncResponse, type SyncRequest, type SyncResponse
} from '../../protocol/sync-messages.js'
import { countIn, type ReplicatorStats } from './stats.js'
import { request, remoteError, serve, type FrameChannel, type StreamNode } from '../mesh/index.js'
import { wireSize, type ReplicatedLog } from './replicated-log.js'

/**
 * Anti-entropy over `/stratmesh/sync/1.0.0`: ask a peer for its heads (`{author: last seq}`),
 * and for every author where it is ahead, fetch the missing entries in bounded pages and hand
 * them to the log store, which verifies signatures and continuity before storing anything.
 * Evidence of equivocation the peer holds and we lack is fetched too. Pull alone brings any two
 * connected peers to the same set of entries; gossip only makes it faster.
 */

/** Concurrent sync streams a peer may open to us: a pull round uses one at a time. */
export const MAX_INBOUND_SYNC_STREAMS = 4
/** Largest sync request frame: requests are small, the evidence request the largest (64 ids). */
export const MAX_SYNC_REQUEST_BYTES = 16 * 1024

export interface PullContext<E> {
  node: StreamNode
  log: ReplicatedLog<E>
  stats: ReplicatorStats
  /** Entries per range request (at most MAX_RANGE_ENTRIES). */
  pageEntries: number
  idleTimeoutMs?: number
  signal: AbortSignal
}

/** Fills a page with entries until MAX_PAGE_BYTES; always one entry, so a big one cannot stall. */
function page (entries: unknown[]): unknown[] {
  const out: unknown[] = []
  let bytes = 0
  for (const entry of entries) {
    const size = wireSize(entry)
    if (out.length > 0 && bytes + size > MAX_PAGE_BYTES) break
    out.push(entry)
    bytes += size
  }
  return out
}

/** Registers our side of the sync protocol: we answer from our log. */
export async function serveSync<E> (ctx: PullContext<E>, onError: (err: StratmeshError, peer: PeerId) => void): Promise<void> {
  await serve<SyncRequest>(ctx.node, SYNC_PROTOCOL, {
    maxRequestBytes: MAX_SYNC_REQUEST_BYTES,
    validate: validateSyncRequest,
    idleTimeoutMs: ctx.idleTimeoutMs,
    maxInboundStreams: MAX_INBOUND_SYNC_STREAMS,
    onError
  }, async (req, channel) => {
    let res: SyncResponse
    if (req.t === 'heads') {
      res = { t: 'heads', heads: await ctx.log.heads(), hashes: ctx.log.headHashes(), frozen: ctx.log.frozenAuthors() }
    } else if (req.t === 'range') {
      res = { t: 'entries', entries: page(await ctx.log.range(req.author, req.from, Math.min(req.limit, MAX_RANGE_ENTRIES))) }
    } else {
      res = { t: 'entries', entries: page(ctx.log.evidenceFor(req.authors)) }
    }
    if (res.t === 'entries') ctx.stats.entriesServed += res.entries.length
    ctx.stats.bytes.pullServed += wireSize(res)
    await channel.sendJson(res)
  })
}

async function ask<E> (ctx: PullContext<E>, peer: PeerId, req: SyncRequest): Promise<SyncResponse> {
  return await request(ctx.node, peer, SYNC_PROTOCOL, req, {
    maxFrameBytes: MAX_SYNC_FRAME_BYTES,
    idleTimeoutMs: ctx.idleTimeoutMs,
    signal: ctx.signal
  }, async (channel: FrameChannel) => {
    const res = await channel.readJson(validateSyncResponse)
    if (res === null) throw bad('sync stream ended without a response')
    ctx.stats.bytes.pullIn += wireSize(res)
    if (res.t === 'error') throw remoteError(res, peer)
    return res
  })
}

async function askEntries<E> (ctx: PullContext<E>, peer: PeerId, req: SyncRequest): Promise<unknown[]> {
  const res = await ask(ctx, peer, req)
  if (res.t !== 'entries') throw bad(`expected entries, got ${res.t}`)
  return res.entries
}

/** Ingests entries from `peer` and counts what the log store refused, per peer and code. */
export async function ingestFrom<E> (ctx: Pick<PullContext<E>, 'log' | 'stats'>, peer: string, entries: unknown[], viaGossip = false): Promise<{ accepted: E[], rejectedCodes: string[], pending: number }> {
  const result = await ctx.log.ingest(entries, peer)
  const rejectedCodes = result.rejected.map(r => r.code)
  for (const code of rejectedCodes) countIn(ctx.stats.rejections, peer, code)
  ctx.stats.entriesIn += result.accepted.length
  if (viaGossip) ctx.stats.entriesInGossip += result.accepted.length
  return { accepted: result.accepted, rejectedCodes, pending: result.pending ?? 0 }
}

/**
 * One pull round with `peer`: fetch whatever it has that we lack, page by page, until we hold
 * its heads or it stops making progress (a peer claiming entries it does not serve, or entries
 * the store refuses, e.g. from a frozen author). Returns the entries gained; throws SYNC_* errors.
 */
export async function pullFrom<E> (ctx: PullContext<E>, peer: PeerId): Promise<number> {
  const peerKey = peer.toString()
  const res = await ask(ctx, peer, { t: 'heads' })
  if (res.t !== 'heads') throw bad(`expected heads, got ${res.t}`)
  let gained = 0
  const known = new Set(ctx.log.frozenAuthors())
  const missing = res.frozen.filter(a => !known.has(a))
  for (let i = 0; i < missing.length; i += MAX_EVIDENCE_AUTHORS) {
    const entries = await askEntries(ctx, peer, { t: 'evidence', authors: missing.slice(i, i + MAX_EVIDENCE_AUTHORS) })
    gained += (await ingestFrom(ctx, peerKey, entries)).accepted.length
  }
  const ours = await ctx.log.heads()
  /** Fetches the peer's entry at `seq`: where its chain differs from ours, the store records evidence. */
  const fetchFork = async (author: string, seq: number): Promise<void> => {
    await ingestFrom(ctx, peerKey, await askEntries(ctx, peer, { t: 'range', author, from: seq, limit: 1 }))
  }
  for (const [author, head] of Object.entries(res.heads)) {
    let have = ours[author] ?? ctx.log.firstSeq - 1
    const theirHash = res.hashes[author]
    if (head <= have) {
      // Not behind; but a different entry at their head seq means the author signed twice.
      const mine = ctx.log.hashAt(author, head)
      if (theirHash !== undefined && mine !== undefined && mine !== theirHash) await fetchFork(author, head)
      continue
    }
    while (have < head) {
      ctx.signal.throwIfAborted()
      const limit = Math.min(ctx.pageEntries, MAX_RANGE_ENTRIES, head - have)
      const entries = await askEntries(ctx, peer, { t: 'range', author, from: have + 1, limit })
      ctx.stats.pagesFetched++
      if (entries.length === 0) break
      const result = await ingestFrom(ctx, peerKey, entries)
      gained += result.accepted.length
      const now = (await ctx.log.heads())[author] ?? ctx.log.firstSeq - 1
      if (now <= have) {
        // Their next entry does not follow our head: the chains forked at or before it.
        if (result.rejectedCodes.includes('ENTRY_BAD_PREV') && have >= ctx.log.firstSeq) await fetchFork(author, have)
        countIn(ctx.stats.syncErrors, peerKey, 'SYNC_NO_PROGRESS')
        break
      }
      have = now
    }
  }
  return gained
}

/** The code a failed round is counted under: the responder's own code when it sent one. */
export function syncErrorCode (err: unknown): string {
  if (!isStratmeshError(err)) return 'SYNC_STREAM_ERROR'
  return err.code === 'SYNC_REMOTE_ERROR' ? String(err.details?.remoteCode ?? err.code) : err.code
}
