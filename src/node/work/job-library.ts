/**
 * What this peer needs to run a job: its strategy source and decoded candles, fetched by hash
 * from any peer that announced them and verified before use. A job whose blobs are missing or
 * whose engine version we do not support is reported with the reason, never run and never
 * crashed on.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import { ENGINE_VERSION, type JobSpec } from '../../protocol/job-spec.js'
import { decodeDataset } from '../../engine/data/dataset-codec.js'
import { blobHolders } from '../../ledger/queries.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { Candles } from '../../protocol/types.js'
import type { BlobStore } from '../blobs/blob-store.js'
import type { BlobSync } from '../blobs/blob-sync.js'
import type { PoolJob } from '../evaluators/pool.js'

/**
 * Wait this long before asking the mesh again for a blob that failed to arrive. A blob that failed
 * only because no connected peer had it is asked for as soon as one has it (see `servable`).
 */
export const BLOB_RETRY_MS = 5_000
/** Decoded datasets kept in memory: a few jobs on one or two datasets is the common case. */
const MAX_CACHED_DATASETS = 4

export type JobReadiness =
  | { readonly ready: true, readonly job: PoolJob }
  | { readonly ready: false, readonly reason: string, readonly permanent: boolean }

export interface JobLibrary {
  /** Where the job stands now; starts fetching missing blobs in the background. */
  readiness (jobId: string, spec: JobSpec): JobReadiness
  /** Marks a job as not runnable here (e.g. its strategy does not compile on this peer). */
  markBroken (jobId: string, reason: string): void
  /** Called when a blob finished downloading (to announce it). */
  onBlobStored (cb: (hash: string, size: number, kind: 'strategy' | 'dataset') => void): void
}

export interface JobLibraryOptions {
  /** The engine version whose jobs this peer runs (default ENGINE_VERSION; tests may differ). */
  readonly engineVersion?: string
  readonly blobStore: BlobStore
  readonly blobSync: BlobSync
  readonly state: () => LedgerState
  readonly self: string
  /** Connected peers (only those can serve a blob now). */
  readonly connected: () => PeerId[]
  readonly clock: () => number
  readonly onChange: () => void
  readonly log: (line: string) => void
}

interface BlobSlot {
  status: 'absent' | 'fetching' | 'failed' | 'present'
  error?: string
  retryAt?: number
  /** The failure was that no connected peer had announced the blob (nothing was transferred). */
  unavailable?: boolean
}

