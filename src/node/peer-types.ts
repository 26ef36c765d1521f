/**
 * What a running peer answers to the local API (and so to `peer status`, `peer results`,
 * `peer submit`, `peer stop`). The JSON shapes here are the `--json` output of those commands.
 */
import type { JobSpec, LeaderboardRow } from '../protocol/job-spec.js'
import type { Objective } from '../protocol/types.js'
import type { Conflict } from '../ledger/queries.js'
import type { Rejection } from './work/index.js'

export type PeerState = 'working' | 'idle' | 'asleep' | 'offline' | 'incompatible'

export interface PeerView {
  readonly id: string
  readonly name: string
  /** The runtime fingerprint of its own engine bundle and the isolate interface it speaks (null before its hello arrived). */
  readonly fingerprint: string | null
  readonly isolateInterface: number | null
  readonly cores: number
  /** Addresses we know for it (remote addresses of open connections; ours for self). */
  readonly addresses: readonly string[]
  readonly connected: boolean
  readonly self: boolean
  /** Milliseconds since we last heard from it (a connection or a new entry), null when never. */
  readonly lastSeenMs: number | null
  /** Units it holds an unexpired lease on. */
  readonly leases: number
  /** Evaluations per second, from its recent commits (or our pool, for self). */
  readonly evalsPerSec: number
  readonly state: PeerState
  /** Why a peer is incompatible, when it is. */
  readonly reason?: string
}

export interface JobStatusView {
  readonly id: string
  readonly strategy: string
  readonly dataset: string
  readonly objective: Objective
  readonly submitter: string
  readonly committed: number
  readonly total: number
  readonly progress: number
  readonly leased: number
  readonly done: boolean
  /** False when this peer cannot run it (missing blobs, an engine bundle it cannot run or whose fingerprint differs here…), with the reason. */
  readonly runnable: boolean
  readonly reason?: string
  readonly bestFitness: number | null
}

/** Counts by peer id, then error code. */
export type CountsByPeer = Readonly<Record<string, Readonly<Record<string, number>>>>

export interface PeerStatus {
  readonly self: PeerView & { readonly dataDir: string, readonly uptimeMs: number, readonly listen: readonly string[] }
  readonly peers: readonly PeerView[]
  readonly jobs: readonly JobStatusView[]
  readonly conflicts: readonly Conflict[]
  /**
   * This peer's checks of other members' checkpoints (src/node/work/commit-verifier.ts): how many are
   * known right, how many wait, the commits found wrong (with why), and the jobs whose commits
   * count unchecked because this peer cannot run them.
   */
  readonly checks: {
    readonly checked: number
    readonly pending: number
    /** Genomes this peer evaluated to check others' checkpoints since it started. */
    readonly evaluations: number
    readonly rejected: readonly Rejection[]
    readonly unchecked: ReadonlyArray<{ readonly jobId: string, readonly reason: string }>
  }
  /**
   * What each peer sent that was refused, by error code: entries (ENTRY_BAD_SIGNATURE,
   * ENTRY_TOO_LARGE…; ENTRY_EQUIVOCATION is counted against the author who signed twice) and
   * whole gossip messages (SYNC_TOO_LARGE, SYNC_BAD_MESSAGE).
   */
  readonly rejected: CountsByPeer
  /** Pull rounds with each peer that failed, by error code (SYNC_TOO_LARGE, SYNC_TIMEOUT…). */
  readonly syncErrors: CountsByPeer
  /** Authors frozen for signing two different entries at one seq, and that seq. */
  readonly frozen: ReadonlyArray<{ readonly author: string, readonly seq: number }>
}

export interface ResultsView {
  readonly job: { readonly id: string, readonly spec: JobSpec, readonly submitter: string, readonly committed: number, readonly total: number }
  readonly done: boolean
  readonly leaderboard: readonly ResultsRow[]
  readonly statistics: ResultsStatistics
}

/** A leaderboard row with what tells a trader whether to act on it (docs/DESIGN.md, "Overfitting statistics"). */
export interface ResultsRow extends LeaderboardRow {
  /** Deflated Sharpe Ratio in [0, 1]; null until the job's statistics are ready, and for rows past the first STATISTICS_ROWS. */
  readonly dsr: number | null
  /** Share of the row's one-step neighbours whose fitness is within 20 % of its own; null like dsr, or without neighbours. */
  readonly plateau: number | null
  /** Its out-of-sample Sharpe kept less than half of its in-sample Sharpe (src/engine/overfit.ts). */
  readonly overfit: boolean
}

/** The job's overfitting statistics: null fields with a reason until every unit is committed and they are computed. */
export interface ResultsStatistics {
  readonly ready: boolean
  readonly reason: string | null
  /** Evaluations the counted checkpoints record: the job's true number of trials. */
  readonly trials: number
  /** Probability of Backtest Overfitting over the top rows (one number for the job's selection). */
  readonly pbo: number | null
  /** Rows PBO chose among; rows that have a DSR and plateau score. */
  readonly pboRows: number | null
  readonly rows: number | null
  /** Variance of the trials' per-bar Sharpe ratios, and the per-bar Sharpe the best of that many lucky trials would show (SR0). */
  readonly sharpeVariance: number | null
  readonly expectedMaxSharpe: number | null
}

export interface SubmitRequest {
  /** Absolute path of the strategy file (the CLI resolves it; the peer reads it). */
  readonly strategyPath: string
  /** 'default' for the bundled dataset, or an absolute path of a CSV/JSON candle file. */
  readonly data: string
  readonly islands?: number
  readonly population?: number
  readonly generations?: number
  readonly epochs?: number
  readonly objective?: Objective
  readonly minTrades?: number
  readonly fee?: number
  readonly slippage?: number
  readonly oos?: number
  readonly seed?: number
}

export interface SubmitResult {
  readonly jobId: string
  readonly spec: JobSpec
  /** True when the same job had already been submitted (submitting is idempotent). */
  readonly existing: boolean
  readonly strategy: { readonly name: string, readonly hash: string }
  readonly dataset: { readonly name: string, readonly hash: string, readonly bars: number, readonly gaps?: number }
}

/** The operations a running peer offers its local API. */
export interface PeerControl {
  status (): Promise<PeerStatus>
  /** The leaderboard of a job (the latest job when none is given). Throws JOB_NOT_FOUND. */
  results (jobId: string | undefined, top: number): Promise<ResultsView>
  submit (req: SubmitRequest): Promise<SubmitResult>
  /** Graceful stop: release leases, flush, end every evaluator. Resolves when done. */
  stop (): Promise<void>
}
