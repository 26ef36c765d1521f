/**
 * Job control on a running peer: `peer jobs`, `peer cancel`, `peer priority` and `peer forget`.
 * Cancel and priority are signed ledger entries, so every member applies them the same way (the
 * fold's order-free rules); forget is this peer's business only and touches no entry.
 */
import { StratmeshError } from '../protocol/errors.js'
import { jobDatasets, type JobSpec } from '../protocol/job-spec.js'
import { jobs, peers, type JobView } from '../ledger/queries.js'
import type { LedgerState } from '../ledger/fold.js'
import type { PeerServices } from './peer-services.js'
import type { ForgetResult, JobControlResult, JobListRow, JobListView, JobState } from './peer-types.js'

type JobServices = Pick<PeerServices, 'logStore' | 'verifier' | 'library' | 'scheduler' | 'blobStore' | 'statistics' | 'walkForward' | 'forgotten' | 'interest' | 'engine'>

/** Whether any unit of the job was ever claimed or committed (time-free: a lapsed lease counts). */
function started (state: LedgerState, jobId: string): boolean {
  for (const unit of state.units.values()) if (unit.jobId === jobId) return true
  return false
}

/** Where a job stands; done wins over a cancel that came after the last unit. */
export function jobStateOf (state: LedgerState, job: JobView, stopped: string | undefined): JobState {
  if (job.done) return 'done'
  if (job.cancelled) return 'cancelled'
  if (stopped !== undefined) return 'stopped'
  return job.committed > 0 || started(state, job.id) ? 'running' : 'queued'
}

/** The job a user named by its id or a unique prefix; JOB_NOT_FOUND or JOB_AMBIGUOUS otherwise. */
export function resolveJob (all: readonly JobView[], ref: string): JobView {
  const exact = all.find(j => j.id === ref)
  if (exact !== undefined) return exact
  const matches = all.filter(j => j.id.startsWith(ref))
  if (matches.length === 1) return matches[0]
  if (matches.length === 0) throw new StratmeshError('JOB_NOT_FOUND', `no job ${ref} is known to this peer (see peer jobs)`, { details: { job: ref } })
  throw new StratmeshError('JOB_AMBIGUOUS', `${ref} names ${matches.length} jobs (${matches.slice(0, 4).map(j => j.id.slice(0, 12)).join(', ')}${matches.length > 4 ? ', …' : ''}): give more of the id`, { details: { job: ref } })
}

export function listJobs (services: JobServices, now: number): JobListView {
  const { logStore, verifier, library, forgotten } = services
  const state = logStore.state()
  const names = new Map(peers(state).map(p => [p.author, p.name]))
  const rows: JobListRow[] = jobs(state, verifier.trust).map(j => {
    const stopped = library.brokenReason(j.id)
    return {
      id: j.id,
      state: jobStateOf(state, j, stopped),
      committed: j.committed,
      total: j.total,
      priority: j.priority,
      submitter: j.submitter,
      submitterName: names.get(j.submitter) ?? '',
      submittedAt: j.submittedAt[0],
      ageMs: Math.max(0, now - j.submittedAt[0]),
      strategy: j.spec.strategy.name,
      forgotten: forgotten.has(j.id),
      ...(stopped === undefined ? {} : { stopped }),
    }
  })
  return { jobs: rows }
}

export async function cancelJob (services: JobServices, ref: string): Promise<JobControlResult> {
  const { logStore, verifier, library, scheduler } = services
  const job = resolveJob(jobs(logStore.state(), verifier.trust), ref)
  const before = jobStateOf(logStore.state(), job, library.brokenReason(job.id))
  if (before === 'done') throw new StratmeshError('JOB_ALREADY_DONE', `job ${job.id.slice(0, 12)} is done (${job.committed}/${job.total} units): there is nothing to cancel; its results are complete`, { details: { job: job.id } })
  const changed = !job.cancelled
  if (changed) await logStore.append('cancel', { jobId: job.id })
  scheduler.kick()
  return { jobId: job.id, state: 'cancelled', priority: job.priority, changed }
}

export async function setJobPriority (services: JobServices, ref: string, priority: number): Promise<JobControlResult> {
  const { logStore, verifier, library, scheduler } = services
  const job = resolveJob(jobs(logStore.state(), verifier.trust), ref)
  const changed = job.priority !== priority
  if (changed) await logStore.append('priority', { jobId: job.id, priority })
  scheduler.kick()
  return { jobId: job.id, state: jobStateOf(logStore.state(), job, library.brokenReason(job.id)), priority, changed }
}

/** Every blob a job's units read: its strategy, engine bundle and dataset(s). */
function blobsOf (spec: JobSpec): string[] {
  return [spec.strategy.hash, spec.engine.hash, ...jobDatasets(spec).map(d => d.hash)]
}

/**
 * Drops a finished, cancelled or stopped job on this peer: the blobs no other (not forgotten) job
 * needs, its kept statistics and walk-forward result, its stop record. It is remembered as
 * forgotten first, so nothing fetches its blobs again in between, and across restarts.
 */
export async function forgetJob (services: JobServices, ref: string, now: number): Promise<ForgetResult> {
  const { logStore, verifier, library, blobStore, statistics, walkForward, forgotten, interest, engine } = services
  const all = jobs(logStore.state(), verifier.trust)
  const job = resolveJob(all, ref)
  const state = jobStateOf(logStore.state(), job, library.brokenReason(job.id))
  if (state === 'queued' || state === 'running') {
    throw new StratmeshError('JOB_STILL_RUNNING', `job ${job.id.slice(0, 12)} is ${state} (${job.committed}/${job.total} units): cancel it first (peer cancel ${job.id.slice(0, 12)}) or wait until it is done`, { details: { job: job.id } })
  }
  if (forgotten.has(job.id)) return { jobId: job.id, state, changed: false, deletedBlobs: 0, freedBytes: 0, keptBlobs: 0 }
  await forgotten.record(job.id, now)
  await interest.drop(job.id)
  const needed = new Set<string>([engine.hash])
  for (const other of all) if (other.id !== job.id && !forgotten.has(other.id)) for (const h of blobsOf(other.spec)) needed.add(h)
  const mine = [...new Set(blobsOf(job.spec))]
  const deleted: string[] = []
  let freedBytes = 0
  for (const hash of mine) {
    if (needed.has(hash) || !await blobStore.has(hash)) continue
    freedBytes += await blobStore.size(hash)
    await blobStore.remove(hash)
    deleted.push(hash)
  }
  await library.forget(job.id, deleted)
  await statistics.forget(job.id)
  walkForward.forget(job.id)
  return { jobId: job.id, state, changed: true, deletedBlobs: deleted.length, freedBytes, keptBlobs: mine.filter(h => needed.has(h)).length }
}
