/**
 * The services one peer runs, built in dependency order from explicit components and started
 * through one ServiceStack, so each one exists (and runs) before anything that uses it, and they
 * stop in reverse. Services talk to each other through PeerEvents, never through callbacks into
 * services built later.
 */
import type { PrivateKey } from '@libp2p/interface'
import { jobs } from '../ledger/queries.js'
import { createBlobStore, type BlobStore, createBlobSync, type BlobSync } from './blobs/index.js'
import { createDashboardData, type DashboardData } from './dashboard/index.js'
import { createEvaluatorPool, type EvaluatorPool } from './evaluators/index.js'
import { createPeerNode, type PeerNode } from './mesh/index.js'
import { createLogStore, type LogStore, logStoreLog, createReplicator, type Replicator } from './replication/index.js'
import { createCommitVerifier, type CommitVerifier, createJobStops, createForgottenJobs, type ForgottenJobs, createJobLibrary, type JobLibrary, createJobInterest, type JobInterest, createScheduler, type Scheduler, localEngine, type LocalEngine, createWalkForwardResults, type WalkForwardResults, createStatisticsKeeper, type StatisticsKeeper, claimCandidates } from './work/index.js'
import { ISOLATE_INTERFACE_VERSION } from '../engine/isolate/interface.js'
import type { ServiceStack } from './lifecycle.js'
import type { PeerEvents } from './peer-events.js'
import { createHello } from './peer-hello.js'
import { createRejoin } from './peer-rejoin.js'
import { jobResults } from './peer-requests.js'

export interface PeerServiceConfig {
  readonly self: string
  readonly privateKey: PrivateKey
  readonly swarmKey: Uint8Array
  readonly dataDir: string
  readonly name: string
  readonly cores: number
  /** TEST ONLY: the engine bundle this peer runs as its own (see PeerOptions). */
  readonly engineBundleFileForTest?: string
  readonly listen?: string[]
  readonly bootstrap?: string[]
  readonly mdns: boolean
  readonly cacheMb?: number
  /** Each evaluator's memory cap in MiB (the memory plan's; default the pool's). */
  readonly memoryMb?: number
  readonly leaseTtlMs?: number
  readonly evalTimeoutMs?: number
  readonly clock: () => number
  readonly log: (line: string) => void
}

export interface PeerServices {
  readonly logStore: LogStore
  readonly blobStore: BlobStore
  readonly node: PeerNode
  readonly replicator: Replicator
  readonly blobSync: BlobSync
  readonly pool: EvaluatorPool
  /** This peer's own engine bundle and its runtime fingerprint. */
  readonly engine: LocalEngine
  readonly library: JobLibrary
  /** Which finished jobs this peer leaves unfetched and unchecked until someone asks for them. */
  readonly interest: JobInterest
  readonly verifier: CommitVerifier
  readonly scheduler: Scheduler
  /** Walk-forward jobs' results, kept in memory once computed. */
  readonly walkForward: WalkForwardResults
  /** The overfitting statistics of complete jobs, computed here once each. */
  readonly statistics: StatisticsKeeper
  readonly dashboard: DashboardData
  /** Jobs forgotten on this peer (`peer forget`). */
  readonly forgotten: ForgottenJobs
}

type Transport = Pick<PeerServices, 'logStore' | 'blobStore' | 'node' | 'replicator' | 'blobSync'>
type Work = Pick<PeerServices, 'pool' | 'engine' | 'library' | 'interest' | 'verifier' | 'scheduler' | 'walkForward' | 'statistics' | 'forgotten'>

/** Builds and starts every service; on a failure, the caller stops `stack` (what had started). */
export async function startPeerServices (config: PeerServiceConfig, events: PeerEvents, stack: ServiceStack): Promise<PeerServices> {
  const transport = await startTransport(config, events, stack)
  const work = await startWork(config, events, stack, transport)
  const { logStore, node, replicator } = transport
  const { scheduler, verifier, pool, library, interest, engine, walkForward, statistics, forgotten } = work
  const rejoin = await stack.start('rejoin', createRejoin({ node, replicator, scheduler, events }))
  await stack.start('hello', createHello({ node, logStore, events, log: config.log }, { ...config, fingerprint: engine.fingerprint, isolateInterface: ISOLATE_INTERFACE_VERSION }))
  // Restarting with unfinished jobs: the others may have finished units since this ledger
  // was written. Sync before claiming (bounded), as after a sleep.
  if (jobs(logStore.state(), verifier.trust).some(j => !j.done && !interest.dormant(logStore.state(), j.id, verifier.trust))) scheduler.holdUntil(rejoin.syncWhenConnected(() => node.getConnections().length > 0))
  await stack.start('scheduler', scheduler)
  const dashboard = createDashboardData({
    state: () => logStore.state(),
    running: () => scheduler.running(),
    results: async (jobId, top) => await jobResults({ logStore, verifier, library, interest, walkForward, statistics, forgotten }, jobId, top),
    readiness: (jobId, spec) => library.readiness(jobId, spec),
    detail: async (job, params, island) => await pool.detail(job, params, island),
    clock: config.clock,
    log: config.log,
    trust: verifier.trust,
    stopped: jobId => library.brokenReason(jobId),
  })
  await stack.start('dashboard', dashboard)
  return { ...transport, ...work, dashboard }
}

