/**
 * A basket job's leaderboard in the terminal: each row's per-symbol fitness and in-sample and
 * out-of-sample metrics, under the leaderboard (whose own IS and OOS columns are those of the
 * symbol the row stands for: the median one, or the lowest for --aggregate min).
 */
import type { Metrics } from '../../protocol/types.js'
import type { ResultsRow } from '../peer-types.js'
import { leaderboardCsv, num, pct, table } from './format.js'

const metricCols = (m: Metrics | null): string[] => m === null
  ? ['-', '-', '-', '-']
  : [num(m.sharpe), pct(m.totalReturn), pct(m.maxDrawdown), String(m.trades)]

/** One line per row and symbol; empty when no row has per-symbol results. */
export function symbolsTable (rows: readonly ResultsRow[], names: readonly string[]): string {
  const lines = rows.flatMap(r => (r.symbols ?? []).map((s, k) => [
    String(r.rank), names[k] ?? `#${k}`, s.fitness === null ? '-' : num(s.fitness, 3), ...metricCols(s.inSample), ...metricCols(s.outOfSample),
  ]))
  if (lines.length === 0) return ''
  return table(['#', 'symbol', 'fitness', 'IS sharpe', 'IS return', 'IS maxDD', 'IS trades', 'OOS sharpe', 'OOS return', 'OOS maxDD', 'OOS trades'], lines)
}

/** Per-symbol columns of the CSV: fitness and the main metrics of each range, named by symbol. */
const SYMBOL_METRICS: Array<keyof Metrics> = ['sharpe', 'totalReturn', 'maxDrawdown', 'trades']

function csvCell (v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

/** The leaderboard CSV with each symbol's columns appended (`<symbol>_fitness`, `<symbol>_is_sharpe`...). */
export function basketCsv (rows: readonly ResultsRow[], names: readonly string[]): string {
  const [header, ...lines] = leaderboardCsv(rows).trimEnd().split('\n')
  const extraHeader = names.flatMap(n => [`${n}_fitness`, ...SYMBOL_METRICS.map(k => `${n}_is_${k}`), ...SYMBOL_METRICS.map(k => `${n}_oos_${k}`)])
  const extra = rows.map(r => names.flatMap((_, i) => {
    const s = r.symbols?.[i]
    return [s?.fitness, ...SYMBOL_METRICS.map(k => s?.inSample?.[k]), ...SYMBOL_METRICS.map(k => s?.outOfSample?.[k])]
  }).map(csvCell).join(','))
  return [[header, ...extraHeader.map(csvCell)].join(','), ...lines.map((l, i) => `${l},${extra[i]}`)].join('\n') + '\n'
}