export function createJobLibrary (opts: JobLibraryOptions): JobLibrary {
  const engineVersion = opts.engineVersion ?? ENGINE_VERSION
  const blobs = new Map<string, BlobSlot>()
  const sources = new Map<string, string>()
  const datasets = new Map<string, Candles>()
  const broken = new Map<string, string>()
  const jobs = new Map<string, PoolJob>()
  const loading = new Set<string>()
  const stored: Array<(hash: string, size: number, kind: 'strategy' | 'dataset') => void> = []

  function slot (hash: string): BlobSlot {
    let s = blobs.get(hash)
    if (s === undefined) { s = { status: 'absent' }; blobs.set(hash, s) }
    return s
  }

  /** Other peers that announced the blob and are connected now. */
  function connectedHolders (hash: string): { holders: number, from: PeerId[], size: number } {
    const holders = blobHolders(opts.state(), hash).filter(h => h.author !== opts.self)
    const connected = new Set(opts.connected().map(p => p.toString()))
    const from = holders.filter(h => connected.has(h.author)).map(h => peerIdFromString(h.author))
    return { holders: holders.length, from, size: holders[0]?.size ?? 0 }
  }

  /**
   * A blob nobody connected could serve becomes servable when a connected peer announces it (it
   * fetched the blob itself) or a holder connects. Waiting out BLOB_RETRY_MS then would idle this
   * peer: a job submitted on one leaf of a bootstrap star reaches the other leaves this way.
   */
  function servable (hash: string, s: BlobSlot): boolean {
    return s.unavailable === true && connectedHolders(hash).from.length > 0
  }

  /** Makes sure the blob is on disk (fetching it when needed); returns a reason while it is not. */
  function ensureBlob (hash: string, kind: 'strategy' | 'dataset'): string | null {
    const s = slot(hash)
    if (s.status === 'present') return null
    if (s.status === 'fetching') return `fetching the ${kind} blob`
    if (s.status === 'failed' && (s.retryAt ?? 0) > opts.clock() && !servable(hash, s)) return `cannot get the ${kind} blob yet: ${s.error ?? 'unknown error'}`
    s.status = 'fetching'
    void (async () => {
      try {
        if (!await opts.blobStore.has(hash)) {
          const { holders, from, size } = connectedHolders(hash)
          if (from.length === 0) {
            throw new StratmeshError('BLOB_UNAVAILABLE', holders === 0 ? 'no peer has announced it' : `none of the ${holders} peers that have it is connected`)
          }
          opts.log(`fetching ${kind} ${hash.slice(0, 12)} (${size} bytes) from ${from.length} peer(s)`)
          await opts.blobSync.fetchBlob(hash, size, from)
          for (const cb of stored) cb(hash, size, kind)
        }
        s.status = 'present'
        delete s.error
      } catch (err) {
        s.status = 'failed'
        s.error = (err as Error).message
        s.retryAt = opts.clock() + BLOB_RETRY_MS
        s.unavailable = isStratmeshError(err, 'BLOB_UNAVAILABLE')
        opts.log(`${kind} blob ${hash.slice(0, 12)}: ${s.error}`)
      }
      opts.onChange()
    })()
    return `fetching the ${kind} blob`
  }

  async function load (jobId: string, spec: JobSpec): Promise<void> {
    try {
      let source = sources.get(spec.strategy.hash)
      if (source === undefined) {
        source = new TextDecoder('utf-8', { fatal: true }).decode(await opts.blobStore.get(spec.strategy.hash))
        sources.set(spec.strategy.hash, source)
      }
      let candles = datasets.get(spec.dataset.hash)
      if (candles === undefined) {
        candles = decodeDataset(await opts.blobStore.get(spec.dataset.hash))
        if (datasets.size >= MAX_CACHED_DATASETS) datasets.delete(datasets.keys().next().value as string)
        datasets.set(spec.dataset.hash, candles)
      }
      if (candles.length !== spec.dataset.bars) throw new StratmeshError('JOB_DATASET_MISMATCH', `the dataset has ${candles.length} bars, the job expects ${spec.dataset.bars}`)
      jobs.set(jobId, { key: jobId, source, fileName: `${spec.strategy.name}.ts`, candles, spec })
    } catch (err) {
      broken.set(jobId, `${(err as StratmeshError).code ?? 'ERROR'}: ${(err as Error).message}`)
    } finally {
      loading.delete(jobId)
      opts.onChange()
    }
  }

  return {
    readiness (jobId, spec) {
      if (spec.engineVersion !== engineVersion) {
        return { ready: false, reason: `needs engine version ${spec.engineVersion}; this peer runs ${engineVersion}`, permanent: true }
      }
      const bad = broken.get(jobId)
      if (bad !== undefined) return { ready: false, reason: bad, permanent: true }
      const job = jobs.get(jobId)
      if (job !== undefined) return { ready: true, job }
      const waiting = ensureBlob(spec.strategy.hash, 'strategy') ?? ensureBlob(spec.dataset.hash, 'dataset')
      if (waiting !== null) return { ready: false, reason: waiting, permanent: false }
      if (!loading.has(jobId)) { loading.add(jobId); void load(jobId, spec) }
      return { ready: false, reason: 'loading', permanent: false }
    },
    markBroken (jobId, reason) {
      broken.set(jobId, reason)
      jobs.delete(jobId)
    },
    onBlobStored (cb) { stored.push(cb) },
  }
}
