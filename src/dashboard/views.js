// @ts-check
// Rendering the dashboard's tables and lists. Every value reaches the page through textContent
// (never innerHTML): peer names, parameters and error messages come from other machines.

/** @typedef {import('../node/peer-types.js').PeerStatus} PeerStatus */
/** @typedef {import('../node/peer-types.js').JobStatusView} JobStatusView */
/** @typedef {import('../node/work/commit-verifier.js').Rejection} Rejection */
/** @typedef {import('../node/dashboard/types.js').BoardRow} BoardRow */
/** @typedef {import('../node/dashboard/types.js').JobProgressView} JobProgressView */
/** @typedef {import('../node/dashboard/types.js').RowDetailView} RowDetailView */
/** @typedef {import('../protocol/types.js').Metrics} Metrics */
/** @typedef {import('../protocol/types.js').ParamValues} ParamValues */
/** @typedef {{ key: string, dir: 'asc' | 'desc' }} BoardSort */
/**
 * @typedef {object} BoardColumn
 * @property {string} key
 * @property {string} label
 * @property {boolean} [num]
 * @property {'stats' | 'is' | 'oos'} [side]
 * @property {(r: BoardRow) => number | string | null | undefined} value
 * @property {(r: BoardRow) => string} show
 * @property {(r: BoardRow) => number | undefined} [sign]
 */

/**
 * An element with its properties (class, text, dataset, on<event> listeners, attributes) and children.
 * @param {string} tag
 * @param {Record<string, any>} [props]
 * @param {...(Node | string | null | undefined)} children
 * @returns {HTMLElement}
 */

export function el (tag, props = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue
    if (k === 'class') node.className = v
    else if (k === 'text') node.textContent = v
    else if (k === 'dataset') Object.assign(node.dataset, v)
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else node.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children) if (c !== null && c !== undefined) node.append(c)
  return node
}

/**
 * Capped ratios (the engine bounds them at 1e6) and runaway CAGRs print as powers of ten, not 20 digits.
 * @type {(x: number, digits: number) => string}
 */
const fixed = (x, digits) => Math.abs(x) >= 1e5 ? x.toExponential(1) : x.toFixed(digits)
/** @type {(x: number | null | undefined, digits?: number) => string} */
export const pct = (x, digits = 1) => x === null || x === undefined ? '–' : `${fixed(x * 100, digits)}%`
/** @type {(x: number | null | undefined, digits?: number) => string} */
export const num = (x, digits = 2) => x === null || x === undefined ? '–' : fixed(Number(x), digits)
/** @type {(id: string) => string} */
export const short = id => id.length > 14 ? `${id.slice(0, 6)}…${id.slice(-6)}` : id
/** @type {(x: number) => string | undefined} */
const signClass = x => x > 0 ? 'pos' : x < 0 ? 'neg' : undefined

/** @param {number | null | undefined} ms */
export function ago (ms) {
  if (ms === null || ms === undefined) return 'never'
  if (ms < 2000) return 'now'
  const s = Math.round(ms / 1000)
  if (s < 120) return `${s}s ago`
  const m = Math.round(s / 60)
  return m < 120 ? `${m}m ago` : `${Math.round(m / 60)}h ago`
}

/**
 * Peer names by id, for the unit grid and the leaderboard's "found by".
 * @param {PeerStatus} status
 * @returns {Map<string, string>}
 */
export function peerNames (status) {
  const names = new Map([[status.self.id, `${status.self.name} (this peer)`]])
  for (const p of status.peers) names.set(p.id, p.name === '?' ? short(p.id) : p.name)
  return names
}

/**
 * @param {HTMLTableSectionElement} tbody
 * @param {PeerStatus} status
 */
export function renderMesh (tbody, status) {
  const rows = [status.self, ...status.peers].map(p => el('tr', {},
    el('td', { title: p.id }, el('strong', { text: p.name }), ' ', el('span', { class: 'muted', text: p.self ? '(this peer)' : short(p.id) })),
    el('td', {}, el('span', { class: `badge ${p.state}`, text: p.state, title: p.reason })),
    el('td', { class: 'num', text: String(p.cores) }),
    el('td', { class: 'num', text: String(p.leases) }),
    el('td', { class: 'num', text: num(p.evalsPerSec, 1) }),
    el('td', { class: 'muted', text: p.self ? 'now' : ago(p.lastSeenMs) }),
  ))
  tbody.replaceChildren(...rows)
}

