/**
 * What a running peer answers to the local API (and so to `peer status`, `peer results`,
 * `peer submit`, `peer stop`). The JSON shapes here are the `--json` output of those commands.
 */
import type { BasketAggregate, JobSpec, LeaderboardRow } from '../protocol/job-spec.js'
import type { Costs, Metrics, Objective, ParamValues } from '../protocol/types.js'
import type { Conflict } from '../ledger/queries.js'
import type { ResampleReport } from '../engine/data/resample.js'
import type { Rejection, WalkForwardView } from './work/index.js'
import type { EvaluatorMemory } from './evaluators/index.js'

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
  /** The dataset's name; a basket job's symbols joined by ' + '. */
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
  /**
   * Set when the job stopped on this peer with an error every unit of it would hit (`CODE:
   * message`, e.g. STRATEGY_LOOKAHEAD), finished or not: it is then not runnable, and
   * `bestFitness` is null since no row of a stopped job is ranked.
   */
  readonly stopped?: string
  /** A walk-forward job's units committed per window, in window order (absent for a plain job). */
  readonly windows?: ReadonlyArray<{ readonly committed: number, readonly total: number }>
  /** Some member cancelled it (`peer cancel`): its results are partial. */
  readonly cancelled?: boolean
}

/** One evaluator process's memory in `peer status`: its latest report, sent every 2 s. */
export type EvaluatorMemoryView = EvaluatorMemory

/**
 * This peer's memory against its plan (src/node/evaluators/memory-plan.ts): the peer process, each
 * evaluator, and what the plan allows.
 */
export interface PeerMemoryView {
  /** The peer process itself: its pid and resident set, in bytes. */
  readonly peerPid: number
  readonly peerRssBytes: number
  readonly evaluators: readonly EvaluatorMemoryView[]
  /** The sum of the resident sets above (evaluators not yet reported count 0). */
  readonly totalRssBytes: number
  /** The machine's memory (or its container's limit) and the share the peer plans to stay under. */
  readonly machineBytes: number
  readonly budgetBytes: number
  /** The plan with every cache full, and its parts: each evaluator's cache bound and memory cap. */
  readonly plannedBytes: number
  readonly cacheBytesPerEvaluator: number
  readonly isolateMemoryMb: number
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
    /** Commits of finished jobs nobody asked for here: checked once someone asks for their results. */
    readonly dormant: number
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
  /** This peer's memory and its evaluators' (set by a running peer; absent in status built without one). */
  readonly memory?: PeerMemoryView
  /** How big this peer's ledger is and what replicating it cost since start (absent where no replicator runs). */
  readonly ledger?: LedgerSizeView
}

/** Ledger growth and replication traffic of one peer, read by the scale run (scripts/lan/scale.ts). */
export interface LedgerSizeView {
  readonly entries: number
  /** Bytes of the stored entries (their JSON as stored, before LevelDB's compression). */
  readonly bytes: number
  readonly byType: Readonly<Record<string, { readonly entries: number, readonly bytes: number }>>
  /** Payload bytes since this peer started: gossip published and received, sync responses pulled and served. */
  readonly traffic: { readonly gossipOut: number, readonly gossipIn: number, readonly pullIn: number, readonly pullServed: number }
}

export interface ResultsView {
  readonly job: { readonly id: string, readonly spec: JobSpec, readonly submitter: string, readonly committed: number, readonly total: number }
  readonly done: boolean
  readonly leaderboard: readonly ResultsRow[]
  readonly statistics: ResultsStatistics
  /**
   * Set when the job stopped on this peer with an error that every unit would hit (`CODE: message`,
   * e.g. STRATEGY_LOOKAHEAD): the leaderboard is then empty, since no row of such a job is ranked.
   */
  readonly stopped?: string
  /** A walk-forward job's windows and result (the leaderboard above mixes windows: read this instead). */
  readonly walkForward?: WalkForwardView
  /**
   * Units committed on the ledger whose commits this peer is still checking (or fetching the job's
   * inputs to check): a finished job this peer took no part in is checked only once asked for.
   */
  readonly checking?: number
  /** Where the job stands (`peer jobs`); `cancelled` results are partial. */
  readonly state?: JobState
  /** True for a cancelled job: the leaderboard holds only the units counted before the cancel. */
  readonly partial?: boolean
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
  /** The job's priority (`--priority`), on its job entry, not in its spec: absent means 0. */
  readonly priority?: number
  /** A walk-forward job (src/engine/walk-forward.ts): its mode, windows, and lengths as fractions or durations. */
  readonly walkForward?: 'rolling' | 'anchored'
  readonly windows?: number
  readonly train?: string
  readonly test?: string
  /** Resample the data to this timeframe ("1h") before the job is built (engine/data/resample.ts). */
  readonly timeframe?: string
  /** A job over several symbols: every data file's absolute path in order (`data` is the first), and how fitness combines them. */
  readonly basket?: readonly string[]
  readonly aggregate?: BasketAggregate
}

