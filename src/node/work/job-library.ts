/**
 * What this peer needs to run a job: its engine bundle, strategy source and decoded candles,
 * fetched by hash from any peer that announced them and verified before use. A job whose blobs are
 * missing, whose engine bundle speaks an isolate interface our evaluators do not, or whose engine
 * computes other bits here than on the submitter's machine (another runtime fingerprint) is
 * reported with the reason, never run and never crashed on.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import { jobDatasets, type JobSpec } from '../../protocol/job-spec.js'
import { decodeDataset } from '../../engine/data/dataset-codec.js'
import { blobHolders } from '../../ledger/queries.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { Candles } from '../../protocol/types.js'
import type { BlobStore, BlobSync } from '../blobs/index.js'
import type { PoolJob } from '../evaluators/index.js'
import type { BlobKind } from '../../protocol/entry-bodies.js'
import type { PeerEvents } from '../peer-events.js'
import type { JobStops } from './job-stops.js'
import type { ForgottenJobs } from './forgotten-jobs.js'

/** Why a forgotten job does not run here: also what the verifier logs for its commits. */
export const FORGOTTEN_REASON = 'forgotten on this peer (peer forget): its blobs are not fetched and its commits not checked here'

/**
 * Wait this long before asking the mesh again for a blob that failed to arrive. A blob that failed
 * only because no connected peer had it is asked for as soon as one has it (see `servable`).
 */
export const BLOB_RETRY_MS = 5_000
/**
 * Decoded datasets kept in memory: a few jobs on one or two datasets is the common case. A basket
 * job holds its own symbols' candles in its loaded job whatever this keeps.
 */
const MAX_CACHED_DATASETS = 4
/**
 * Largest engine bundle a job may name: the engine is about 80 KB of script; a bundle far beyond
 * that is not an engine, and each evaluator of the job holds its text.
 */
export const MAX_ENGINE_BUNDLE_BYTES = 16 * 1024 * 1024

export type JobReadiness =
  | { readonly ready: true, readonly job: PoolJob }
  | { readonly ready: false, readonly reason: string, readonly permanent: boolean }

export interface JobLibrary {
  /** Where the job stands now; starts fetching missing blobs in the background. */
  readiness (jobId: string, spec: JobSpec): JobReadiness
  /**
   * Stops a job here with an error every unit of it would hit (`breaksJob`); the stop is kept
   * across restarts. Resolves once it is on disk.
   */
  markBroken (jobId: string, reason: string): Promise<void>
  /** Why the job was marked broken or stopped here (`CODE: message`), or undefined; starts nothing. */
  brokenReason (jobId: string): string | undefined
  /** Drops what is kept in memory of a job forgotten here and of its deleted blobs (`peer forget`). */
  forget (jobId: string, deletedBlobs: readonly string[]): Promise<void>
}

/**
 * What the library works with. It emits `job:readiness` when a job's readiness may have changed
 * and `blob:stored` when a blob finished downloading (so it can be announced).
 */
export interface JobLibraryComponents {
  readonly blobStore: Pick<BlobStore, 'has' | 'get'>
  readonly blobSync: Pick<BlobSync, 'fetchBlob'>
  readonly state: () => LedgerState
  /** Connected peers (only those can serve a blob now). */
  readonly connected: () => PeerId[]
  readonly events: PeerEvents
  readonly clock: () => number
  readonly log: (line: string) => void
  /** The runtime fingerprint of an engine bundle on this machine (the evaluator pool's, kept by hash). */
  readonly fingerprint: (engine: string) => Promise<string>
  /** Where stops outlive a restart; without it they last until this process ends. */
  readonly stops?: Pick<JobStops, 'reason' | 'record' | 'drop'>
  /** Jobs forgotten here: never loaded again, their blobs never fetched again. */
  readonly forgotten?: Pick<ForgottenJobs, 'has'>
}

export interface JobLibraryInit {
  readonly self: string
}

interface BlobSlot {
  status: 'absent' | 'fetching' | 'failed' | 'present'
  error?: string
  retryAt?: number
  /** The failure was that no connected peer had announced the blob (nothing was transferred). */
  unavailable?: boolean
}

