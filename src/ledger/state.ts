/**
 * The shapes of the ledger state that the fold (fold.ts) builds and the queries (queries.ts) read.
 * Kept apart from both so that neither needs the other to know what a state is.
 */
import type { Hlc } from '../protocol/hlc.js'
import type { Entry } from '../protocol/entry.js'
import type { BlobKind, HelloBody } from '../protocol/entry-bodies.js'
import type { Checkpoint, JobSpec } from '../protocol/job-spec.js'

/** The key of a unit in LedgerState.units. */
export function unitKey (jobId: string, island: number, epoch: number): string {
  return `${jobId}:${island}:${epoch}`
}

export interface AuthorChain {
  /** The counted chain: entries[i].seq === i + 1. */
  readonly entries: Entry[]
  readonly hashes: string[]
  /** The seq from which this author's entries stop counting, or null. */
  frozenAt: number | null
}

export interface LeaseRecord {
  readonly author: string
  readonly claimHlc: Hlc
  readonly seq: number
  /** Expiry: the wall time of the latest claim or renew plus its ttl. Active while now < until. */
  until: number
}

export interface CommitRecord {
  readonly author: string
  readonly hlc: Hlc
  readonly seq: number
  readonly checkpointHash: string
}

export interface UnitRecord {
  readonly jobId: string
  readonly island: number
  readonly epoch: number
  /** At most one lease per author: a new claim replaces the author's previous one. */
  readonly leases: Map<string, LeaseRecord>
  readonly commits: CommitRecord[]
}

export interface JobSubmission { readonly author: string, readonly hlc: Hlc, readonly seq: number }
export interface JobRecord { readonly id: string, readonly spec: JobSpec, readonly submissions: JobSubmission[] }
/** A signed cancel of a job: any one counted cancel stops the job for everyone. */
export interface CancelRecord { readonly author: string, readonly hlc: Hlc, readonly seq: number }
/** The priority that holds for a job: from its job or priority entry with the greatest (hlc, author). */
export interface PrioritySetting { readonly author: string, readonly hlc: Hlc, readonly priority: number }
export interface BlobClaim { readonly size: number, readonly kind: BlobKind }
export interface Evidence { readonly author: string, readonly seq: number, readonly entries: readonly [Entry, Entry] }

export interface LedgerState {
  readonly chains: Map<string, AuthorChain>
  readonly evidence: Map<string, Evidence>
  readonly jobs: Map<string, JobRecord>
  readonly units: Map<string, UnitRecord>
  /**
   * The units (by key) holding at least one lease, active or lapsed (the fold has no clock): a
   * unit leaves when its last lease is released or committed. The scheduler counts active leases
   * from these whenever it looks for work, instead of every unit of every job the ledger holds.
   */
  readonly leased: Map<string, UnitRecord>
  /** Committed checkpoints by hash (identical commits share one). */
  readonly checkpoints: Map<string, Checkpoint>
  /** blob hash -> author -> what the author announced. */
  readonly blobs: Map<string, Map<string, BlobClaim>>
  /** The latest hello of each author. */
  readonly peers: Map<string, HelloBody & { readonly seq: number }>
  /** job id -> author -> that author's earliest counted cancel of it (a job not known yet may be named). */
  readonly cancels: Map<string, Map<string, CancelRecord>>
  /** job id -> the priority setting with the greatest (hlc, author) among its job and priority entries. */
  readonly priorities: Map<string, PrioritySetting>
}