/**
 * What the peer found wrong with other machines (status.checks, conflicts, frozen authors): a
 * machine whose results fail the checks is broken or tampered with, and its owner should know.
 * @param {HTMLElement} container
 * @param {PeerStatus} status
 * @param {Map<string, string>} names
 */
export function renderWarnings (container, status, names) {
  /** @type {(id: string) => string} */
  const name = id => names.get(id) ?? short(id)
  const items = []
  /** @type {Map<string, Rejection[]>} */
  const byAuthor = new Map()
  for (const r of status.checks?.rejected ?? []) byAuthor.set(r.author, [...(byAuthor.get(r.author) ?? []), r])
  for (const [author, list] of byAuthor) {
    items.push(el('li', {}, el('strong', { text: name(author) }), ` committed ${list.length} result(s) that failed this peer's check and do not count; the first: island ${list[0].island}, epoch ${list[0].epoch}: ${list[0].reason}`))
  }
  const others = (status.conflicts ?? []).filter(c => !c.rejected)
  if (others.length > 0) items.push(el('li', { text: `${others.length} unit(s) have two different results that both passed the checks (a version mismatch or a bug)` }))
  for (const f of status.frozen ?? []) items.push(el('li', {}, el('strong', { text: name(f.author) }), ` signed two different entries at seq ${f.seq}: nothing it signs from there counts`))
  if ((status.checks?.pending ?? 0) > 0) items.push(el('li', { class: 'muted', text: `checking ${status.checks.pending} result(s) from other machines` }))
  container.replaceChildren(...items)
  container.hidden = items.length === 0
}

/**
 * @param {HTMLElement} container
 * @param {readonly JobStatusView[]} jobs
 * @param {string | null} selectedId
 * @param {(id: string) => void} onSelect
 */
export function renderJobs (container, jobs, selectedId, onSelect) {
  if (jobs.length === 0) return
  const items = [...jobs].reverse().map(j => {
    const state = j.stopped !== undefined ? `stopped: ${j.stopped}` : j.done ? 'complete' : j.cancelled === true ? 'cancelled (partial results)' : !j.runnable ? `cannot run here: ${j.reason}` : `${j.leased} running`
    return el('button', { type: 'button', class: 'job', 'aria-pressed': String(j.id === selectedId), dataset: { job: j.id }, onclick: () => onSelect(j.id) },
      el('span', { class: 'name', title: j.id }, el('strong', { text: j.strategy }), ' on ', j.dataset, el('span', { class: 'muted', text: ` · ${j.id.slice(0, 8)}` })),
      el('span', { class: 'muted', text: `${j.committed}/${j.total} units` }),
      el('span', { class: 'muted', text: `${state} · best ${j.objective} ${num(j.bestFitness, 3)}` }),
      el('span', {}),
      el('span', { class: 'bar' }, el('span', { dataset: { w: String(j.progress) } })),
    )
  })
  container.replaceChildren(...items)
  // Widths from script, not a style attribute: the page's CSP allows no inline style markup.
  for (const b of /** @type {NodeListOf<HTMLElement>} */ (container.querySelectorAll('.bar > span'))) b.style.width = `${Math.round(Number(b.dataset.w) * 100)}%`
}

/**
 * @param {HTMLElement} container
 * @param {JobProgressView} progress
 * @param {Map<string, string>} names
 */
export function renderUnits (container, progress, names) {
  if (progress.units === null) {
    // Too many units to draw one by one: a bar per epoch.
    container.style.gridTemplateColumns = ''
    container.replaceChildren(...progress.perEpoch.map(e => {
      const bar = el('span', { class: 'bar' }, el('span'))
      const row = el('div', { class: 'epoch-bar' }, el('span', { text: `epoch ${e.epoch}` }), bar, el('span', { class: 'muted', text: `${e.committed}/${progress.islands}` }))
      const fill = /** @type {HTMLElement} */ (bar.firstChild)
      fill.style.width = `${Math.round(e.committed / progress.islands * 100)}%`
      return row
    }))
    return
  }
  container.style.gridTemplateColumns = `repeat(${progress.islands}, minmax(8px, 22px))`
  container.replaceChildren(...progress.units.map(u => {
    const who = u.by === undefined ? '' : ` by ${names.get(u.by) ?? short(u.by)}`
    const what = u.state === 'leased' ? 'running' : u.state === 'waiting' ? 'waiting for epoch ' + (u.epoch - 1) : u.state
    return el('i', { class: `cell ${u.state}`, title: `island ${u.island}, epoch ${u.epoch}: ${what}${who}`, dataset: { state: u.state } })
  }))
}

