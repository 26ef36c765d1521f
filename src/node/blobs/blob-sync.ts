import type { ComponentLogger, Logger, PeerId } from '@libp2p/interface'
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import {
  BLOB_CHUNK_BYTES, BLOB_PROTOCOL, MAX_BLOB_CONTROL_BYTES, MAX_BLOB_RANGE_BYTES, MAX_BLOB_SIZE,
  bad, isBlobHash, validateBlobRequest, validateBlobResponse, type BlobDataHeader, type BlobRequest
} from '../../protocol/sync-messages.js'
import type { BlobStore, PartWriter } from './blob-store.js'
import { request, remoteError, serve, type FrameChannel, type StreamNode } from '../mesh/index.js'

/**
 * Blob transfer over `/stratmesh/blob/1.0.0`: we serve ranges of blobs we hold, and fetch a blob
 * range by range from whichever of the given peers answers, appending to a `.part` file so an
 * interrupted fetch (by this peer or the next call) resumes where it stopped. The sha256 is
 * checked over the whole file at the end; nothing unverified ever sits under a blob's name.
 *
 * Error codes: BLOB_FETCH_FAILED (no peer delivered; details.errors says why per peer),
 * BLOB_HASH_MISMATCH, BLOB_TOO_LARGE, BLOB_BAD_HASH, plus the stream codec's SYNC_* codes per peer.
 */

/** Concurrent blob streams a peer may open to us: enough for a few parallel fetches, no more. */
export const MAX_INBOUND_BLOB_STREAMS = 8

export interface BlobProgress {
  hash: string
  /** Bytes of the blob we now hold (including bytes from earlier attempts). */
  received: number
  size: number
  /** Bytes transferred by this call so far. */
  fetched: number
  peer: string
}

export interface FetchResult {
  hash: string
  size: number
  /** Bytes transferred by this call: less than `size` when a partial download was resumed. */
  fetched: number
  /** Peers that served bytes in this call. */
  peers: string[]
}

export interface FetchOptions {
  onProgress?: (progress: BlobProgress) => void
  signal?: AbortSignal
}

export interface BlobSyncStats {
  servedBytes: number
  fetchedBytes: number
  fetchesCompleted: number
  hashMismatches: number
  /** Failed range requests by peer and error code. */
  failures: Record<string, Record<string, number>>
}

/** What blob sync works with: the libp2p node it serves and fetches over, and the blob store. */
export interface BlobSyncComponents {
  node: StreamNode & { peerId: PeerId, logger?: ComponentLogger }
  blobStore: BlobStore
}

export interface BlobSyncInit {
  /** Bytes per data frame we serve (at most BLOB_CHUNK_BYTES, the cap every fetcher enforces). */
  chunkBytes?: number
  /** Bytes we ask for per request (at most MAX_BLOB_RANGE_BYTES). */
  rangeBytes?: number
  idleTimeoutMs?: number
  /**
   * Fault injection for tests only: rewrites each chunk we serve (a peer serving bad bytes).
   * Never set in production code.
   */
  tamperServedChunk?: (chunk: Uint8Array, hash: string, offset: number) => Uint8Array
  /** Default: the node's `stratmesh:blob-sync` logger (enable with DEBUG=stratmesh:*). */
  log?: Logger
}

export interface BlobSync {
  start (): Promise<void>
  stop (): Promise<void>
  /** Fetches `hash` (of `size` bytes) from the first of `fromPeers` that can serve it, resuming a partial download. */
  fetchBlob (hash: string, size: number, fromPeers: PeerId[], options?: FetchOptions): Promise<FetchResult>
  stats (): BlobSyncStats
}

/** One fetch of one blob: the part file it grows and what it has seen so far. */
interface Download {
  readonly hash: string
  readonly size: number
  part: PartWriter
  fetched: number
  readonly servedBy: Set<string>
  readonly errors: Array<{ peer: string, code: string, message: string }>
  readonly options: FetchOptions
}

