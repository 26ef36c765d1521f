/** The evaluator pool's public shapes (pool.ts exports them with createEvaluatorPool). */
import type { Logger } from '@libp2p/interface'
import type { SampledGenomeDetail } from '../../engine/downsample.js'
import type { Checkpoint, JobSpec } from '../../protocol/job-spec.js'
import type { UnitInput } from '../../engine/ga.js'
import type { WalkForwardResult, WindowWinner } from '../../engine/walk-forward-result.js'
import type { JobStatistics, StatisticsInput } from '../../engine/stats/job-statistics.js'
import type { ParamSpace } from '../../engine/strategy-api.js'
import type { Candles, EvalResult, Metrics, ParamValues } from '../../protocol/types.js'
import type { RangeSeries } from '../../engine/backtest-series.js'
import type { BacktestRange } from './messages.js'

export type { BacktestRange } from './messages.js'

/** One genome backtested over a range in full: every bar's equity and drawdown, every trade. */
export interface RangeBacktest extends RangeSeries {
  readonly metrics: Metrics
  /** Under the loaded job's objective and minimum of trades (null: too few trades, or a failed evaluation). */
  readonly fitness: number | null
}

export interface EvaluatorPoolOptions {
  readonly size?: number
  readonly evalTimeoutMs?: number
  readonly memoryMb?: number
  /**
   * Bound on each evaluator's indicator cache, in MiB (0: no cache). Default: sized from the
   * machine's memory and the pool's size by evaluatorCacheBytes (cache-budget.ts).
   */
  readonly cacheMb?: number
  readonly logger?: Logger
  /** Milliseconds from any fixed origin; for evaluations/s. */
  readonly now?: () => number
  /**
   * The engine bundle file this peer runs as its own (jobs it submits name it; inspect runs it).
   * Default: the one built with this peer. Tests give another to make peers of different builds.
   */
  readonly engineBundleFile?: string
}

/** The engine bundle this peer was built with (or was given): its text and sha256. */
export interface OwnEngine { readonly script: string, readonly hash: string }

export interface PoolJob {
  /** Identifies the job's strategy + candles + spec for caching in evaluators (e.g. the job id). */
  readonly key: string
  /** The job's engine bundle (the script its spec names by hash). */
  readonly engine: string
  readonly source: string
  readonly fileName: string
  readonly candles: Candles
  readonly spec: JobSpec
  /** A basket job's candles, every symbol in the order of spec.basket.datasets (the first is `candles`). */
  readonly basket?: readonly Candles[]
}

export interface StrategyInfo { readonly name: string, readonly description?: string, readonly params: ParamSpace }

export interface PoolStats {
  readonly evaluators: number
  readonly busy: number
  readonly queued: number
  readonly unitsRun: number
  readonly evaluations: number
  readonly evaluationsPerSecond: number
  readonly restarts: { readonly timeout: number, readonly crash: number, readonly outOfMemory: number }
}

/** One evaluator process's memory as it last reported it (its child reports every MEMORY_REPORT_MS). */
export interface EvaluatorMemory {
  readonly pid: number
  /** A pooled evaluator (runs units), the checker (checks other members' commits) or the statistics evaluator (finished jobs' statistics). */
  readonly role: 'evaluator' | 'checker' | 'statistics'
  /** Resident set of its process, in bytes (null until its first report, a moment after it starts). */
  readonly rssBytes: number | null
  /** Its isolate's heap in use and the ArrayBuffers it holds (candles, indicator cache), in bytes. */
  readonly isolateHeapBytes: number | null
  readonly isolateExternalBytes: number | null
  /** How old the report is, in milliseconds. */
  readonly reportAgeMs: number | null
}