/**
 * Leaderboard columns: what each shows and how it sorts. `side` groups them under in/out of sample.
 * @type {readonly BoardColumn[]}
 */
export const BOARD_COLUMNS = [
  { key: 'rank', label: '#', num: true, value: r => r.rank, show: r => String(r.rank) },
  { key: 'fitness', label: 'fitness', num: true, value: r => r.fitness, show: r => num(r.fitness, 3) },
  { key: 'dsr', side: 'stats', label: 'DSR', num: true, value: r => r.dsr, show: r => num(r.dsr, 3) },
  { key: 'pbo', side: 'stats', label: 'PBO', num: true, value: r => r.pbo, show: r => num(r.pbo, 3) },
  { key: 'plateau', side: 'stats', label: 'plateau', num: true, value: r => r.plateau, show: r => pct(r.plateau, 0) },
  { key: 'is.return', side: 'is', label: 'return', num: true, value: r => r.inSample?.totalReturn, show: r => pct(r.inSample?.totalReturn), sign: r => r.inSample?.totalReturn },
  { key: 'is.sharpe', side: 'is', label: 'Sharpe', num: true, value: r => r.inSample?.sharpe, show: r => num(r.inSample?.sharpe) },
  { key: 'is.dd', side: 'is', label: 'max DD', num: true, value: r => r.inSample?.maxDrawdown, show: r => pct(r.inSample?.maxDrawdown) },
  { key: 'is.trades', side: 'is', label: 'trades', num: true, value: r => r.inSample?.trades, show: r => String(r.inSample?.trades ?? '–') },
  { key: 'oos.return', side: 'oos', label: 'return', num: true, value: r => r.outOfSample?.totalReturn, show: r => pct(r.outOfSample?.totalReturn), sign: r => r.outOfSample?.totalReturn },
  { key: 'oos.sharpe', side: 'oos', label: 'Sharpe', num: true, value: r => r.outOfSample?.sharpe, show: r => num(r.outOfSample?.sharpe) },
  { key: 'oos.dd', side: 'oos', label: 'max DD', num: true, value: r => r.outOfSample?.maxDrawdown, show: r => pct(r.outOfSample?.maxDrawdown) },
  { key: 'oos.trades', side: 'oos', label: 'trades', num: true, value: r => r.outOfSample?.trades, show: r => String(r.outOfSample?.trades ?? '–') },
  { key: 'retention', label: 'OOS/IS Sharpe', num: true, value: r => r.retention, show: r => r.retention === null ? '–' : pct(r.retention, 0) },
  { key: 'overfit', label: 'flag', value: r => r.overfit ? 1 : 0, show: () => '' },
  { key: 'params', label: 'parameters', value: r => paramsText(r.params), show: r => paramsText(r.params) },
]

/** Columns that start a group of the head (a rule on their left): overfitting, in-sample, out-of-sample, the rest. */
const GROUP_STARTS = [2, 5, 9, 13]

/** @param {ParamValues} params */
export function paramsText (params) {
  return Object.keys(params).sort().map(k => `${k}=${typeof params[k] === 'number' ? +Number(params[k]).toPrecision(6) : params[k]}`).join(' ')
}

/**
 * @param {readonly BoardRow[]} rows
 * @param {BoardSort} sort
 */
export function sortRows (rows, sort) {
  const col = BOARD_COLUMNS.find(c => c.key === sort.key) ?? BOARD_COLUMNS[0]
  const dir = sort.dir === 'asc' ? 1 : -1
  return [...rows].sort((a, b) => {
    const va = col.value(a)
    const vb = col.value(b)
    // Missing values sort last whatever the direction.
    if (va === null || va === undefined) return vb === null || vb === undefined ? a.rank - b.rank : 1
    if (vb === null || vb === undefined) return -1
    if (va < vb) return -dir
    if (va > vb) return dir
    return a.rank - b.rank
  })
}