/** The ledger, the network, and what moves entries and blobs between peers. */
async function startTransport (config: PeerServiceConfig, events: PeerEvents, stack: ServiceStack): Promise<Transport> {
  const logStore = await stack.start('ledger', createLogStore({ dataDir: config.dataDir, privateKey: config.privateKey, clock: config.clock }))
  logStore.on('entry', ev => { events.emit('entry', ev) })
  const blobStore = createBlobStore({ dataDir: config.dataDir })
  const node = stack.adopt('network', await createPeerNode({
    privateKey: config.privateKey,
    ...(config.listen === undefined ? {} : { listen: config.listen }),
    ...(config.bootstrap === undefined ? {} : { bootstrap: config.bootstrap }),
    mdns: config.mdns,
    swarmKey: config.swarmKey,
    notice: config.log,
  }))
  node.addEventListener('peer:connect', evt => { events.emit('peer:connect', { peer: evt.detail.toString() }) })
  node.addEventListener('peer:disconnect', evt => { events.emit('peer:disconnect', { peer: evt.detail.toString() }) })
  const replicator = await stack.start('replicator', createReplicator({ node, log: logStoreLog(logStore) }))
  const blobSync = await stack.start('blob sync', createBlobSync({ node, blobStore }))
  events.on('blob:stored', ({ hash, size, kind }) => {
    // Having fetched it, we can serve it too.
    logStore.append('blob-have', { blobs: [{ hash, size, kind }] }).catch(err => { config.log(`announce: ${(err as Error).message}`) })
  })
  return { logStore, blobStore, node, replicator, blobSync }
}

/** The evaluators and what decides which units they run and which commits count. */
async function startWork (config: PeerServiceConfig, events: PeerEvents, stack: ServiceStack, transport: Transport): Promise<Work> {
  const { logStore, blobStore, blobSync, node } = transport
  const { clock, log } = config
  const pool = await stack.start('evaluators', createEvaluatorPool({
    size: config.cores,
    ...(config.evalTimeoutMs === undefined ? {} : { evalTimeoutMs: config.evalTimeoutMs }),
    ...(config.cacheMb === undefined ? {} : { cacheMb: config.cacheMb }),
    ...(config.memoryMb === undefined ? {} : { memoryMb: config.memoryMb }),
    ...(config.engineBundleFileForTest === undefined ? {} : { engineBundleFile: config.engineBundleFileForTest }),
  }))
  const engine = await localEngine(pool)
  log(`engine ${engine.hash.slice(0, 12)}, runtime fingerprint ${engine.fingerprint.slice(0, 12)} (${Math.round(engine.fingerprintMs)} ms)`)
  const state = (): ReturnType<LogStore['state']> => logStore.state()
  const fingerprint = async (script: string): Promise<string> => await pool.fingerprint(script)
  const stops = await stack.start('job stops', createJobStops({ dataDir: config.dataDir }))
  const forgotten = await stack.start('forgotten jobs', createForgottenJobs({ dataDir: config.dataDir }))
  const library = createJobLibrary({ blobStore, blobSync, state, connected: () => node.getPeers(), events, clock, log, fingerprint, stops, forgotten }, { self: config.self })
  const interest = await stack.start('job interest', createJobInterest({ events }, { self: config.self, dataDir: config.dataDir }))
  const verifier = await stack.start('checks', createCommitVerifier({ state, library, pool, events, log, interest }, { self: config.self, dataDir: config.dataDir }))
  // Peers a free unit is ranked among: connected members with an evaluator free.
  const livePeers = (now: number): string[] => claimCandidates(node.getPeers().map(p => p.toString()), logStore.state(), now)
  const scheduler = createScheduler({ logStore, pool, library, verifier, interest, events, clock, livePeers, log }, {
    capacity: config.cores,
    ...(config.leaseTtlMs === undefined ? {} : { leaseTtlMs: config.leaseTtlMs }),
  })
  const walkForward = createWalkForwardResults({ state, trust: verifier.trust, pool, library })
  const statistics = await stack.start('statistics', createStatisticsKeeper({ state, trust: verifier.trust, library, pool, events, log }, { dataDir: config.dataDir }))
  return { pool, engine, library, interest, verifier, scheduler, walkForward, statistics, forgotten }
}