class StreamBlobSync implements BlobSync {
  private readonly node: BlobSyncComponents['node']
  private readonly blobStore: BlobStore
  private readonly chunkBytes: number
  private readonly rangeBytes: number
  private readonly log: Logger | undefined
  private readonly counters: BlobSyncStats = { servedBytes: 0, fetchedBytes: 0, fetchesCompleted: 0, hashMismatches: 0, failures: {} }
  /** One fetch per blob at a time: two writers appending to one .part file would corrupt it. */
  private readonly inFlight = new Map<string, Promise<FetchResult>>()
  private started = false

  constructor (components: BlobSyncComponents, private readonly init: BlobSyncInit) {
    this.node = components.node
    this.blobStore = components.blobStore
    this.chunkBytes = Math.min(init.chunkBytes ?? BLOB_CHUNK_BYTES, BLOB_CHUNK_BYTES)
    this.rangeBytes = Math.min(init.rangeBytes ?? MAX_BLOB_RANGE_BYTES, MAX_BLOB_RANGE_BYTES)
    this.log = init.log ?? this.node.logger?.forComponent('stratmesh:blob-sync')
  }

  async start (): Promise<void> {
    if (this.started) return
    await serve(this.node, BLOB_PROTOCOL, {
      maxRequestBytes: MAX_BLOB_CONTROL_BYTES,
      validate: validateBlobRequest,
      idleTimeoutMs: this.init.idleTimeoutMs,
      maxInboundStreams: MAX_INBOUND_BLOB_STREAMS,
      onError: (err, peer) => { this.log?.('serving a blob to %p failed: %s', peer, err.message) }
    }, async (req, channel) => { await this.handle(req, channel) })
    this.started = true
  }

  async stop (): Promise<void> {
    if (!this.started) return
    this.started = false
    await this.node.unhandle(BLOB_PROTOCOL)
    await Promise.allSettled([...this.inFlight.values()])
  }

  async fetchBlob (hash: string, size: number, fromPeers: PeerId[], fetchOptions: FetchOptions = {}): Promise<FetchResult> {
    if (!isBlobHash(hash)) throw new StratmeshError('BLOB_BAD_HASH', `not a sha256 hex digest: ${String(hash).slice(0, 80)}`)
    if (!Number.isSafeInteger(size) || size < 0 || size > MAX_BLOB_SIZE) {
      throw new StratmeshError('BLOB_TOO_LARGE', `blob size ${size} is not in 0..${MAX_BLOB_SIZE}`, { details: { hash, size } })
    }
    const running = this.inFlight.get(hash)
    if (running !== undefined) return await running
    const p = this.fetchOnce(hash, size, fromPeers, fetchOptions).finally(() => { this.inFlight.delete(hash) })
    this.inFlight.set(hash, p)
    return await p
  }

  stats (): BlobSyncStats {
    return structuredClone(this.counters)
  }

  private countFailure (peer: PeerId, code: string): void {
    const key = peer.toString()
    const byCode = this.counters.failures[key] ?? (this.counters.failures[key] = {})
    byCode[code] = (byCode[code] ?? 0) + 1
  }

  private async handle (req: BlobRequest, channel: FrameChannel): Promise<void> {
    const { blobStore } = this
    if (!await blobStore.has(req.hash)) throw new StratmeshError('BLOB_NOT_FOUND', `no blob ${req.hash}`)
    const size = await blobStore.size(req.hash)
    if (req.offset >= size) throw new StratmeshError('BLOB_BAD_RANGE', `offset ${req.offset} beyond blob of ${size} bytes`)
    const length = Math.min(req.length, size - req.offset)
    const header: BlobDataHeader = { t: 'blob-data', hash: req.hash, size, offset: req.offset, length }
    await channel.sendJson(header)
    let offset = req.offset
    for await (const piece of blobStore.readRange(req.hash, req.offset, length, this.chunkBytes)) {
      const out = this.init.tamperServedChunk === undefined ? piece : this.init.tamperServedChunk(piece, req.hash, offset)
      // Counted before the send: the requester may hold the whole blob before our send resolves.
      this.counters.servedBytes += piece.byteLength
      offset += piece.byteLength
      await channel.send(out)
    }
  }