/**
 * @param {HTMLTableSectionElement} thead
 * @param {BoardSort} sort
 * @param {(key: string) => void} onSort
 */
export function renderBoardHead (thead, sort, onSort) {
  const groups = el('tr', {},
    el('th', { colspan: '2' }),
    el('th', { colspan: '3', class: 'group stats sep', text: 'overfitting' }),
    el('th', { colspan: '4', class: 'group is sep', text: 'in-sample' }),
    el('th', { colspan: '4', class: 'group oos sep', text: 'out-of-sample' }),
    el('th', { colspan: '3', class: 'sep' }),
  )
  const cols = el('tr', {}, ...BOARD_COLUMNS.map((c, i) => {
    const sorted = sort.key === c.key ? (sort.dir === 'asc' ? 'ascending' : 'descending') : undefined
    const sep = GROUP_STARTS.includes(i)
    return el('th', {
      class: `sortable${c.num ? ' num' : ''}${sep ? ' sep' : ''}`,
      scope: 'col',
      tabindex: '0',
      'aria-sort': sorted,
      dataset: { key: c.key },
      text: c.label,
      onclick: () => onSort(c.key),
      onkeydown: (/** @type {KeyboardEvent} */ e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); onSort(c.key) } },
    })
  }))
  thead.replaceChildren(groups, cols)
}

/**
 * @param {HTMLTableSectionElement} tbody
 * @param {readonly BoardRow[]} rows
 * @param {string | null} selectedId
 * @param {(row: BoardRow) => void} onSelect
 */
export function renderBoardRows (tbody, rows, selectedId, onSelect) {
  tbody.replaceChildren(...rows.map(r => el('tr', {
    class: r.overfit ? 'overfit' : undefined,
    tabindex: '0',
    'aria-selected': String(r.id === selectedId),
    dataset: { id: r.id, rank: String(r.rank) },
    onclick: () => onSelect(r),
    onkeydown: (/** @type {KeyboardEvent} */ e) => { if (e.key === 'Enter') onSelect(r) },
  }, ...BOARD_COLUMNS.map((c, i) => {
    const sep = GROUP_STARTS.includes(i)
    if (c.key === 'overfit') return el('td', { class: 'flag sep' }, r.overfit ? el('span', { class: 'badge overfit', text: 'overfit' }) : null)
    const s = c.sign?.(r)
    return el('td', {
      class: [c.num ? 'num' : '', sep ? 'sep' : '', c.key === 'params' ? 'params' : '', s === undefined ? '' : signClass(s) ?? ''].filter(Boolean).join(' ') || undefined,
      dataset: { key: c.key, value: String(c.value(r) ?? '') },
      text: c.show(r),
    })
  }))))
}

/**
 * @param {HTMLElement} table
 * @param {ParamValues} params
 */
export function renderParams (table, params) {
  table.replaceChildren(...Object.keys(params).sort().map(k => el('tr', {}, el('td', { text: k }), el('td', { text: String(params[k]) }))))
}

/** @type {ReadonlyArray<[string, (m: Metrics) => string]>} */
const METRIC_ROWS = [
  ['total return', m => pct(m.totalReturn)], ['CAGR', m => pct(m.cagr)], ['Sharpe', m => num(m.sharpe)],
  ['Sortino', m => num(m.sortino)], ['max drawdown', m => pct(m.maxDrawdown)], ['Calmar', m => num(m.calmar)],
  ['trades', m => String(m.trades)], ['win rate', m => pct(m.winRate, 0)], ['profit factor', m => num(m.profitFactor)],
  ['exposure', m => pct(m.exposure, 0)], ['bars', m => String(m.bars)],
]

/**
 * @param {HTMLElement} table
 * @param {RowDetailView} detail
 */
export function renderMetrics (table, detail) {
  const head = el('tr', {}, el('th'), el('th', { class: 'num', text: 'in-sample' }), el('th', { class: 'num', text: 'out-of-sample' }))
  table.replaceChildren(el('thead', {}, head), el('tbody', {}, ...METRIC_ROWS.map(([label, f]) => el('tr', {},
    el('td', { text: label }),
    el('td', { class: 'num', text: f(detail.inSample.metrics) }),
    el('td', { class: 'num', text: f(detail.outOfSample.metrics) }),
  ))))
}
