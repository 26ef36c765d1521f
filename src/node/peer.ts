/**
 * A peer: everything one machine runs. It joins the mesh (libp2p with the mesh secret's private
 * network), replicates the ledger, shares blobs, and works on every job it can through the
 * scheduler and its evaluator pool. It is also the PeerControl behind the local API.
 */
import { mkdir } from 'node:fs/promises'
import { availableParallelism, hostname } from 'node:os'
import { resolve } from 'node:path'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { StratmeshError } from '../protocol/errors.js'
import type { HelloBody } from '../protocol/entry-bodies.js'
import { MAX_HELLO_ADDRS, MAX_HELLO_ADDR_CHARS } from '../protocol/limits.js'
import { swarmKeyFromSecret } from '../protocol/swarm-key.js'
import { ENGINE_VERSION } from '../protocol/job-spec.js'
import { jobId as jobIdOf } from '../engine/job-setup.js'
import { jobs, leaderboard, peers as helloPeers } from '../ledger/queries.js'
import { createBlobStore, type BlobStore } from './blobs/blob-store.js'
import { createBlobSync, type BlobSync } from './blobs/blob-sync.js'
import { createCommitVerifier, type CommitVerifier } from './work/commit-verifier.js'
import { createDashboardData, type DashboardData } from './dashboard/data.js'
import type { BoardView, DashboardControl, JobProgressView, RowDetailView } from './dashboard/types.js'
import { createEvaluatorPool, type EvaluatorPool } from './evaluators/pool.js'
import { loadOrCreateIdentity } from './mesh/identity.js'
import { createJobLibrary } from './work/job-library.js'
import { prepareJob } from './work/job-inputs.js'
import { createPeerNode, type PeerNode } from './mesh/libp2p-node.js'
import { createLogStore, type LogStore } from './replication/log-store.js'
import { resolveMeshSecret, type MeshSecret } from './mesh/secret.js'
import { buildStatus } from './peer-status.js'
import type { PeerControl, PeerStatus, ResultsView, SubmitRequest, SubmitResult } from './peer-types.js'
import { createReplicator, type Replicator } from './replication/replicator.js'
import { logStoreLog } from './replication/replicated-log.js'
import { messageRejections } from './replication/stats.js'
import { createScheduler, WAKE_CLAIM_HOLD_MS, type Scheduler } from './work/scheduler.js'

/** Peer names are shown in tables; longer ones are cut (the ledger refuses more than 64). */
const MAX_NAME_CHARS = 64

/** The multiaddr protocol code of /p2p/<peer id>. */
const P2P_CODE = 421

