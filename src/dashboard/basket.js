// @ts-check
// A basket job's row on the page: the genome's fitness and metrics on each symbol, from the row
// itself (every peer committed them with the unit), so nothing is recomputed to show them.
import { el, num, pct } from './views.js'

/** @typedef {import('../node/dashboard/types.js').BoardRow} BoardRow */
/** @typedef {import('../protocol/job-spec.js').JobSpec} JobSpec */

/**
 * Fills the table with one line per symbol and hides it for a one-dataset job.
 * @param {HTMLTableElement} table
 * @param {BoardRow} row
 * @param {JobSpec} spec
 */
export function renderSymbols (table, row, spec) {
  const symbols = row.symbols ?? []
  const names = spec.basket?.datasets.map(d => d.name) ?? []
  table.hidden = symbols.length === 0
  const head = el('tr', {}, ...['symbol', 'fitness', 'IS Sharpe', 'IS return', 'OOS Sharpe', 'OOS return'].map((h, i) => el('th', { class: i > 0 ? 'num' : undefined, text: h })))
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...symbols.map((s, k) => el('tr', { dataset: { symbol: names[k] ?? String(k) } },
    el('td', { text: names[k] ?? `#${k}` }),
    el('td', { class: 'num', text: num(s.fitness, 3) }),
    el('td', { class: 'num', text: num(s.inSample?.sharpe) }),
    el('td', { class: 'num', text: pct(s.inSample?.totalReturn) }),
    el('td', { class: 'num', text: num(s.outOfSample?.sharpe) }),
    el('td', { class: 'num', text: pct(s.outOfSample?.totalReturn) }),
  ))))
}
