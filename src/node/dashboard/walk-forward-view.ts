/**
 * A walk-forward job on the dashboard: each window's ranges as times, its winner (the leader of the
 * window's own leaderboard) and how it did on its test range, and the stitched out-of-sample equity
 * as a curve over time, so the page can shade each test range and label it by window. Pure.
 */
import type { LeaderboardRow } from '../../protocol/job-spec.js'
import type { Candles, Metrics } from '../../protocol/types.js'
import type { WalkForwardView } from '../work/index.js'
import type { CurveView } from './types.js'

export interface WalkForwardWindowView {
  readonly window: number
  readonly trainFrom: number
  readonly trainTo: number
  readonly testTo: number
  /** Open times (ms) of the first train bar, the first test bar and the last test bar; null before the peer has the candles. */
  readonly time: { readonly trainFrom: number, readonly testFrom: number, readonly testLast: number } | null
  /** The window's winner so far, ranked on its train range. */
  readonly leader: LeaderboardRow | null
  /** The winner on its train and test ranges, once the job's result is in. */
  readonly train: Metrics | null
  readonly test: Metrics | null
}

export interface WalkForwardBoard {
  readonly mode: 'rolling' | 'anchored'
  readonly windows: readonly WalkForwardWindowView[]
  /** The stitched out-of-sample equity (from 1), null until every unit is committed. */
  readonly equity: CurveView | null
  readonly stitched: Metrics | null
  readonly efficiency: number | null
  readonly stability: number | null
  /** Why there is no result although the job is done, if so. */
  readonly unavailable?: string
}

/** `candles` are the job's (null when this peer has not loaded them: times are then left out). */
export function walkForwardBoard (wf: WalkForwardView, candles: Candles | null): WalkForwardBoard {
  const result = wf.result
  const timeOf = (bar: number): number => (candles as Candles).time[bar]
  return {
    mode: wf.mode,
    windows: wf.windows.map((w, k) => {
      const r = result?.windows[k]
      const time = r !== undefined
        ? { trainFrom: r.time[0], testFrom: r.time[1], testLast: r.time[2] }
        : candles === null ? null : { trainFrom: timeOf(w.trainFrom), testFrom: timeOf(w.trainTo), testLast: timeOf(w.testTo - 1) }
      return { window: k, trainFrom: w.trainFrom, trainTo: w.trainTo, testTo: w.testTo, time, leader: w.leader, train: r?.train ?? null, test: r?.test ?? null }
    }),
    equity: result === null || candles === null ? null : { time: result.equity.bars.map(timeOf), value: result.equity.values },
    stitched: result?.stitched ?? null,
    efficiency: result?.efficiency ?? null,
    stability: result?.stability ?? null,
    ...(wf.unavailable === undefined ? {} : { unavailable: wf.unavailable }),
  }
}