class BlobJobLibrary implements JobLibrary {
  private readonly blobs = new Map<string, BlobSlot>()
  private readonly sources = new Map<string, string>()
  /** Engine bundles whose fingerprint checked out, by `hash/fingerprint`. */
  private readonly engines = new Map<string, string>()
  private readonly datasets = new Map<string, Candles>()
  private readonly broken = new Map<string, string>()
  private readonly jobs = new Map<string, PoolJob>()
  private readonly loading = new Set<string>()

  constructor (private readonly components: JobLibraryComponents, private readonly init: JobLibraryInit) {}

  readiness (jobId: string, spec: JobSpec): JobReadiness {
    if (this.components.forgotten?.has(jobId) === true) return { ready: false, reason: FORGOTTEN_REASON, permanent: true }
    const bad = this.brokenReason(jobId)
    if (bad !== undefined) return { ready: false, reason: bad, permanent: true }
    const job = this.jobs.get(jobId)
    if (job !== undefined) return { ready: true, job }
    const waiting = this.ensureBlob(spec.strategy.hash, 'strategy') ?? this.ensureDatasets(spec) ?? this.ensureBlob(spec.engine.hash, 'engine')
    if (waiting !== null) return { ready: false, reason: waiting, permanent: false }
    if (!this.loading.has(jobId)) { this.loading.add(jobId); void this.load(jobId, spec) }
    return { ready: false, reason: 'loading', permanent: false }
  }

  async markBroken (jobId: string, reason: string): Promise<void> {
    this.broken.set(jobId, reason)
    this.jobs.delete(jobId)
    await this.components.stops?.record(jobId, reason)
  }

  brokenReason (jobId: string): string | undefined {
    return this.broken.get(jobId) ?? this.components.stops?.reason(jobId)
  }

  async forget (jobId: string, deletedBlobs: readonly string[]): Promise<void> {
    await this.components.stops?.drop(jobId)
    this.jobs.delete(jobId)
    this.broken.delete(jobId)
    for (const hash of deletedBlobs) {
      this.blobs.delete(hash)
      this.sources.delete(hash)
      this.datasets.delete(hash)
    }
  }

  private slot (hash: string): BlobSlot {
    let s = this.blobs.get(hash)
    if (s === undefined) { s = { status: 'absent' }; this.blobs.set(hash, s) }
    return s
  }

  /** Other peers that announced the blob and are connected now. */
  private connectedHolders (hash: string): { holders: number, from: PeerId[], size: number } {
    const holders = blobHolders(this.components.state(), hash).filter(h => h.author !== this.init.self)
    const connected = new Set(this.components.connected().map(p => p.toString()))
    const from = holders.filter(h => connected.has(h.author)).map(h => peerIdFromString(h.author))
    return { holders: holders.length, from, size: holders[0]?.size ?? 0 }
  }

  /**
   * A blob nobody connected could serve becomes servable when a connected peer announces it (it
   * fetched the blob itself) or a holder connects. Waiting out BLOB_RETRY_MS then would idle this
   * peer: a job submitted on one leaf of a bootstrap star reaches the other leaves this way.
   */
  private servable (hash: string, s: BlobSlot): boolean {
    return s.unavailable === true && this.connectedHolders(hash).from.length > 0
  }

  /** Every dataset blob of the job (each symbol of a basket); a reason while one is missing. */
  private ensureDatasets (spec: JobSpec): string | null {
    for (const d of jobDatasets(spec)) {
      const waiting = this.ensureBlob(d.hash, 'dataset')
      if (waiting !== null) return spec.basket === undefined ? waiting : `symbol ${d.name}: ${waiting}`
    }
    return null
  }

  /** A dataset's candles, decoded once and kept for a while; its bar count must be the job's. */
  private async candles (d: { readonly hash: string, readonly name: string, readonly bars: number }): Promise<Candles> {
    let candles = this.datasets.get(d.hash)
    if (candles === undefined) {
      candles = decodeDataset(await this.components.blobStore.get(d.hash))
      if (this.datasets.size >= MAX_CACHED_DATASETS) this.datasets.delete(this.datasets.keys().next().value as string)
      this.datasets.set(d.hash, candles)
    }
    if (candles.length !== d.bars) throw new StratmeshError('JOB_DATASET_MISMATCH', `the dataset ${d.name} has ${candles.length} bars, the job expects ${d.bars}`)
    return candles
  }

