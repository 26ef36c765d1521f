/**
 * Which finished jobs this peer spends anything on. A peer that joins a mesh with a long history
 * would otherwise fetch every old job's blobs and check every commit ever made (the verifier and
 * the scheduler ask the job library for each job they see). A finished job (src/ledger/finished.ts)
 * that this peer took no part in (src/ledger/finished.ts, tookPart) is dormant: nothing of it is fetched or checked until someone asks
 * this peer for its results or detail; from then on it is checked like any other job.
 */
import { isFinished, tookPart } from '../../ledger/finished.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { CommitTrust } from '../../ledger/queries.js'
import type { PeerEvents } from '../peer-events.js'

export interface JobInterest {
  /** The job is finished, this peer took no part in it, and nobody has asked for it here. */
  dormant (state: LedgerState, jobId: string, trust: CommitTrust): boolean
  /** Someone asked for the job's results or detail: fetch its inputs and check its commits from now on. */
  ask (jobId: string): void
  asked (jobId: string): boolean
}

export interface JobInterestComponents {
  /** `job:readiness` is emitted when a job wakes, so the verifier looks for its commits. */
  readonly events: Pick<PeerEvents, 'emit'>
}

export interface JobInterestInit {
  readonly self: string
}

class LedgerJobInterest implements JobInterest {
  private readonly wanted = new Set<string>()
  /** Jobs this peer took part in: that never stops being true, so it is looked up once. */
  private readonly own = new Set<string>()

  constructor (private readonly components: JobInterestComponents, private readonly init: JobInterestInit) {}

  dormant (state: LedgerState, jobId: string, trust: CommitTrust): boolean {
    if (this.wanted.has(jobId) || this.own.has(jobId)) return false
    if (tookPart(state, jobId, this.init.self)) { this.own.add(jobId); return false }
    return isFinished(state, jobId, trust)
  }

  ask (jobId: string): void {
    if (this.wanted.has(jobId)) return
    this.wanted.add(jobId)
    this.components.events.emit('job:readiness')
  }

  asked (jobId: string): boolean {
    return this.wanted.has(jobId)
  }
}

export function createJobInterest (components: JobInterestComponents, init: JobInterestInit): JobInterest {
  return new LedgerJobInterest(components, init)
}
