/**
 * What a running peer answers to the local API beyond the dashboard: its status, a job's
 * results, and job submission. Each request reads the services it needs, nothing more.
 */
import { StratmeshError } from '../protocol/errors.js'
import { jobId as jobIdOf } from '../engine/job-setup.js'
import { countedCommit, jobPriority, jobs, jobTrials, leaderboard, unitKey, type CommitTrust, type JobView } from '../ledger/queries.js'
import type { LedgerState } from '../ledger/fold.js'
import { unitIslands } from '../protocol/unit-layout.js'
import { DEFAULT_JOB_PRIORITY } from '../protocol/limits.js'
import { buildStatus } from './peer-status.js'
import { jobStateOf } from './peer-jobs.js'
import { rowsWithStatistics, statisticsView } from './results-statistics.js'
import type { PeerServices } from './peer-services.js'
import type { LedgerSizeView, PeerStatus, ResultsView, SubmitRequest, SubmitResult } from './peer-types.js'
import { messageRejections } from './replication/index.js'
import { prepareJob, type WalkForwardView } from './work/index.js'

/** This peer as `peer status` shows it. */
export interface SelfInfo {
  readonly id: string
  readonly name: string
  readonly cores: number
  readonly dataDir: string
  readonly startedAt: number
  readonly now: number
  readonly lastSeen: Map<string, number>
}

/** Open connections by peer (remote addresses); each one counts as seeing its peer now. */
function connections (services: Pick<PeerServices, 'node'>, self: SelfInfo): Map<string, string[]> {
  const out = new Map<string, string[]>()
  for (const conn of services.node.getConnections()) {
    const id = conn.remotePeer.toString()
    const list = out.get(id) ?? []
    list.push(conn.remoteAddr.toString())
    out.set(id, list)
    self.lastSeen.set(id, self.now)
  }
  return out
}

export function peerStatus (services: PeerServices, self: SelfInfo): PeerStatus {
  const { logStore, node, pool, scheduler, replicator, verifier } = services
  const replication = replicator.stats()
  const status = buildStatus({
    state: logStore.state(),
    now: self.now,
    self: {
      id: self.id,
      name: self.name,
      cores: self.cores,
      dataDir: self.dataDir,
      startedAt: self.startedAt,
      listen: node.getMultiaddrs().map(a => a.toString()),
      evalsPerSec: pool.stats().evaluationsPerSecond,
      running: scheduler.running().length,
      fingerprint: services.engine.fingerprint,
    },
    connections: connections(services, self),
    lastSeen: self.lastSeen,
    blocked: scheduler.blocked(),
    stopped: jobId => services.library.brokenReason(jobId),
    rejected: logStore.rejectedCounts(),
    refusedMessages: messageRejections(replication),
    syncErrors: replication.syncErrors,
    trust: verifier.trust,
    verification: verifier.stats(),
  })
  return { ...status, ledger: ledgerSize(logStore.storedSize(), replication.bytes) }
}

function ledgerSize (byType: LedgerSizeView['byType'], traffic: LedgerSizeView['traffic']): LedgerSizeView {
  let entries = 0
  let bytes = 0
  for (const size of Object.values(byType)) { entries += size.entries; bytes += size.bytes }
  return { entries, bytes, byType, traffic }
}

