/**
 * Which finished jobs this peer spends anything on. A peer that joins a mesh with a long history
 * would otherwise fetch every old job's blobs and check every commit ever made (the verifier and
 * the scheduler ask the job library for each job they see). A finished job (src/ledger/finished.ts)
 * that this peer took no part in (src/ledger/finished.ts, tookPart) is dormant: nothing of it is fetched or checked until someone asks
 * this peer for its results or detail; from then on it is checked like any other job. The jobs asked
 * for are kept in the data directory: after a restart such a job must not fall dormant again, its
 * checks left half done until somebody happens to ask a second time.
 */
import { join } from 'node:path'
import { Level } from 'level'
import { isFinished, tookPart } from '../../ledger/finished.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { CommitTrust } from '../../ledger/queries.js'
import type { PeerEvents } from '../peer-events.js'

export interface JobInterest {
  /** Loads the jobs asked for before a restart. */
  start (): Promise<void>
  stop (): Promise<void>
  /** The job is finished, this peer took no part in it, and nobody has asked for it here. */
  dormant (state: LedgerState, jobId: string, trust: CommitTrust): boolean
  /** Someone asked for the job's results or detail: fetch its inputs and check its commits from now on; resolves once that is on disk. */
  ask (jobId: string): Promise<void>
  asked (jobId: string): boolean
  /** The job was forgotten here (`peer forget`): it is no longer wanted; resolves once that is on disk. */
  drop (jobId: string): Promise<void>
}

export interface JobInterestComponents {
  /** `job:readiness` is emitted when a job wakes, so the verifier looks for its commits. */
  readonly events: Pick<PeerEvents, 'emit'>
}

export interface JobInterestInit {
  readonly self: string
  /** Jobs asked for are kept under `<dataDir>/asked-jobs`. */
  readonly dataDir: string
}

class LedgerJobInterest implements JobInterest {
  private readonly wanted = new Set<string>()
  /** Jobs this peer took part in: that never stops being true, so it is looked up once. */
  private readonly own = new Set<string>()
  private db: Level<string, string> | null = null

  constructor (private readonly components: JobInterestComponents, private readonly init: JobInterestInit) {}

  async start (): Promise<void> {
    const db = new Level<string, string>(join(this.init.dataDir, 'asked-jobs'), { valueEncoding: 'utf8' })
    await db.open()
    this.db = db
    for await (const jobId of db.keys()) this.wanted.add(jobId)
  }

  async stop (): Promise<void> {
    const closing = this.db
    this.db = null
    await closing?.close()
  }

  dormant (state: LedgerState, jobId: string, trust: CommitTrust): boolean {
    if (this.wanted.has(jobId) || this.own.has(jobId)) return false
    if (tookPart(state, jobId, this.init.self)) { this.own.add(jobId); return false }
    return isFinished(state, jobId, trust)
  }

  async ask (jobId: string): Promise<void> {
    if (this.wanted.has(jobId)) return
    this.wanted.add(jobId)
    this.components.events.emit('job:readiness')
    await this.db?.put(jobId, '')
  }

  asked (jobId: string): boolean {
    return this.wanted.has(jobId)
  }

  async drop (jobId: string): Promise<void> {
    if (!this.wanted.delete(jobId)) return
    await this.db?.del(jobId)
  }
}

export function createJobInterest (components: JobInterestComponents, init: JobInterestInit): JobInterest {
  return new LedgerJobInterest(components, init)
}
