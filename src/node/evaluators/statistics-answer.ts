/**
 * Checking the statistics a child computed (it runs other people's code, so its answer is
 * untrusted input like every message it sends): the shape of JobStatistics, finite numbers,
 * probabilities within [0, 1], rebuilt from the checked fields only.
 */
import { STATISTICS_ROWS, type JobStatistics, type RowStatistics } from '../../engine/stats/job-statistics.js'
import { canonicalString } from '../../protocol/canonical.js'
import { StratmeshError } from '../../protocol/errors.js'
import type { ParamValues } from '../../protocol/types.js'

function bad (problem: string): StratmeshError {
  return new StratmeshError('EVAL_BAD_MESSAGE', `evaluator message statistics ${problem}`)
}

function finite (v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${what} must be a finite number`)
  return v
}

function share (v: unknown, what: string): number | null {
  if (v === null) return null
  const x = finite(v, what)
  if (x < 0 || x > 1) throw bad(`${what} must lie in [0, 1]`)
  return x
}

function count (v: unknown, what: string): number {
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw bad(`${what} must be an integer >= 0`)
  return v as number
}

function row (v: unknown): RowStatistics {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('row is not an object')
  const r = v as Record<string, unknown>
  try { canonicalString(r.params) } catch (err) { throw new StratmeshError('EVAL_BAD_MESSAGE', 'evaluator message statistics row params are not plain data', { cause: err }) }
  if (r.params === null || typeof r.params !== 'object' || Array.isArray(r.params)) throw bad('row lacks params')
  return { params: r.params as ParamValues, sharpe: finite(r.sharpe, 'row sharpe'), dsr: share(r.dsr, 'row dsr'), plateau: share(r.plateau, 'row plateau'), neighbours: count(r.neighbours, 'row neighbours') }
}

export function checkStatistics (v: unknown): JobStatistics {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw bad('is not an object')
  const s = v as Record<string, unknown>
  if (!Array.isArray(s.rows) || s.rows.length > STATISTICS_ROWS) throw bad(`rows must be an array of at most ${STATISTICS_ROWS}`)
  return {
    trials: count(s.trials, 'trials'),
    sharpeVariance: finite(s.sharpeVariance, 'sharpeVariance'),
    varianceSample: count(s.varianceSample, 'varianceSample'),
    expectedMaxSharpe: finite(s.expectedMaxSharpe, 'expectedMaxSharpe'),
    pbo: share(s.pbo, 'pbo'),
    pboRows: count(s.pboRows, 'pboRows'),
    pboSplits: count(s.pboSplits, 'pboSplits'),
    rows: s.rows.map(row),
  }
}