  /** Makes sure the blob is on disk (fetching it when needed); returns a reason while it is not. */
  private ensureBlob (hash: string, kind: BlobKind): string | null {
    const s = this.slot(hash)
    if (s.status === 'present') return null
    if (s.status === 'fetching') return `fetching the ${kind} blob`
    if (s.status === 'failed' && (s.retryAt ?? 0) > this.components.clock() && !this.servable(hash, s)) return `cannot get the ${kind} blob yet: ${s.error ?? 'unknown error'}`
    s.status = 'fetching'
    void this.fetchBlob(hash, kind, s)
    return `fetching the ${kind} blob`
  }

  private async fetchBlob (hash: string, kind: BlobKind, s: BlobSlot): Promise<void> {
    const { blobStore, blobSync, events, clock, log } = this.components
    try {
      if (!await blobStore.has(hash)) {
        const { holders, from, size } = this.connectedHolders(hash)
        if (from.length === 0) {
          throw new StratmeshError('BLOB_UNAVAILABLE', holders === 0 ? 'no peer has announced it' : `none of the ${holders} peers that have it is connected`)
        }
        log(`fetching ${kind} ${hash.slice(0, 12)} (${size} bytes) from ${from.length} peer(s)`)
        await blobSync.fetchBlob(hash, size, from)
        events.emit('blob:stored', { hash, size, kind })
      }
      s.status = 'present'
      delete s.error
    } catch (err) {
      s.status = 'failed'
      s.error = (err as Error).message
      s.retryAt = clock() + BLOB_RETRY_MS
      s.unavailable = isStratmeshError(err, 'BLOB_UNAVAILABLE')
      log(`${kind} blob ${hash.slice(0, 12)}: ${s.error}`)
    }
    events.emit('job:readiness')
  }

  private async engine (spec: JobSpec): Promise<string> {
    // By bundle and fingerprint: the check passes for a bundle only with the fingerprint it gives here.
    const key = `${spec.engine.hash}/${spec.engine.fingerprint}`
    let script = this.engines.get(key)
    if (script === undefined) {
      script = await checkedEngine(this.components, spec)
      this.engines.set(key, script)
    }
    return script
  }

  private async load (jobId: string, spec: JobSpec): Promise<void> {
    const { blobStore } = this.components
    try {
      let source = this.sources.get(spec.strategy.hash)
      if (source === undefined) {
        source = new TextDecoder('utf-8', { fatal: true }).decode(await blobStore.get(spec.strategy.hash))
        this.sources.set(spec.strategy.hash, source)
      }
      const candles = await this.candles(spec.dataset)
      const basket = spec.basket === undefined ? undefined : await Promise.all(spec.basket.datasets.map(async d => await this.candles(d)))
      const engine = await this.engine(spec)
      this.jobs.set(jobId, { key: jobId, engine, source, fileName: `${spec.strategy.name}.ts`, candles, spec, ...(basket === undefined ? {} : { basket }) })
    } catch (err) {
      this.broken.set(jobId, `${(err as StratmeshError).code ?? 'ERROR'}: ${(err as Error).message}`)
    } finally {
      this.loading.delete(jobId)
      this.components.events.emit('job:readiness')
    }
  }
}

/**
 * The job's engine bundle, once this machine's fingerprint for it matches the submitter's: the
 * bundle's results here are then the bits the submitter's machine computes, so commits agree.
 */
async function checkedEngine (components: Pick<JobLibraryComponents, 'blobStore' | 'fingerprint'>, spec: JobSpec): Promise<string> {
  const bytes = await components.blobStore.get(spec.engine.hash)
  if (bytes.byteLength > MAX_ENGINE_BUNDLE_BYTES) throw new StratmeshError('ENGINE_INTERFACE_UNSUPPORTED', `the engine bundle has ${bytes.byteLength} bytes, more than ${MAX_ENGINE_BUNDLE_BYTES}`)
  const script = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  const mine = await components.fingerprint(script)
  if (mine !== spec.engine.fingerprint) {
    throw new StratmeshError('ENGINE_FINGERPRINT_MISMATCH', `engine ${spec.engine.hash.slice(0, 12)} gives runtime fingerprint ${mine.slice(0, 12)} here and ${spec.engine.fingerprint.slice(0, 12)} on the submitter's machine, so results would differ`)
  }
  return script
}

export function createJobLibrary (components: JobLibraryComponents, init: JobLibraryInit): JobLibrary {
  return new BlobJobLibrary(components, init)
}
