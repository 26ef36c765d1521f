/**
 * A walk-forward job in the terminal: one row per window (its train and test ranges, the winner
 * picked on the train range, how it did on the test range), then the stitched out-of-sample
 * metrics, walk-forward efficiency and parameter stability.
 */
import type { WalkForwardView } from '../work/index.js'
import { num, paramsText, pct, table } from './format.js'

function dateText (ms: number): string {
  const iso = new Date(ms).toISOString()
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : `${iso.slice(0, 16).replace('T', ' ')}`
}

export function walkForwardText (wf: WalkForwardView): string {
  const result = wf.result
  const rows = wf.windows.map((w, k) => {
    const r = result?.windows[k]
    const ranges = r === undefined
      ? [`bars ${w.trainFrom}-${w.trainTo - 1}`, `bars ${w.trainTo}-${w.testTo - 1}`]
      : [`${dateText(r.time[0])} .. ${dateText(r.time[1])}`, `${dateText(r.time[1])} .. ${dateText(r.time[2])}`]
    const test = r?.test ?? null
    return [String(k), ...ranges, w.leader === null ? '-' : num(w.leader.fitness, 3), test === null ? '-' : pct(test.totalReturn), test === null ? '-' : num(test.sharpe), w.leader === null ? '(none yet)' : paramsText(w.leader.params)]
  })
  const head = `${wf.mode} walk-forward, ${wf.windows.length} windows (each window's winner is picked on its train range, then traded on its test range)`
  const body = table(['window', 'train', 'test', 'IS fitness', 'OOS return', 'OOS sharpe', 'winner'], rows)
  if (result === null) return `${head}\n\n${body}\n\n${wf.unavailable === undefined ? 'stitched out-of-sample result: when every unit is committed' : `no stitched result on this peer: ${wf.unavailable}`}\n`
  const s = result.stitched
  const stability = Object.entries(result.paramStability).map(([name, v]) => `${name} ${num(v)}`).join(', ')
  return `${head}\n\n${body}\n\n` +
    `stitched out of sample (${s.bars} bars): return ${pct(s.totalReturn)}, CAGR ${pct(s.cagr)}, sharpe ${num(s.sharpe)}, sortino ${num(s.sortino)}, max drawdown ${pct(s.maxDrawdown)}, trades ${s.trades}\n` +
    `walk-forward efficiency: ${result.efficiency === null ? '- (the winners did not grow in sample)' : num(result.efficiency)} (OOS CAGR / mean IS CAGR; above 0.5 is usually read as robust)\n` +
    `parameter stability: ${result.stability === null ? '-' : num(result.stability)}${stability === '' ? '' : ` (${stability})`} (1: every window picked the same)\n`
}
