/**
 * Building the dashboard's JSON from the ledger and from an evaluator's detail: pure functions,
 * so the shapes and limits are tested without a peer.
 */
import { sha256Hex } from '../../protocol/canonical.js'
import type { SampledCurve, SampledGenomeDetail, SampledRange } from '../../engine/downsample.js'
import { aggregateCandles } from '../../engine/downsample.js'
import type { LeaderboardRow } from '../../protocol/job-spec.js'
import type { LedgerState } from '../../ledger/fold.js'
import { countedCommit, leaseHolder, TRUST_ALL, unitKey, type CommitTrust, type JobView } from '../../ledger/queries.js'
import { overfitCheck } from '../../engine/overfit.js'
import { paramsKey } from '../../protocol/params-key.js'
import { unitInputs, unitIslands } from '../../protocol/unit-layout.js'
import type { Candles, Metrics, ParamValues } from '../../protocol/types.js'
import type { BoardRow, CandlesView, CurveView, EpochSummary, JobProgressView, RangeView, RowDetailView, UnitCell, UnitState } from './types.js'
import type { HistoryPoint } from '../work/index.js'

/** Units drawn one by one; a bigger job is shown per epoch only (a grid of 4096 cells is already dense). */
export const MAX_PROGRESS_CELLS = 4096
/** Candles in a detail: aggregated above this, as many as a wide chart shows one per pixel or two. */
export const MAX_DETAIL_CANDLES = 2000
/** Hex characters of a row id: 64 bits, unique among the rows of any leaderboard. */
const ROW_ID_CHARS = 16

/** A row's id: a hash of its parameters, stable while its rank changes. */
export function rowIdOf (params: ParamValues): string {
  return sha256Hex(paramsKey(params)).slice(0, ROW_ID_CHARS)
}

/** Rows with their ids, overfit check and statistics (the job's `pbo` on every row: it belongs to the selection). */
export function boardRows (rows: ReadonlyArray<LeaderboardRow & { readonly dsr?: number | null, readonly plateau?: number | null }>, pbo: number | null = null): BoardRow[] {
  return rows.map(r => ({ ...r, id: rowIdOf(r.params), ...overfitCheck(r.inSample, r.outOfSample), dsr: r.dsr ?? null, plateau: r.plateau ?? null, pbo }))
}

export function progressView (state: LedgerState, job: JobView, now: number, history: readonly HistoryPoint[], trust: CommitTrust = TRUST_ALL): JobProgressView {
  const { islands: ring, epochs } = job.spec.ga
  // A walk-forward job's islands, window after window (unit-layout.ts).
  const islands = unitIslands(job.spec)
  const committed = new Set<string>()
  const perEpoch: EpochSummary[] = []
  const withCells = islands * epochs <= MAX_PROGRESS_CELLS
  const units: UnitCell[] = []
  for (let epoch = 0; epoch < epochs; epoch++) {
    let done = 0
    let leased = 0
    for (let island = 0; island < islands; island++) {
      const unit = state.units.get(unitKey(job.id, island, epoch))
      const counted = countedCommit(unit, trust)
      const checking = counted === null ? unit?.commits.find(c => trust(c, unit) === 'pending') : undefined
      let cell: UnitState
      let by: string | undefined
      if (counted !== null) {
        cell = 'committed'
        by = counted.author
        committed.add(`${island}:${epoch}`)
        done++
      } else if (checking !== undefined) {
        // Finished by another member and being checked here: shown as in flight until it counts.
        cell = 'leased'
        by = checking.author
        leased++
      } else {
        const holder = leaseHolder(unit, now)
        if (holder !== null) {
          cell = 'leased'
          by = holder.author
          leased++
        } else {
          const need = unitInputs(ring, island, epoch)
          cell = [need.previous, need.migrants].every(u => u === null || committed.has(`${u[0]}:${u[1]}`)) ? 'ready' : 'waiting'
        }
      }
      if (withCells) units.push({ island, epoch, state: cell, ...(by === undefined ? {} : { by }) })
    }
    perEpoch.push({ epoch, committed: done, leased })
  }
  return {
    id: job.id,
    strategy: job.spec.strategy.name,
    dataset: job.spec.dataset.name,
    islands,
    epochs,
    committed: job.committed,
    total: job.total,
    done: job.done,
    perEpoch,
    units: withCells ? units : null,
    history,
  }
}

function curveView (c: SampledCurve, time: Float64Array): CurveView {
  return { time: Array.from(c.bars, b => time[b]), value: Array.from(c.values) }
}

function rangeView (r: SampledRange, candles: Candles): RangeView {
  return {
    from: r.from,
    to: r.to,
    metrics: r.metrics,
    equity: curveView(r.equity, candles.time),
    drawdown: curveView(r.drawdown, candles.time),
    trades: r.trades.map(t => ({
      side: t.side,
      entryTime: candles.time[t.entryBar],
      entryPrice: candles.open[t.entryBar],
      exitTime: candles.time[t.exitBar],
      exitPrice: t.exitPrice ?? (t.open ? candles.close[t.exitBar] : candles.open[t.exitBar]),
      open: t.open,
      return: t.return,
    })),
    tradeCount: r.tradeCount,
  }
}

export function candlesView (candles: Candles): CandlesView {
  const b = aggregateCandles(candles, 0, candles.length, MAX_DETAIL_CANDLES)
  return { bucketBars: b.bucketBars, time: Array.from(b.time), open: Array.from(b.open), high: Array.from(b.high), low: Array.from(b.low), close: Array.from(b.close) }
}

function sameMetrics (a: Metrics | null, b: Metrics): boolean {
  return a !== null && (Object.keys(b) as Array<keyof Metrics>).every(k => Object.is(a[k], b[k]))
}

/** The detail of one row as the page draws it; `candles` is the job's whole dataset. */
export function detailView (jobId: string, row: BoardRow, d: SampledGenomeDetail, candles: Candles, candleView: CandlesView): RowDetailView {
  const split = d.outOfSample.from
  const shown = row.symbols?.[0] ?? row
  return {
    jobId,
    row,
    params: row.params,
    // A basket row's detail charts its first symbol (engine/isolate/entry.ts), whose metrics the row keeps per symbol.
    consistent: Object.is(d.fitness, row.fitness) && sameMetrics(shown.inSample, d.inSample.metrics) && sameMetrics(shown.outOfSample, d.outOfSample.metrics),
    split: { bar: split, time: split < candles.length ? candles.time[split] : candles.time[candles.length - 1] },
    inSample: rangeView(d.inSample, candles),
    outOfSample: rangeView(d.outOfSample, candles),
    candles: candleView,
  }
}
