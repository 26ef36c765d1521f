/**
 * A peer: everything one machine runs. It joins the mesh (libp2p with the mesh secret's private
 * network), replicates the ledger, shares blobs, and works on every job it can through the
 * scheduler and its evaluator pool. It is also the PeerControl behind the local API.
 *
 * The services are built and started by peer-services.ts through one ServiceStack (started in
 * order, stopped in reverse); this class holds them while they run and answers requests.
 */
import { mkdir } from 'node:fs/promises'
import { availableParallelism, hostname } from 'node:os'
import { resolve } from 'node:path'
import { StratmeshError } from '../protocol/errors.js'
import { swarmKeyFromSecret } from '../protocol/swarm-key.js'
import type { BoardView, DashboardControl, JobProgressView, RowDetailView } from './dashboard/index.js'
import { machineMemoryBytes, memoryPlanText, planMemory, type MemoryPlan } from './evaluators/index.js'
import { checkMeshSecret, loadOrCreateIdentity, resolveMeshSecret, type MeshSecret } from './mesh/index.js'
import { createServiceStack, type ServiceStack } from './lifecycle.js'
import { createPeerEvents, type PeerEvents } from './peer-events.js'
import { memoryStatus } from './peer-memory.js'
import { jobResults, peerStatus, submitJob } from './peer-requests.js'
import { startPeerServices, type PeerServices } from './peer-services.js'
import type { BacktestControl, BacktestRequest, BacktestResult, PeerControl, PeerStatus, ResultsView, SubmitRequest, SubmitResult } from './peer-types.js'
import type { ForgetResult, JobControl, JobControlResult, JobListView } from './peer-types.js'
import { cancelJob, forgetJob, listJobs, setJobPriority } from './peer-jobs.js'
import { runBacktest } from './work/index.js'

/** Peer names are shown in tables; longer ones are cut (the ledger refuses more than 64). */
const MAX_NAME_CHARS = 64

export interface PeerOptions {
  readonly dataDir: string
  readonly name?: string
  /** Evaluator processes; default sized with the cache from the machine's memory and cores (evaluators/memory-plan.ts). */
  readonly cpus?: number
  /** Indicator cache per evaluator, in MiB; default sized from the machine (evaluators/memory-plan.ts). */
  readonly cacheMb?: number
  readonly listen?: string[]
  readonly bootstrap?: string[]
  readonly mdns: boolean
  /** The mesh secret; without it, the one stored in the data dir, else a new one. */
  readonly secret?: string
  /** Where `secret` came from (`STRATMESH_SECRET`, `--secret-file <path>`), for its error messages. */
  readonly secretFrom?: string
  readonly leaseTtlMs?: number
  readonly evalTimeoutMs?: number
  readonly clock?: () => number
  readonly log?: (line: string) => void
  /**
   * TEST ONLY: the engine bundle file this peer runs as its own (jobs it submits name it) instead
   * of the one it was built with; tests of peers of different builds need one that differs. It
   * runs every other job with that job's bundle, as any peer does. Never set by the CLI.
   */
  readonly engineBundleFileForTest?: string
}

export interface Peer extends PeerControl, DashboardControl, BacktestControl, JobControl {
  readonly id: string
  readonly secretInfo: MeshSecret
  start (): Promise<void>
  listenAddresses (): string[]
  /** Resolves once the peer has stopped (by stop(), the API, or a signal handler). */
  stopped (): Promise<void>
}

export async function createPeer (options: PeerOptions): Promise<Peer> {
  const dataDir = resolve(options.dataDir)
  // Checked before anything is written: a start refused for its secret leaves no files behind.
  if (options.secret !== undefined) checkMeshSecret(options.secret, options.secretFrom ?? 'the peer options')
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const clock = options.clock ?? Date.now
  const log = options.log ?? (() => {})
  const identity = await loadOrCreateIdentity(dataDir)
  const secret = await resolveMeshSecret({ dataDir, ...(options.secret === undefined ? {} : { given: options.secret }), ...(options.secretFrom === undefined ? {} : { givenFrom: options.secretFrom }) })
  const memoryPlan = planMemory({
    totalBytes: machineMemoryBytes(),
    cores: availableParallelism(),
    ...(options.cpus === undefined ? {} : { cpus: Math.max(1, Math.floor(options.cpus)) }),
    ...(options.cacheMb === undefined ? {} : { cacheMb: options.cacheMb }),
  })
  log(memoryPlanText(memoryPlan))
  for (const warning of memoryPlan.warnings) log(warning)
  const cores = memoryPlan.evaluators
  const name = (options.name ?? hostname()).slice(0, MAX_NAME_CHARS) || 'peer'
  return new MeshPeer({ ...options, dataDir, clock, log, cores, name, memoryPlan, cacheMb: memoryPlan.cacheBytes / (1024 * 1024), memoryMb: memoryPlan.isolateMemoryMb }, identity, secret)
}

interface Resolved extends PeerOptions { readonly dataDir: string, readonly clock: () => number, readonly log: (line: string) => void, readonly cores: number, readonly name: string, readonly memoryPlan: MemoryPlan, readonly memoryMb: number }

