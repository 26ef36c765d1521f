// @ts-check
// A walk-forward job on the page: one row per window (its train and test dates, its winner picked
// on the train range, how that winner did on the test range) and a line on the stitched result.
import { el, num, paramsText, pct } from './views.js'

/** @typedef {import('../node/dashboard/walk-forward-view.js').WalkForwardBoard} WalkForwardBoard */

/** @param {number} ms */
function dateText (ms) {
  const iso = new Date(ms).toISOString()
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso.slice(0, 16).replace('T', ' ')
}

/**
 * @param {HTMLTableElement} table
 * @param {WalkForwardBoard} wf
 */
export function renderWalkForwardWindows (table, wf) {
  const head = el('tr', {}, ...['window', 'train', 'test', 'IS fitness', 'OOS return', 'OOS Sharpe', 'winner'].map((h, i) => el('th', { class: i >= 3 && i <= 5 ? 'num' : undefined, text: h })))
  const rows = wf.windows.map(w => {
    const t = w.time
    const ret = w.test?.totalReturn
    return el('tr', { dataset: { window: String(w.window) } },
      el('td', { class: 'num', text: String(w.window) }),
      el('td', { text: t === null ? `bars ${w.trainFrom}-${w.trainTo - 1}` : `${dateText(t.trainFrom)} .. ${dateText(t.testFrom)}` }),
      el('td', { text: t === null ? `bars ${w.trainTo}-${w.testTo - 1}` : `${dateText(t.testFrom)} .. ${dateText(t.testLast)}` }),
      el('td', { class: 'num', text: num(w.leader?.fitness, 3) }),
      el('td', { class: `num${ret === undefined ? '' : ret > 0 ? ' pos' : ret < 0 ? ' neg' : ''}`, text: pct(ret) }),
      el('td', { class: 'num', text: num(w.test?.sharpe) }),
      el('td', { class: 'params', text: w.leader === null ? '(none yet)' : paramsText(w.leader.params) }),
    )
  })
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...rows))
}

/** One line on the stitched result, or why there is none yet. @param {WalkForwardBoard} wf */
export function walkForwardSummary (wf) {
  const head = `${wf.mode}, ${wf.windows.length} windows: each window's winner is picked on its train range, then traded on its test range (shaded on the chart).`
  const s = wf.stitched
  if (s === null) return `${head} ${wf.unavailable === undefined ? 'The stitched out-of-sample result comes when every unit is committed.' : `No stitched result on this peer: ${wf.unavailable}`}`
  return `${head} Stitched out of sample (${s.bars} bars): return ${pct(s.totalReturn)}, Sharpe ${num(s.sharpe)}, max drawdown ${pct(s.maxDrawdown)}, ${s.trades} trades; walk-forward efficiency ${num(wf.efficiency)} (OOS CAGR / mean IS CAGR; above 0.5 is usually read as robust); parameter stability ${num(wf.stability)} (1: every window picked the same).`
}