export interface EvaluatorPool {
  start (): Promise<void>
  stop (): Promise<void>
  /** This peer's own engine bundle (once started). */
  engine (): OwnEngine
  /**
   * The runtime fingerprint of an engine bundle on this machine, run in an evaluator of its own and
   * kept by the bundle's hash. Fails with ENGINE_INTERFACE_UNSUPPORTED for a bundle whose interface
   * these evaluators do not speak.
   */
  fingerprint (engine: string): Promise<string>
  inspect (source: string, fileName: string): Promise<StrategyInfo>
  /**
   * Runs one GA unit in an evaluator. Aborting `signal` ends it at once with UNIT_CANCELLED (its
   * evaluator is killed and replaced): the unit was taken by another peer, no use finishing it.
   */
  runUnit (job: PoolJob, input: UnitInput, opts?: { onProgress?: (done: number, total: number) => void, signal?: AbortSignal }): Promise<Checkpoint>
  /**
   * Recomputes one genome of a job in detail (equity, drawdown, trades), curves sampled to at most
   * MAX_DETAIL_POINTS points, on the ranges of unit island `island` (default 0: a plain job's).
   * Runs in an evaluator of its own, like inspect().
   */
  detail (job: PoolJob, params: ParamValues, island?: number): Promise<SampledGenomeDetail>
  /**
   * A walk-forward job's result (walk-forward-result.ts) from each window's winner, in window
   * order (null: the window has none). Runs in an evaluator of its own, like detail().
   */
  walkForward (job: PoolJob, winners: readonly WindowWinner[]): Promise<WalkForwardResult>
  /**
   * A finished job's overfitting statistics (DSR, PBO, plateau scores) for its leaderboard rows,
   * computed in an evaluator of its own, like detail().
   */
  statistics (job: PoolJob, input: StatisticsInput): Promise<JobStatistics>
  /**
   * Evaluates genomes of a job (at most MAX_EVALUATE_GENOMES), for checking other members'
   * checkpoints; results in the order of `params`. Runs in the pool's checker, an evaluator of its
   * own outside the pool's size (requests one at a time), so a check never waits behind units:
   * next-epoch units wait for their inputs' checks. A genome outside the strategy's space gets an
   * error result instead of an evaluation. Fails (EVAL_TIMEOUT, EVAL_CRASHED...) when a genome
   * kills the checker: nothing is skipped, the caller decides. `island`: the unit island whose
   * ranges score them (default 0: a plain job's only ranges).
   */
  evaluate (job: PoolJob, params: readonly ParamValues[], island?: number): Promise<EvalResult[]>
  /**
   * `peer backtest`: one genome over range.from..range.to of the job's candles, in full. Runs in an
   * evaluator of its own, like detail(). Fails with BACKTEST_BAD_PARAMS or BACKTEST_CONSTRAINT_BROKEN
   * for a genome the strategy's space refuses, with the strategy's own error when it fails.
   */
  backtest (job: PoolJob, params: ParamValues, range: BacktestRange): Promise<RangeBacktest>
  /**
   * Starts the checker and loads the job into it ahead of the first check: a process start and a
   * job load (~0.3 s) would otherwise delay the first check, and with it the units that wait for it.
   */
  warmChecker (job: PoolJob): Promise<void>
  /**
   * Runs, in the checker, the look-ahead sample that unit (island, epoch) of the job checks with
   * this final population (engine/lookahead.ts lookAheadSample); throws STRATEGY_LOOKAHEAD when it
   * looks ahead. A hostile peer could skip the check in its own units; every checker repeats it.
   */
  lookAhead (job: PoolJob, island: number, epoch: number, population: ReadonlyArray<{ readonly params: ParamValues, readonly fitness: number | null }>): Promise<void>
  /**
   * The submit check of a job not published yet (engine/preflight.ts), in an evaluator of its own:
   * throws STRATEGY_CONSTRAINTS_UNSATISFIABLE or STRATEGY_LOOKAHEAD.
   */
  preflight (job: PoolJob): Promise<void>
  stats (): PoolStats
  /** The live pooled evaluators' memory, then the checker's while it runs (for `peer status`). */
  memory (): EvaluatorMemory[]
  /** PIDs of the live evaluator processes (for status and tests). */
  pids (): number[]
}