class MeshPeer implements Peer {
  readonly id: string
  readonly secretInfo: MeshSecret
  private readonly opts: Resolved
  private readonly identity: Awaited<ReturnType<typeof loadOrCreateIdentity>>
  private readonly events: PeerEvents
  private readonly stack: ServiceStack
  /** Set once every service has started; null before that and after a failed start. */
  private services: PeerServices | null = null
  private startedAt = 0
  private readonly lastSeen = new Map<string, number>()
  private state: 'new' | 'running' | 'stopping' | 'stopped' = 'new'
  private markDone: () => void = () => {}
  private readonly done = new Promise<void>(resolve => { this.markDone = resolve })
  private stopPromise: Promise<void> | null = null

  constructor (opts: Resolved, identity: Awaited<ReturnType<typeof loadOrCreateIdentity>>, secret: MeshSecret) {
    this.opts = opts
    this.identity = identity
    this.id = identity.peerId.toString()
    this.secretInfo = secret
    this.events = createPeerEvents(opts.log)
    this.stack = createServiceStack(opts.log)
    const seen = (peer: string): void => { this.lastSeen.set(peer, opts.clock()) }
    this.events.on('peer:connect', ({ peer }) => { seen(peer) })
    this.events.on('peer:disconnect', ({ peer }) => { seen(peer) })
    this.events.on('entry', ev => { if (!ev.local) seen(ev.entry.author) })
    this.events.on('unit:committed', ({ unit, checkpoint: cp }) => {
      opts.log(`committed island ${unit.island} epoch ${unit.epoch} of job ${unit.jobId.slice(0, 12)} (${cp.evaluations} evaluations, best ${cp.best[0]?.fitness ?? '-'})`)
    })
  }

  async start (): Promise<void> {
    if (this.state !== 'new') throw new StratmeshError('PEER_STATE', `cannot start a peer that is ${this.state}`)
    const { opts } = this
    this.startedAt = opts.clock()
    try {
      this.services = await startPeerServices({
        ...opts,
        self: this.id,
        privateKey: this.identity.privateKey,
        swarmKey: swarmKeyFromSecret(this.secretInfo.secret),
      }, this.events, this.stack)
      this.state = 'running'
    } catch (err) {
      await this.teardown()
      throw err
    }
  }

  listenAddresses (): string[] {
    return this.services === null ? [] : this.services.node.getMultiaddrs().map(a => a.toString())
  }

  async status (): Promise<PeerStatus> {
    const services = this.running()
    const { opts } = this
    const status = peerStatus(services, {
      id: this.id,
      name: opts.name,
      cores: opts.cores,
      dataDir: opts.dataDir,
      startedAt: this.startedAt,
      now: opts.clock(),
      lastSeen: this.lastSeen,
    })
    return { ...status, memory: memoryStatus(services.pool, opts.memoryPlan) }
  }

  async results (jobId: string | undefined, top: number): Promise<ResultsView> {
    return await jobResults(this.running(), jobId, top)
  }

  async submit (req: SubmitRequest): Promise<SubmitResult> {
    return await submitJob(this.running(), req, this.opts.log)
  }

  /** Runs in an evaluator of its own and publishes nothing (work/backtest-run.ts). */
  async backtest (req: BacktestRequest): Promise<BacktestResult> {
    const services = this.running()
    return await runBacktest(req, {
      pool: services.pool,
      engine: services.engine,
      results: async (jobId, top) => jobResults(services, jobId, top),
      readiness: (jobId, spec) => services.library.readiness(jobId, spec),
      clock: this.opts.clock,
    })
  }

  async jobs (): Promise<JobListView> {
    return listJobs(this.running(), this.opts.clock())
  }

  async cancel (job: string): Promise<JobControlResult> {
    return await cancelJob(this.running(), job)
  }

  async priority (job: string, priority: number): Promise<JobControlResult> {
    return await setJobPriority(this.running(), job, priority)
  }

  async forget (job: string): Promise<ForgetResult> {
    return await forgetJob(this.running(), job, this.opts.clock())
  }

  async board (jobId: string | undefined, top: number): Promise<BoardView> {
    return await this.running().dashboard.board(jobId, top)
  }

  async progress (jobId: string | undefined): Promise<JobProgressView> {
    return await this.running().dashboard.progress(jobId)
  }

  async rowDetail (jobId: string, rowId: string): Promise<RowDetailView> {
    return await this.running().dashboard.rowDetail(jobId, rowId)
  }

  stop (): Promise<void> {
    this.stopPromise ??= (async () => {
      if (this.state === 'running' && this.services !== null) {
        this.state = 'stopping'
        await this.services.scheduler.stop()
        // Give gossip a moment to carry the releases, so others need not wait out the leases.
        await this.services.replicator.syncNow().catch(() => {})
      }
      await this.teardown()
    })()
    return this.stopPromise
  }

  stopped (): Promise<void> {
    return this.done
  }

  private async teardown (): Promise<void> {
    await this.stack.stop()
    this.state = 'stopped'
    this.markDone()
  }

  /** The services, while the peer runs; a request at any other time fails with PEER_STATE. */
  private running (): PeerServices {
    if (this.state !== 'running' || this.services === null) throw new StratmeshError('PEER_STATE', `the peer is ${this.state}`)
    return this.services
  }
}
