// @ts-check
// The dashboard: signs in, follows the peer's status live, and shows the selected job's progress,
// its leaderboard and, for a chosen row, the equity, drawdown and trades recomputed by the peer.
import { createApi, SignInNeeded } from './api.js'
import { candleChart, equityChart, lineChart, toPoints, walkForwardChart } from './charts.js'
import { renderWalkForwardWindows, walkForwardSummary } from './walk-forward.js'
import { renderSymbols } from './basket.js'
import {
  BOARD_COLUMNS, num, paramsText, peerNames, renderBoardHead, renderBoardRows, renderJobs, renderMesh, renderWarnings,
  renderMetrics, renderParams, renderUnits, sortRows,
} from './views.js'

/** @typedef {import('../node/peer-types.js').PeerStatus} PeerStatus */
/** @typedef {import('../node/dashboard/types.js').BoardView} BoardView */
/** @typedef {import('../node/dashboard/types.js').BoardRow} BoardRow */
/** @typedef {import('../node/dashboard/types.js').JobProgressView} JobProgressView */
/** @typedef {import('../node/dashboard/types.js').RowDetailView} RowDetailView */
/** @typedef {import('./views.js').BoardSort} BoardSort */
/**
 * @typedef {{
 *   rate: ReturnType<typeof lineChart>, fitness: ReturnType<typeof lineChart>,
 *   equity: ReturnType<typeof equityChart>, candles: ReturnType<typeof candleChart>,
 * }} PageCharts
 */

/** Rows fetched for the leaderboard: more than anyone compares, few enough to render at once. */
const BOARD_TOP = 100
/** Progress is refreshed at most this often while a job runs (status events come every second). */
const PROGRESS_EVERY_MS = 2000

/** @type {(id: string) => HTMLElement} index.html has every element this script asks for. */
const $ = id => /** @type {HTMLElement} */ (document.getElementById(id))
/** @type {(id: string) => HTMLTableElement} */
const $table = id => /** @type {HTMLTableElement} */ ($(id))
const api = createApi()

/**
 * @type {{
 *   status: PeerStatus | null, jobId: string | null, jobKey: string, board: BoardView | null, sort: BoardSort,
 *   rowId: string | null, progressAt: number, charts: PageCharts | null,
 * }}
 */
const state = {
  status: null,
  jobId: null,
  jobKey: '',
  board: null,
  sort: { key: 'rank', dir: 'asc' },
  rowId: null,
  progressAt: 0,
  charts: null,
}

function charts () {
  state.charts ??= {
    rate: lineChart($('rate-chart'), 'accent', { type: 'price', precision: 1, minMove: 0.1 }),
    fitness: lineChart($('fitness-chart'), 'up', { type: 'price', precision: 3, minMove: 0.001 }),
    equity: equityChart($('equity-chart')),
    candles: candleChart($('candle-chart')),
  }
  return state.charts
}

/** @param {string} why */
function showSignIn (why) {
  $('main').hidden = true
  $('signin').hidden = false
  $('signin-why').textContent = why
  $('live').dataset.state = 'signed-out'
  $('live').textContent = 'signed out'
}

/** @param {unknown} err */
function failed (err) {
  if (err instanceof SignInNeeded) showSignIn(err.message)
  else console.warn(err)
}

/** @param {string} id */
function selectJob (id) {
  if (id === state.jobId) return
  state.jobId = id
  state.jobKey = ''
  state.board = null
  state.rowId = null
  state.progressAt = 0
  $('detail-card').hidden = true
  onStatus(state.status)
}