/** The leaderboard of `jobId` (a full id or a prefix of 8+ characters), or of the latest job. */
export async function jobResults (services: Pick<PeerServices, 'logStore' | 'verifier' | 'library' | 'interest' | 'walkForward' | 'statistics' | 'forgotten'>, jobId: string | undefined, top: number): Promise<ResultsView> {
  const { logStore, verifier, library, interest, statistics, forgotten } = services
  const all = jobs(logStore.state(), verifier.trust)
  const job = jobId === undefined ? all.at(-1) : all.find(j => j.id === jobId || (jobId.length >= 8 && j.id.startsWith(jobId)))
  if (job === undefined) {
    throw new StratmeshError('JOB_NOT_FOUND', jobId === undefined ? 'no job has been submitted to this mesh yet' : `no job ${jobId} is known to this peer`, { details: { job: jobId } })
  }
  if (forgotten.has(job.id)) {
    throw new StratmeshError('JOB_FORGOTTEN', `job ${job.id.slice(0, 12)} was forgotten on this peer (peer forget): its results are not kept here; another peer may still have them`, { details: { job: job.id } })
  }
  // Asking is what makes a finished job's inputs fetched and its commits checked here.
  await interest.ask(job.id)
  const checking = unitsBeingChecked(logStore.state(), job, verifier.trust)
  const stopped = library.brokenReason(job.id)
  const state = jobStateOf(logStore.state(), job, stopped)
  const status = statistics.of(job.id)
  return {
    job: { id: job.id, spec: job.spec, submitter: job.submitter, committed: job.committed, total: job.total },
    done: job.done,
    leaderboard: stopped === undefined ? rowsWithStatistics(leaderboard(logStore.state(), job.id, top, verifier.trust), status) : [],
    statistics: statisticsView(status, jobTrials(logStore.state(), job.id, verifier.trust)),
    ...(stopped === undefined ? {} : { stopped }),
    ...(stopped === undefined ? await walkForwardPart(services, job) : {}),
    ...(checking === 0 ? {} : { checking }),
    state,
    partial: state === 'cancelled',
  }
}

/** Units with a commit still being checked here and none counted yet. */
function unitsBeingChecked (state: LedgerState, job: JobView, trust: CommitTrust): number {
  let n = 0
  for (let e = 0; e < job.spec.ga.epochs; e++) {
    for (let i = 0; i < unitIslands(job.spec); i++) {
      const unit = state.units.get(unitKey(job.id, i, e))
      if (unit !== undefined && countedCommit(unit, trust) === null && unit.commits.some(c => trust(c, unit) === 'pending')) n++
    }
  }
  return n
}

/** A walk-forward job's windows and, once it is done, its stitched result. */
async function walkForwardPart (services: Pick<PeerServices, 'walkForward'>, job: JobView): Promise<{ walkForward?: WalkForwardView }> {
  const view = await services.walkForward.view(job)
  return view === undefined ? {} : { walkForward: view }
}

/** Prepares the job's blobs and appends the job (once: submitting it again finds it). */
export async function submitJob (services: PeerServices, req: SubmitRequest, log: (line: string) => void): Promise<SubmitResult> {
  const { logStore, pool, blobStore, scheduler, engine } = services
  const prepared = await prepareJob(req, { pool, blobStore, engine })
  const id = jobIdOf(prepared.spec)
  const existing = logStore.state().jobs.has(id)
  if (!existing) {
    await logStore.append('blob-have', {
      blobs: [
        { hash: prepared.strategy.hash, size: prepared.strategy.size, kind: 'strategy' },
        { hash: prepared.dataset.hash, size: prepared.dataset.size, kind: 'dataset' },
        ...(prepared.basket ?? []).slice(1).map(d => ({ hash: d.hash, size: d.size, kind: 'dataset' as const })),
        { hash: prepared.engine.hash, size: prepared.engine.size, kind: 'engine' },
      ],
    })
    await logStore.append('job', { spec: prepared.spec, id, ...(req.priority === undefined || req.priority === DEFAULT_JOB_PRIORITY ? {} : { priority: req.priority }) })
    log(`submitted job ${id.slice(0, 12)}: ${prepared.strategy.name} on ${prepared.dataset.name}`)
  } else if (req.priority !== undefined && jobPriority(logStore.state(), id) !== req.priority) {
    // Submitting a known job again with --priority changes its priority, as `peer priority` does.
    await logStore.append('priority', { jobId: id, priority: req.priority })
  }
  scheduler.kick()
  return {
    jobId: id,
    spec: prepared.spec,
    existing,
    strategy: { name: prepared.strategy.name, hash: prepared.strategy.hash },
    dataset: { name: prepared.dataset.name, hash: prepared.dataset.hash, bars: prepared.dataset.bars, ...(prepared.dataset.gaps === undefined ? {} : { gaps: prepared.dataset.gaps }), ...(prepared.dataset.resampled === undefined ? {} : { resampled: prepared.dataset.resampled }) },
    ...(prepared.basket === undefined ? {} : { basket: prepared.basket.map(d => ({ name: d.name, hash: d.hash, bars: d.bars, gaps: d.gaps })) }),
  }
}
