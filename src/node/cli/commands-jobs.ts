/**
 * Job control from the command line: `peer jobs` lists every job; `peer cancel` and `peer priority`
 * sign an entry every member applies; `peer forget` drops a finished, cancelled or stopped job's
 * blobs and cached results on this peer only. Jobs are named by id or a unique prefix.
 */
import { MAX_JOB_PRIORITY, MIN_JOB_PRIORITY } from '../../protocol/limits.js'
import { connectToPeer } from '../api/index.js'
import type { JobListRow } from '../peer-types.js'
import { agoText, shortId, table } from './format.js'
import { dataDirFrom, intIn } from './options.js'

interface JobCommandOptions { readonly dataDir?: string, readonly json?: boolean }

function print (json: boolean | undefined, value: unknown, text: string): void {
  if (json === true) process.stdout.write(JSON.stringify(value, null, 2) + '\n')
  else process.stdout.write(text + '\n')
}

function stateText (j: JobListRow): string {
  const forgotten = j.forgotten ? ', forgotten here' : ''
  if (j.state === 'cancelled') return `cancelled (partial)${forgotten}`
  if (j.state === 'stopped') return `stopped (${j.stopped ?? ''})${forgotten}`
  return j.state + forgotten
}

export function jobsText (rows: readonly JobListRow[]): string {
  if (rows.length === 0) return '(no jobs yet: submit one with `peer submit STRATEGY`)'
  return table(
    ['job', 'state', 'units', 'priority', 'strategy', 'submitter', 'age'],
    rows.map(j => [
      shortId(j.id), stateText(j), `${j.committed}/${j.total}`, String(j.priority), j.strategy,
      `${j.submitterName === '' ? '?' : j.submitterName} (${j.submitter.slice(-8)})`, agoText(j.ageMs).replace(/^now$/, 'just now'),
    ]),
  )
}

export async function jobsCommand (opts: JobCommandOptions): Promise<void> {
  const peer = await connectToPeer(dataDirFrom(opts))
  const view = await peer.jobs()
  print(opts.json, view, jobsText(view.jobs))
}

export async function cancelCommand (job: string, opts: JobCommandOptions): Promise<void> {
  const peer = await connectToPeer(dataDirFrom(opts))
  const r = await peer.cancel(job)
  print(opts.json, r, r.changed
    ? `cancelled job ${r.jobId}: every peer stops its units within a lease TTL plus 5 s; \`peer results ${shortId(r.jobId)}\` shows the units counted (partial)`
    : `job ${r.jobId} was already cancelled`)
}

export async function priorityCommand (job: string, value: string, opts: JobCommandOptions): Promise<void> {
  const priority = intIn('<priority>', MIN_JOB_PRIORITY, MAX_JOB_PRIORITY)(value)
  const peer = await connectToPeer(dataDirFrom(opts))
  const r = await peer.priority(job, priority)
  print(opts.json, r, r.changed ? `job ${r.jobId} now has priority ${r.priority}` : `job ${r.jobId} already has priority ${r.priority}`)
}

export async function forgetCommand (job: string, opts: JobCommandOptions): Promise<void> {
  const peer = await connectToPeer(dataDirFrom(opts))
  const r = await peer.forget(job)
  const kept = r.keptBlobs === 0 ? '' : `; kept ${r.keptBlobs} blob${r.keptBlobs === 1 ? '' : 's'} other jobs need`
  print(opts.json, r, r.changed
    ? `forgot ${r.state} job ${r.jobId} on this peer: deleted ${r.deletedBlobs} blob${r.deletedBlobs === 1 ? '' : 's'} (${(r.freedBytes / 1e6).toFixed(1)} MB)${kept}; its ledger entries stay`
    : `job ${r.jobId} was already forgotten on this peer`)
}