/** @param {PeerStatus | null} status */
function onStatus (status) {
  if (status === null) return
  state.status = status
  $('peer-name').textContent = `${status.self.name} · ${status.self.id.slice(-8)}`
  renderMesh($table('mesh').tBodies[0], status)
  renderWarnings($('mesh-warnings'), status, peerNames(status))
  const jobs = status.jobs
  if (state.jobId === null || !jobs.some(j => j.id === state.jobId)) state.jobId = jobs.at(-1)?.id ?? null
  renderJobs($('jobs'), jobs, state.jobId, selectJob)
  const job = jobs.find(j => j.id === state.jobId)
  if (job === undefined) return
  const key = `${job.id}:${job.committed}:${job.done}`
  const now = Date.now()
  if (key !== state.jobKey || (!job.done && now - state.progressAt >= PROGRESS_EVERY_MS)) {
    state.progressAt = now
    refreshProgress(job.id).catch(failed)
  }
  if (key !== state.jobKey) {
    state.jobKey = key
    refreshBoard(job.id).catch(failed)
  }
}

/** @param {string} jobId */
async function refreshProgress (jobId) {
  /** @type {JobProgressView} */
  const p = await api.get(`/v1/progress?job=${jobId}`)
  if (jobId !== state.jobId) return
  $('progress-title').textContent = `${p.strategy} on ${p.dataset}: ${p.committed}/${p.total} units${p.done ? ', complete' : ''}`
  // Progress is fetched only from onStatus, so a status is there.
  renderUnits($('unit-grid'), p, peerNames(/** @type {PeerStatus} */ (state.status)))
  const c = charts()
  c.rate.set(toPoints(p.history.map(h => h.t), p.history.map(h => h.evalsPerSec)))
  c.fitness.set(toPoints(p.history.map(h => h.t), p.history.map(h => h.bestFitness)))
}

/** @param {string} jobId */
async function refreshBoard (jobId) {
  /** @type {BoardView} */
  const b = await api.get(`/v1/board?job=${jobId}&top=${BOARD_TOP}`)
  if (jobId !== state.jobId) return
  state.board = b
  const s = b.job.spec
  $('board-note').textContent = b.stopped !== undefined ? `stopped: ${b.stopped} · no row of a stopped job is ranked` : `${b.partial === true ? `cancelled: partial results, ${b.job.committed} of ${b.job.total} units counted · ` : ''}${b.rows.length} rows · objective ${s.objective} · last ${Math.round(s.oosFraction * 100)}% of ${s.dataset.bars} bars out of sample${b.done || b.partial === true ? '' : ' · job still running'}`
  const st = b.statistics
  $('board-stats').textContent = st.ready
    ? `${st.trials} trials. DSR: the probability that a row's Sharpe beats the best that many lucky trials would show (trust above 0.95). ` +
      `PBO ${num(st.pbo, 3)}: how often the best in-sample row lands in the bottom half out of sample, for the top ${st.pboRows ?? 0} rows together (above 0.5, the ranking is no better than chance). ` +
      'Plateau: the share of a row\'s one-step neighbours with a fitness within 20% of its own (near 0: a lone spike).'
    : `${st.trials} trials so far. DSR, PBO and plateau: ${st.reason ?? 'not computed yet'}.`
  renderBoard()
  showWalkForward(b)
}

/** @type {ReturnType<typeof walkForwardChart> | null} made when a walk-forward job is first shown */
let wfChart = null

/** A walk-forward job's windows, winners and stitched equity; the card is hidden for a plain job. @param {BoardView} b */
function showWalkForward (b) {
  const wf = b.walkForward
  $('wf-card').hidden = wf === undefined
  if (wf === undefined) return
  // The rows above mix windows, each ranked on its own train range.
  if (b.stopped === undefined) $('board-note').textContent = `${b.rows.length} rows of ${wf.windows.length} walk-forward windows, each ranked on its window's train range · objective ${b.job.spec.objective}${b.done ? '' : ' · job still running'}`
  $('wf-note').textContent = walkForwardSummary(wf)
  renderWalkForwardWindows($table('wf-windows'), wf)
  wfChart ??= walkForwardChart($('wf-chart'))
  wfChart.set(wf)
}