function sameList (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

/**
 * After waking up, a connection from before the sleep must answer a ping within this long or it
 * is dropped and its peer dialled again. Peers share a LAN: a live one answers in milliseconds.
 */
export const WAKE_PROBE_TIMEOUT_MS = 2_000

export interface PeerOptions {
  readonly dataDir: string
  readonly name?: string
  readonly cpus?: number
  /** Indicator cache per evaluator, in MiB; default sized from the machine (cache-budget.ts). */
  readonly cacheMb?: number
  readonly listen?: string[]
  readonly bootstrap?: string[]
  readonly mdns: boolean
  /** From --secret; STRATMESH_SECRET is read by the caller and passed as `secretEnv`. */
  readonly secret?: string
  readonly secretEnv?: string
  readonly leaseTtlMs?: number
  readonly evalTimeoutMs?: number
  readonly clock?: () => number
  readonly log?: (line: string) => void
  /**
   * TEST ONLY: the engine version this peer announces and runs jobs of, instead of the
   * ENGINE_VERSION it was built with; the LAN test of a mixed-version mesh needs a peer that
   * differs. Jobs it submits still carry the real version. Never set by the CLI.
   */
  readonly engineVersionForTest?: string
}

export interface Peer extends PeerControl, DashboardControl {
  readonly id: string
  readonly secretInfo: MeshSecret
  start (): Promise<void>
  listenAddresses (): string[]
  /** Resolves once the peer has stopped (by stop(), the API, or a signal handler). */
  stopped (): Promise<void>
}

export async function createPeer (options: PeerOptions): Promise<Peer> {
  const dataDir = resolve(options.dataDir)
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  const clock = options.clock ?? Date.now
  const log = options.log ?? (() => {})
  const identity = await loadOrCreateIdentity(dataDir)
  const secret = await resolveMeshSecret({ dataDir, ...(options.secret === undefined ? {} : { flag: options.secret }), ...(options.secretEnv === undefined ? {} : { env: options.secretEnv }) })
  const cores = Math.max(1, Math.floor(options.cpus ?? availableParallelism()))
  const name = (options.name ?? hostname()).slice(0, MAX_NAME_CHARS) || 'peer'
  return new MeshPeer({ ...options, dataDir, clock, log, cores, name }, identity, secret)
}

interface Resolved extends PeerOptions { readonly dataDir: string, readonly clock: () => number, readonly log: (line: string) => void, readonly cores: number, readonly name: string }

class MeshPeer implements Peer {
  readonly id: string
  readonly secretInfo: MeshSecret
  private readonly opts: Resolved
  private readonly identity: Awaited<ReturnType<typeof loadOrCreateIdentity>>
  private logStore!: LogStore
  private blobStore!: BlobStore
  private node!: PeerNode
  private replicator!: Replicator
  private blobSync!: BlobSync
  private pool!: EvaluatorPool
  private scheduler!: Scheduler
  private verifier!: CommitVerifier
  private dashboard!: DashboardData
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
  }

  async start (): Promise<void> {
    if (this.state !== 'new') throw new StratmeshError('PEER_STATE', `cannot start a peer that is ${this.state}`)
    const { opts } = this
    this.startedAt = opts.clock()
    this.logStore = createLogStore({ dataDir: opts.dataDir, privateKey: this.identity.privateKey, clock: opts.clock })
    await this.logStore.start()
    try {
      this.blobStore = createBlobStore({ dataDir: opts.dataDir })
      this.node = await createPeerNode({
        privateKey: this.identity.privateKey,
        ...(opts.listen === undefined ? {} : { listen: opts.listen }),
        ...(opts.bootstrap === undefined ? {} : { bootstrap: opts.bootstrap }),
        mdns: opts.mdns,
        swarmKey: swarmKeyFromSecret(this.secretInfo.secret),
        notice: opts.log,
      })
      this.node.addEventListener('peer:connect', evt => { this.lastSeen.set(evt.detail.toString(), opts.clock()); this.scheduler?.kick() })
      this.node.addEventListener('peer:disconnect', evt => { this.lastSeen.set(evt.detail.toString(), opts.clock()) })
      this.logStore.on('entry', ev => {
        if (!ev.local) this.lastSeen.set(ev.entry.author, opts.clock())
        if (!ev.local && ev.entry.type === 'commit') this.verifier?.kick()
        this.scheduler?.kick()
      })
      this.replicator = createReplicator({ node: this.node, log: logStoreLog(this.logStore) })
      await this.replicator.start()
      this.blobSync = createBlobSync({ node: this.node, blobStore: this.blobStore })
      await this.blobSync.start()
      this.pool = createEvaluatorPool({
        size: opts.cores,
        ...(opts.evalTimeoutMs === undefined ? {} : { evalTimeoutMs: opts.evalTimeoutMs }),
        ...(opts.cacheMb === undefined ? {} : { cacheMb: opts.cacheMb }),
      })
      await this.pool.start()
      const library = createJobLibrary({
        engineVersion: this.engineVersion(),
        blobStore: this.blobStore,
        blobSync: this.blobSync,
        state: () => this.logStore.state(),
        self: this.id,
        connected: () => this.node.getPeers(),
        clock: opts.clock,
        onChange: () => { this.verifier?.kick(); this.scheduler?.kick() },
        log: opts.log,
      })
      library.onBlobStored((hash, size, kind) => {
        // Having fetched it, we can serve it too.
        this.logStore.append('blob-have', { blobs: [{ hash, size, kind }] }).catch(err => { opts.log(`announce: ${(err as Error).message}`) })
      })
      this.verifier = createCommitVerifier({
        self: this.id,
        dataDir: opts.dataDir,
        state: () => this.logStore.state(),
        library,
        pool: this.pool,
        onChange: () => { this.scheduler?.kick() },
        log: opts.log,
      })
      await this.verifier.start()
      this.scheduler = createScheduler({
        logStore: this.logStore,
        trust: this.verifier.trust,
        vouch: async hash => { await this.verifier.vouch(hash) },
        pool: this.pool,
        library,
        capacity: opts.cores,
        clock: opts.clock,
        ...(opts.leaseTtlMs === undefined ? {} : { leaseTtlMs: opts.leaseTtlMs }),
        log: opts.log,
        onWake: async () => { await this.rejoin() },
        onCommit: (unit, cp) => { opts.log(`committed island ${unit.island} epoch ${unit.epoch} of job ${unit.jobId.slice(0, 12)} (${cp.evaluations} evaluations, best ${cp.best[0]?.fitness ?? '-'})`) },
      })
      this.dashboard = createDashboardData({
        state: () => this.logStore.state(),
        running: () => this.scheduler.running(),
        results: async (jobId, top) => await this.results(jobId, top),
        readiness: (jobId, spec) => library.readiness(jobId, spec),
        detail: async (job, params) => await this.pool.detail(job, params),
        clock: opts.clock,
        log: opts.log,
        trust: this.verifier.trust,
      })
      await this.sayHello()
      this.logStore.on('entry', ev => { if (ev.entry.type === 'hello') this.learnAddresses(ev.entry.author, (ev.entry.body as HelloBody).addrs) })
      for (const p of helloPeers(this.logStore.state())) this.learnAddresses(p.author, p.addrs)
      // Restarting with unfinished jobs: the others may have finished units since this ledger
      // was written. Sync before claiming (bounded), as after a sleep.
      if (jobs(this.logStore.state(), this.verifier.trust).some(j => !j.done)) this.scheduler.holdUntil(this.syncWhenConnected(() => this.node.getConnections().length > 0))
      this.scheduler.start()
      this.state = 'running'
      this.dashboard.start()
    } catch (err) {
      await this.teardown()
      throw err
    }
  }

  /**
   * After a sleep: probe the old connections, re-dial at once instead of waiting for the next
   * timers, and re-sync as soon as a peer is back. The scheduler claims nothing new until this
   * settles (at most WAKE_CLAIM_HOLD_MS), so the woken peer does not redo finished units.
   */
  private async rejoin (): Promise<void> {
    const before = new Set(this.node.getConnections().map(c => c.id))
    let answered = false
    // Connections from before the sleep may be dead without knowing it yet: probe each, drop
    // the silent ones (the dialer then dials their peers again).
    for (const conn of this.node.getConnections()) {
      this.node.services.ping.ping(conn.remotePeer, { signal: AbortSignal.timeout(WAKE_PROBE_TIMEOUT_MS) })
        .then(() => { answered = true })
        .catch(() => { conn.abort(new StratmeshError('PEER_SILENT_AFTER_WAKE', 'no answer to a ping after waking up')) })
    }
    this.node.services.meshDialer.wake()
    // An old connection that answered, or a new one, is a peer to sync with.
    await this.syncWhenConnected(() => answered || this.node.getConnections().some(c => !before.has(c.id)))
  }

  /** Waits (at most WAKE_CLAIM_HOLD_MS) until `live()`, then pulls from every connected peer. */
  private async syncWhenConnected (live: () => boolean): Promise<void> {
    for (let waited = 0; waited < WAKE_CLAIM_HOLD_MS && this.state !== 'stopping' && this.state !== 'stopped' && !live(); waited += 100) {
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    if (this.state === 'stopping' || this.state === 'stopped' || !live()) return
    await this.replicator.syncNow()
  }

  private engineVersion (): string {
    return this.opts.engineVersionForTest ?? ENGINE_VERSION
  }

  private async sayHello (): Promise<void> {
    const mine = helloPeers(this.logStore.state()).find(p => p.author === this.id)
    const engineVersion = this.engineVersion()
    const addrs = this.helloAddrs()
    if (mine !== undefined && mine.engineVersion === engineVersion && mine.cores === this.opts.cores && mine.name === this.opts.name && sameList(mine.addrs ?? [], addrs)) return
    await this.logStore.append('hello', { engineVersion, cores: this.opts.cores, name: this.opts.name, addrs })
  }

  /** The addresses other members may dial us at (as announced: no loopback when there is more). */
  private helloAddrs (): string[] {
    return this.node.getMultiaddrs().map(a => a.toString()).filter(a => a.length <= MAX_HELLO_ADDR_CHARS).sort().slice(0, MAX_HELLO_ADDRS)
  }

  /**
   * Members announce their addresses in their hello. A peer that met the mesh through one
   * bootstrap peer (no mDNS across a VPN) learns the others from the ledger and dials them, so the
   * mesh does not hang on that one peer. Addresses go to the peer store; the dialer does the rest.
   */
  private learnAddresses (author: string, addrs: readonly string[] | undefined): void {
    if (author === this.id || addrs === undefined || addrs.length === 0) return
    let peerId
    try { peerId = peerIdFromString(author) } catch { return }
    if (this.node.getConnections(peerId).length > 0) return
    const multiaddrs = []
    for (const a of addrs) {
      try { multiaddrs.push(multiaddr(a).decapsulateCode(P2P_CODE)) } catch {}
    }
    if (multiaddrs.length === 0) return
    this.node.peerStore.merge(peerId, { multiaddrs })
      .then(() => { this.node.services.meshDialer.sighted(peerId) })
      .catch(err => { this.opts.log(`addresses of ${author.slice(-8)}: ${(err as Error).message}`) })
  }

  listenAddresses (): string[] {
    return this.node === undefined ? [] : this.node.getMultiaddrs().map(a => a.toString())
  }

  private connections (): Map<string, string[]> {
    const out = new Map<string, string[]>()
    for (const conn of this.node.getConnections()) {
      const id = conn.remotePeer.toString()
      const list = out.get(id) ?? []
      list.push(conn.remoteAddr.toString())
      out.set(id, list)
      this.lastSeen.set(id, this.opts.clock())
    }
    return out
  }

  async status (): Promise<PeerStatus> {
    this.assertRunning()
    const replication = this.replicator.stats()
    return buildStatus({
      state: this.logStore.state(),
      now: this.opts.clock(),
      self: {
        id: this.id,
        name: this.opts.name,
        cores: this.opts.cores,
        dataDir: this.opts.dataDir,
        startedAt: this.startedAt,
        listen: this.listenAddresses(),
        evalsPerSec: this.pool.stats().evaluationsPerSecond,
        running: this.scheduler.running().length,
        engineVersion: this.engineVersion(),
      },
      connections: this.connections(),
      lastSeen: this.lastSeen,
      blocked: this.scheduler.blocked(),
      rejected: this.logStore.rejectedCounts(),
      refusedMessages: messageRejections(replication),
      syncErrors: replication.syncErrors,
      trust: this.verifier.trust,
      verification: this.verifier.stats(),
    })
  }

  async results (jobId: string | undefined, top: number): Promise<ResultsView> {
    this.assertRunning()
    const all = jobs(this.logStore.state(), this.verifier.trust)
    const job = jobId === undefined ? all.at(-1) : all.find(j => j.id === jobId || (jobId.length >= 8 && j.id.startsWith(jobId)))
    if (job === undefined) {
      throw new StratmeshError('JOB_NOT_FOUND', jobId === undefined ? 'no job has been submitted to this mesh yet' : `no job ${jobId} is known to this peer`, { details: { job: jobId } })
    }
    return {
      job: { id: job.id, spec: job.spec, submitter: job.submitter, committed: job.committed, total: job.total },
      done: job.done,
      leaderboard: leaderboard(this.logStore.state(), job.id, top, this.verifier.trust),
    }
  }

  async submit (req: SubmitRequest): Promise<SubmitResult> {
    this.assertRunning()
    const prepared = await prepareJob(req, { pool: this.pool, blobStore: this.blobStore })
    const id = jobIdOf(prepared.spec)
    const existing = this.logStore.state().jobs.has(id)
    if (!existing) {
      await this.logStore.append('blob-have', {
        blobs: [
          { hash: prepared.strategy.hash, size: prepared.strategy.size, kind: 'strategy' },
          { hash: prepared.dataset.hash, size: prepared.dataset.size, kind: 'dataset' },
        ],
      })
      await this.logStore.append('job', { spec: prepared.spec, id })
      this.opts.log(`submitted job ${id.slice(0, 12)}: ${prepared.strategy.name} on ${prepared.dataset.name}`)
    }
    this.scheduler.kick()
    return {
      jobId: id,
      spec: prepared.spec,
      existing,
      strategy: { name: prepared.strategy.name, hash: prepared.strategy.hash },
      dataset: { name: prepared.dataset.name, hash: prepared.dataset.hash, bars: prepared.dataset.bars, ...(prepared.dataset.gaps === undefined ? {} : { gaps: prepared.dataset.gaps }) },
    }
  }

  async board (jobId: string | undefined, top: number): Promise<BoardView> {
    this.assertRunning()
    return await this.dashboard.board(jobId, top)
  }

  async progress (jobId: string | undefined): Promise<JobProgressView> {
    this.assertRunning()
    return await this.dashboard.progress(jobId)
  }

  async rowDetail (jobId: string, rowId: string): Promise<RowDetailView> {
    this.assertRunning()
    return await this.dashboard.rowDetail(jobId, rowId)
  }

  stop (): Promise<void> {
    this.stopPromise ??= (async () => {
      if (this.state === 'running') {
        this.state = 'stopping'
        await this.scheduler.stop()
        // Give gossip a moment to carry the releases, so others need not wait out the leases.
        await this.replicator.syncNow().catch(() => {})
      }
      await this.teardown()
    })()
    return this.stopPromise
  }

  stopped (): Promise<void> {
    return this.done
  }

  private async teardown (): Promise<void> {
    const step = async (what: string, fn: (() => Promise<void>) | undefined): Promise<void> => {
      if (fn === undefined) return
      try { await fn() } catch (err) { this.opts.log(`stopping ${what}: ${(err as Error).message}`) }
    }
    this.dashboard?.stop()
    await step('checks', this.verifier === undefined ? undefined : async () => { await this.verifier.stop() })
    await step('evaluators', this.pool === undefined ? undefined : async () => { await this.pool.stop() })
    await step('blob sync', this.blobSync === undefined ? undefined : async () => { await this.blobSync.stop() })
    await step('replicator', this.replicator === undefined ? undefined : async () => { await this.replicator.stop() })
    await step('network', this.node === undefined ? undefined : async () => { await this.node.stop() })
    await step('ledger', this.logStore === undefined ? undefined : async () => { await this.logStore.stop() })
    this.state = 'stopped'
    this.markDone()
  }

  private assertRunning (): void {
    if (this.state !== 'running') throw new StratmeshError('PEER_STATE', `the peer is ${this.state}`)
  }
}
