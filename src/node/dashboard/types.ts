/**
 * What the running peer answers to the dashboard page (through the local API): the leaderboard
 * with row ids and overfit flags, a job's progress per island and epoch with its history, and one
 * row recomputed in detail for the charts. Times are milliseconds since the Unix epoch.
 */
import type { LeaderboardRow } from '../../protocol/job-spec.js'
import type { Metrics, ParamValues } from '../../protocol/types.js'
import type { HistoryPoint } from '../work/index.js'
import type { ResultsStatistics, ResultsView } from '../peer-types.js'
import type { WalkForwardBoard } from './walk-forward-view.js'

export interface BoardRow extends LeaderboardRow {
  /** Stable id of the row's genome (a hash of its parameters): what /v1/detail takes. */
  readonly id: string
  /** Out-of-sample Sharpe / in-sample Sharpe (null when not comparable); see engine/overfit.ts. */
  readonly retention: number | null
  readonly overfit: boolean
  /** The row's Deflated Sharpe Ratio and plateau score, and the job's PBO (one number for the whole selection); null until computed. */
  readonly dsr: number | null
  readonly plateau: number | null
  readonly pbo: number | null
}

export interface BoardView {
  readonly job: ResultsView['job']
  readonly done: boolean
  readonly rows: readonly BoardRow[]
  /** The error that stopped the job on this peer (ResultsView.stopped); rows are then empty. */
  readonly stopped?: string
  /** The job was cancelled (ResultsView.partial): the rows are those of the units counted before. */
  readonly partial?: boolean
  readonly statistics: ResultsStatistics
  /** A walk-forward job's windows, their winners and the stitched out-of-sample equity (the rows above mix windows). */
  readonly walkForward?: WalkForwardBoard
}

export type UnitState = 'committed' | 'leased' | 'ready' | 'waiting'

export interface UnitCell {
  readonly island: number
  readonly epoch: number
  readonly state: UnitState
  /** The peer that committed or holds the unit. */
  readonly by?: string
}

export interface EpochSummary {
  readonly epoch: number
  readonly committed: number
  readonly leased: number
}

export interface JobProgressView {
  readonly id: string
  readonly strategy: string
  readonly dataset: string
  readonly islands: number
  readonly epochs: number
  readonly committed: number
  readonly total: number
  readonly done: boolean
  readonly perEpoch: readonly EpochSummary[]
  /** Every unit, or null when the job has more than MAX_PROGRESS_CELLS (then only perEpoch). */
  readonly units: readonly UnitCell[] | null
  readonly history: readonly HistoryPoint[]
}

/** A curve as columns: time[k] (ms) and value[k]. */
export interface CurveView {
  readonly time: readonly number[]
  readonly value: readonly number[]
}

export interface TradeView {
  readonly side: 1 | -1
  readonly entryTime: number
  readonly entryPrice: number
  /** The exit open, or the range's last close when the trade is still `open`. */
  readonly exitTime: number
  readonly exitPrice: number
  readonly open: boolean
  readonly return: number
}

export interface RangeView {
  readonly from: number
  readonly to: number
  readonly metrics: Metrics
  /** Equity from 1 at the range's start. */
  readonly equity: CurveView
  /** Equity / running peak - 1 (0 or below). */
  readonly drawdown: CurveView
  readonly trades: readonly TradeView[]
  readonly tradeCount: number
}

export interface CandlesView {
  /** Bars merged into each candle shown. */
  readonly bucketBars: number
  readonly time: readonly number[]
  readonly open: readonly number[]
  readonly high: readonly number[]
  readonly low: readonly number[]
  readonly close: readonly number[]
}

export interface RowDetailView {
  readonly jobId: string
  readonly row: BoardRow
  readonly params: ParamValues
  /** True when the recomputed metrics and fitness equal the row's (they always should). */
  readonly consistent: boolean
  readonly split: { readonly bar: number, readonly time: number }
  readonly inSample: RangeView
  readonly outOfSample: RangeView
  readonly candles: CandlesView
}

/** The dashboard's questions to the peer, beside PeerControl's. */
export interface DashboardControl {
  /** The leaderboard with row ids and overfit flags. Throws JOB_NOT_FOUND. */
  board (jobId: string | undefined, top: number): Promise<BoardView>
  /** Progress per island and epoch, and the job's history. Throws JOB_NOT_FOUND. */
  progress (jobId: string | undefined): Promise<JobProgressView>
  /** One row recomputed in an evaluator. Throws JOB_NOT_FOUND, ROW_NOT_FOUND, DETAIL_*. */
  rowDetail (jobId: string, rowId: string): Promise<RowDetailView>
}
