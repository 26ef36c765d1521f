/**
 * What `peer results` (and the dashboard) adds to each leaderboard row and to the job: the
 * overfitting statistics of a complete job (src/node/work/statistics-keeper.ts) and the overfit
 * flag, which needs no computing (src/engine/overfit.ts).
 */
import { overfitCheck } from '../engine/overfit.js'
import { paramsKey } from '../protocol/params-key.js'
import type { LeaderboardRow } from '../protocol/job-spec.js'
import type { ResultsRow, ResultsStatistics } from './peer-types.js'
import type { StatisticsStatus } from './work/index.js'

export function rowsWithStatistics (rows: readonly LeaderboardRow[], status: StatisticsStatus): ResultsRow[] {
  const byKey = new Map(status.ready ? status.statistics.rows.map(r => [paramsKey(r.params), r]) : [])
  return rows.map(row => {
    const s = byKey.get(paramsKey(row.params))
    return { ...row, dsr: s?.dsr ?? null, plateau: s?.plateau ?? null, overfit: overfitCheck(row.inSample, row.outOfSample).overfit }
  })
}

export function statisticsView (status: StatisticsStatus, trials: number): ResultsStatistics {
  if (!status.ready) return { ready: false, reason: status.reason, trials, pbo: null, pboRows: null, rows: null, sharpeVariance: null, expectedMaxSharpe: null }
  const s = status.statistics
  return { ready: true, reason: null, trials: s.trials, pbo: s.pbo, pboRows: s.pboRows, rows: s.rows.length, sharpeVariance: s.sharpeVariance, expectedMaxSharpe: s.expectedMaxSharpe }
}