  /** Reads one range response into the part file. */
  private async readRange (channel: FrameChannel, peer: PeerId, hash: string, size: number, offset: number, length: number,
    append: (bytes: Uint8Array) => Promise<void>): Promise<void> {
    const header = await channel.readJson(validateBlobResponse)
    if (header === null) throw bad('blob stream ended before a response')
    if (header.t === 'error') throw remoteError(header, peer)
    if (header.hash !== hash || header.offset !== offset || header.length !== length) throw bad('blob response does not match the request')
    if (header.size !== size) throw new StratmeshError('BLOB_SIZE_MISMATCH', `peer says blob is ${header.size} bytes, expected ${size}`)
    let got = 0
    while (got < length) {
      const frame = await channel.read()
      if (frame === null) throw bad(`blob range truncated at ${got} of ${length} bytes`)
      if (got + frame.byteLength > length) throw bad('blob range longer than announced')
      await append(frame)
      got += frame.byteLength
    }
  }

  private async fetchOnce (hash: string, size: number, fromPeers: PeerId[], options: FetchOptions): Promise<FetchResult> {
    const { blobStore } = this
    if (await blobStore.has(hash)) return { hash, size, fetched: 0, peers: [] }
    let part = await blobStore.openPart(hash)
    if (part.offset > size) {
      // A part longer than the blob is not a prefix of it: start over.
      await part.close()
      await blobStore.discardPart(hash)
      part = await blobStore.openPart(hash)
    }
    const download: Download = { hash, size, part, fetched: 0, servedBy: new Set(), errors: [], options }
    try {
      for (const peer of fromPeers) {
        if (part.offset >= size) break
        if (peer.equals(this.node.peerId)) continue
        await this.fetchFrom(download, peer)
      }
    } finally {
      await part.close()
    }
    if (part.offset < size) {
      throw new StratmeshError('BLOB_FETCH_FAILED', `could not fetch blob ${hash}: ${part.offset} of ${size} bytes from ${fromPeers.length} peer(s)`, {
        details: { hash, received: part.offset, size, errors: download.errors }
      })
    }
    try {
      await blobStore.commitPart(hash)
    } catch (err) {
      if (isStratmeshError(err, 'BLOB_HASH_MISMATCH')) this.counters.hashMismatches++
      throw err
    }
    this.counters.fetchesCompleted++
    return { hash, size, fetched: download.fetched, peers: [...download.servedBy] }
  }

  /** Fetches the rest of the blob from `peer`, range by range; a failure is recorded, not thrown (unless aborted). */
  private async fetchFrom (download: Download, peer: PeerId): Promise<void> {
    const { hash, size, part, options: fetchOptions } = download
    try {
      while (part.offset < size) {
        fetchOptions.signal?.throwIfAborted()
        const offset = part.offset
        const length = Math.min(this.rangeBytes, size - offset)
        const req: BlobRequest = { t: 'blob-get', hash, offset, length }
        await request(this.node, peer, BLOB_PROTOCOL, req, {
          maxFrameBytes: Math.max(BLOB_CHUNK_BYTES, MAX_BLOB_CONTROL_BYTES),
          idleTimeoutMs: this.init.idleTimeoutMs,
          signal: fetchOptions.signal
        }, async channel => {
          await this.readRange(channel, peer, hash, size, offset, length, async bytes => {
            await part.append(bytes)
            download.fetched += bytes.byteLength
            this.counters.fetchedBytes += bytes.byteLength
            download.servedBy.add(peer.toString())
            fetchOptions.onProgress?.({ hash, received: part.offset, size, fetched: download.fetched, peer: peer.toString() })
          })
        })
      }
    } catch (err) {
      if (fetchOptions.signal?.aborted === true) throw err
      const e = isStratmeshError(err) ? err : new StratmeshError('BLOB_FETCH_FAILED', (err as Error).message, { cause: err })
      const code = e.code === 'SYNC_REMOTE_ERROR' ? String(e.details?.remoteCode) : e.code
      this.countFailure(peer, code)
      download.errors.push({ peer: peer.toString(), code, message: e.message })
      this.log?.('fetching %s from %p failed at byte %d: %s', hash, peer, part.offset, e.message)
    }
  }
}

export function createBlobSync (components: BlobSyncComponents, init: BlobSyncInit = {}): BlobSync {
  return new StreamBlobSync(components, init)
}