export interface SubmitResult {
  readonly jobId: string
  readonly spec: JobSpec
  /** True when the same job had already been submitted (submitting is idempotent). */
  readonly existing: boolean
  readonly strategy: { readonly name: string, readonly hash: string }
  readonly dataset: { readonly name: string, readonly hash: string, readonly bars: number, readonly gaps?: number, readonly resampled?: ResampleReport }
  /** A basket job's symbols in order (the first is `dataset`). */
  readonly basket?: ReadonlyArray<{ readonly name: string, readonly hash: string, readonly bars: number, readonly gaps?: number }>
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

/**
 * `peer backtest`: one parameter set on some data, run on this peer and published nowhere. What to
 * run is either `strategyPath` and `params`, or `job` and `rank` (a leaderboard row: the job's
 * strategy, the row's params, the job's costs and objective); `strategyPath` may come with `job`
 * only when it is the job's strategy.
 */
export interface BacktestRequest {
  /** Absolute path of the strategy file. */
  readonly strategyPath?: string
  readonly params?: ParamValues
  /** A job id or a prefix of 8+ characters. */
  readonly job?: string
  /** 1 for the leaderboard's best row. */
  readonly rank?: number
  /** 'default' for the bundled dataset, or an absolute path of a CSV/JSON candle file; with `job`, default its dataset. */
  readonly data?: string
  /** With `job` on a job over several symbols: the symbol (its data file's name) to run on; default the first. */
  readonly symbol?: string
  /** Milliseconds since the epoch: the metrics cover the bars whose open time t has from <= t < to. */
  readonly from?: number
  readonly to?: number
  readonly fee?: number
  readonly slippage?: number
  /** Absolute paths the peer writes the trades and the equity curve to, as CSV. */
  readonly tradesPath?: string
  readonly equityPath?: string
}

export interface BacktestResult {
  readonly strategy: { readonly name: string, readonly hash: string }
  /** The hash is the one `peer submit` gives the same candles. */
  readonly dataset: { readonly name: string, readonly hash: string, readonly bars: number }
  readonly job?: { readonly id: string, readonly rank: number }
  readonly params: ParamValues
  readonly costs: Costs
  readonly objective: Objective
  /**
   * The bars the metrics cover, [from, to) as indices into the dataset, and the open times of the
   * first and last of them (ISO 8601, UTC). The range starts flat, as every range of a job does.
   */
  readonly range: { readonly from: number, readonly to: number, readonly bars: number, readonly firstTime: string, readonly lastTime: string }
  readonly metrics: Metrics
  /** The objective's value on the range (null with fewer trades than the job's minimum). */
  readonly fitness: number | null
  readonly trades: number
  readonly files: { readonly trades?: string, readonly equity?: string }
}

/** What the local API asks a peer for `peer backtest`. */
export interface BacktestControl {
  backtest (req: BacktestRequest): Promise<BacktestResult>
}

// Job control: `peer jobs`, `peer cancel`, `peer priority`, `peer forget`.

/**
 * Where a job stands: `queued` (no unit claimed or committed yet), `running`, `done` (every unit
 * counted), `cancelled` (by any member; partial results) or `stopped` (on this peer, by an error
 * every unit would hit).
 */
export type JobState = 'queued' | 'running' | 'done' | 'cancelled' | 'stopped'

export interface JobListRow {
  readonly id: string
  readonly state: JobState
  readonly committed: number
  readonly total: number
  readonly priority: number
  readonly submitter: string
  /** The submitter's name from its hello ('' before its hello arrived). */
  readonly submitterName: string
  /** Wall time of the submission (its hlc), ms since the epoch. */
  readonly submittedAt: number
  readonly ageMs: number
  readonly strategy: string
  /** Forgotten on this peer (`peer forget`): its blobs and cached results are gone here. */
  readonly forgotten: boolean
  readonly stopped?: string
}

export interface JobListView { readonly jobs: readonly JobListRow[] }

/** What `peer cancel` and `peer priority` did. */
export interface JobControlResult {
  readonly jobId: string
  readonly state: JobState
  readonly priority: number
  /** False when the ledger already said so (a second cancel, the same priority): nothing was signed. */
  readonly changed: boolean
}

/** What `peer forget` did on this peer. */
export interface ForgetResult {
  readonly jobId: string
  readonly state: JobState
  /** False when the job was already forgotten here. */
  readonly changed: boolean
  readonly deletedBlobs: number
  readonly freedBytes: number
  /** Blobs of the job kept because another job (not forgotten) needs them. */
  readonly keptBlobs: number
}

/** What the local API asks a peer for job control. Jobs are named by id or a unique prefix. */
export interface JobControl {
  jobs (): Promise<JobListView>
  cancel (job: string): Promise<JobControlResult>
  priority (job: string, priority: number): Promise<JobControlResult>
  forget (job: string): Promise<ForgetResult>
}