function renderBoard () {
  renderBoardHead($table('board').createTHead(), state.sort, key => {
    // The head offers only BOARD_COLUMNS' keys.
    const col = /** @type {import('./views.js').BoardColumn} */ (BOARD_COLUMNS.find(c => c.key === key))
    // Numbers sort high first (better first), except rank and drawdown where low is better.
    const lowFirst = key === 'rank' || key.endsWith('.dd') || !col.num
    state.sort = state.sort.key === key ? { key, dir: state.sort.dir === 'asc' ? 'desc' : 'asc' } : { key, dir: lowFirst ? 'asc' : 'desc' }
    renderBoard()
  })
  if (state.board === null) return
  renderBoardRows($table('board').tBodies[0], sortRows(state.board.rows, state.sort), state.rowId, selectRow)
}

/** @param {BoardRow} row */
async function selectRow (row) {
  state.rowId = row.id
  renderBoard()
  const card = $('detail-card')
  card.hidden = false
  card.dataset.state = 'loading'
  $('detail-title').textContent = `#${row.rank} · ${paramsText(row.params)}`
  $('detail-status').textContent = 'Recomputing this row on the peer…'
  renderParams($('params'), row.params)
  if (state.board !== null) renderSymbols($table('symbols'), row, state.board.job.spec)
  $('copy-note').textContent = ''
  try {
    /** @type {RowDetailView} */
    const d = await api.get(`/v1/detail?job=${state.jobId}&row=${row.id}`)
    if (row.id !== state.rowId) return
    const c = charts()
    c.equity.set(d)
    c.candles.set(d)
    renderMetrics($('metrics'), d)
    const shown = d.inSample.trades.length + d.outOfSample.trades.length
    const total = d.inSample.tradeCount + d.outOfSample.tradeCount
    $('candle-note').textContent = `${total} trades${shown < total ? ` (first ${shown} marked)` : ''}${d.candles.bucketBars > 1 ? ` · ${d.candles.bucketBars} bars per candle` : ''}`
    $('detail-status').textContent = d.consistent
      ? `Fitness ${num(d.row.fitness, 3)}; recomputed metrics match the leaderboard.`
      : 'Warning: the recomputed metrics differ from the leaderboard row (a version mismatch between peers?).'
    card.dataset.state = 'ready'
  } catch (err) {
    card.dataset.state = 'error'
    $('detail-status').textContent = `Could not recompute this row: ${/** @type {Error} */ (err).message}`
    failed(err)
  }
}

async function copyParams () {
  const row = state.board?.rows.find(r => r.id === state.rowId)
  if (row === undefined) return
  const text = JSON.stringify(row.params, null, 2)
  try {
    await navigator.clipboard.writeText(text)
  } catch {
    // No clipboard permission: select a copy for the user instead.
    const area = document.createElement('textarea')
    area.value = text
    document.body.append(area)
    area.select()
    document.execCommand('copy')
    area.remove()
  }
  $('copy-note').textContent = 'copied'
}

async function main () {
  $('copy-params').addEventListener('click', () => { copyParams().catch(failed) })
  try {
    await api.signIn()
  } catch (err) {
    failed(err)
    return
  }
  $('signin').hidden = true
  $('main').hidden = false
  if (/** @type {Window & { LightweightCharts?: unknown }} */ (window).LightweightCharts === undefined) $('board-note').textContent = 'charts unavailable: the chart library did not load'
  renderBoard()
  try {
    onStatus(await api.get('/v1/status'))
  } catch (err) {
    failed(err)
    if (err instanceof SignInNeeded) return
  }
  await api.streamStatus(s => { try { onStatus(s) } catch (err) { failed(err) } }, live => {
    $('live').dataset.state = live
    $('live').textContent = live === 'live' ? 'live' : live === 'reconnecting' ? 'reconnecting…' : 'signed out'
    if (live === 'signed-out') showSignIn('The peer no longer knows this browser (it was restarted).')
  })
}

// The vendored chart script is deferred like this module: both have run when DOMContentLoaded fires.
if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', () => { void main() })
else void main()
