/**
 * Rendering for the terminal: the leaderboard as a table or CSV, numbers that fit a column.
 */
import type { Metrics } from '../../protocol/types.js'
import type { JobStatusView, PeerView, ResultsRow } from '../peer-types.js'

export function pct (x: number): string {
  return `${(x * 100).toFixed(1)}%`
}

export function num (x: number, digits = 2): string {
  if (Math.abs(x) >= 1e6) return x.toExponential(2)
  return x.toFixed(digits)
}

function formatParam (v: number | string): string {
  if (typeof v === 'string') return v
  return Number.isInteger(v) ? String(v) : v.toPrecision(4)
}

export function paramsText (params: Readonly<Record<string, number | string>>): string {
  return Object.keys(params).sort().map(k => `${k}=${formatParam(params[k])}`).join(' ')
}

/** A plain-text table: columns padded to their widest cell, numbers right-aligned. */
export function table (header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const isNum = header.map((_, i) => rows.length > 0 && rows.every(r => /^[-+]?[\d.,%e+]+$/.test(r[i] ?? '')))
  const line = (cells: string[]): string => cells.map((c, i) => isNum[i] ? c.padStart(widths[i]) : c.padEnd(widths[i])).join('  ').trimEnd()
  return [line(header), line(widths.map(w => '-'.repeat(w))), ...rows.map(line)].join('\n')
}

const metricCols = (m: Metrics | null): string[] => m === null
  ? ['-', '-', '-', '-']
  : [num(m.sharpe), pct(m.totalReturn), pct(m.maxDrawdown), String(m.trades)]

/** A probability or share for a column: three decimals, `-` when there is none (yet). */
function shareText (x: number | null): string {
  return x === null ? '-' : x.toFixed(3)
}

export function leaderboardTable (rows: readonly ResultsRow[]): string {
  if (rows.length === 0) return '(no results yet)'
  return table(
    ['#', 'fitness', 'DSR', 'plateau', 'IS sharpe', 'IS return', 'IS maxDD', 'IS trades', 'OOS sharpe', 'OOS return', 'OOS maxDD', 'OOS trades', 'overfit', 'params'],
    rows.map(r => [
      String(r.rank), num(r.fitness, 3), shareText(r.dsr), shareText(r.plateau), ...metricCols(r.inSample), ...metricCols(r.outOfSample),
      r.overfit ? 'OVERFIT' : '-', paramsText(r.params),
    ]),
  )
}

const METRIC_KEYS: Array<keyof Metrics> = ['totalReturn', 'cagr', 'sharpe', 'sortino', 'maxDrawdown', 'calmar', 'trades', 'winRate', 'profitFactor', 'exposure', 'bars']

function csvCell (v: unknown): string {
  const s = v === null || v === undefined ? '' : String(v)
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export function leaderboardCsv (rows: readonly ResultsRow[]): string {
  const paramNames = [...new Set(rows.flatMap(r => Object.keys(r.params)))].sort()
  const header = ['rank', 'fitness', ...paramNames.map(p => `param_${p}`), ...METRIC_KEYS.map(k => `is_${k}`), ...METRIC_KEYS.map(k => `oos_${k}`), 'island', 'epoch', 'peer', 'dsr', 'plateau', 'overfit']
  const lines = rows.map(r => [
    r.rank, r.fitness, ...paramNames.map(p => r.params[p]),
    ...METRIC_KEYS.map(k => r.inSample?.[k]), ...METRIC_KEYS.map(k => r.outOfSample?.[k]),
    r.island, r.epoch, r.peer, r.dsr, r.plateau, r.overfit,
  ].map(csvCell).join(','))
  return [header.join(','), ...lines].join('\n') + '\n'
}

/** How long ago, for a table cell: `now`, `42s ago`, `5m ago`, `3h ago`, `2d ago`, or `never`. */
export function agoText (ms: number | null): string {
  if (ms === null) return 'never'
  if (ms < 2000) return 'now'
  const s = Math.round(ms / 1000)
  if (s < 120) return `${s}s ago`
  if (s < 7200) return `${Math.round(s / 60)}m ago`
  if (s < 172800) return `${Math.round(s / 3600)}h ago`
  return `${Math.round(s / 86400)}d ago`
}

/** Peer ids are 52 characters; 12 tell them apart in a table (`--json` has them whole). */
export const SHORT_ID_CHARS = 12

export function shortId (id: string): string {
  return id.length > SHORT_ID_CHARS ? id.slice(0, SHORT_ID_CHARS) : id
}

/** Enough of a multiaddr to reach the peer: host and port. */
function addressText (addrs: readonly string[]): string {
  const a = addrs.find(x => !x.includes('/127.0.0.1/')) ?? addrs[0]
  if (a === undefined) return '-'
  const m = /^\/ip[46]\/([^/]+)\/tcp\/(\d+)/.exec(a)
  return m === null ? a : `${m[1]}:${m[2]}`
}

/** A peer's isolate interface and short runtime fingerprint (`i2 3fa9c1d2`). */
function engineText (p: PeerView): string {
  return p.fingerprint === null || p.isolateInterface === null ? '?' : `i${p.isolateInterface} ${p.fingerprint.slice(0, 8)}`
}

/** The mesh's peers, this one first (marked `*`). */
export function peersTable (rows: readonly PeerView[]): string {
  return table(
    ['name', 'id', 'address', 'engine', 'cores', 'leased', 'evals/s', 'last seen', 'state'],
    rows.map(p => [
      `${p.self ? '* ' : ''}${p.name}`, shortId(p.id), addressText(p.addresses), engineText(p), String(p.cores), String(p.leases),
      num(p.evalsPerSec, 1), agoText(p.lastSeenMs), p.reason === undefined ? p.state : `${p.state} (${p.reason})`,
    ]),
  )
}

function jobState (j: JobStatusView): string {
  if (j.stopped !== undefined) return `stopped (${j.stopped})`
  if (j.done) return 'done'
  if (j.cancelled === true) return 'cancelled (partial results)'
  if (!j.runnable) return `blocked (${j.reason ?? 'unknown reason'})`
  return j.reason === undefined ? (j.leased > 0 ? 'running' : 'waiting') : j.reason
}

export function jobsTable (rows: readonly JobStatusView[]): string {
  if (rows.length === 0) return '(no jobs yet: submit one with `peer submit STRATEGY`)'
  return table(
    ['job', 'strategy', 'dataset', 'objective', 'units', 'progress', 'leased', 'best', 'state'],
    rows.map(j => [
      shortId(j.id), j.strategy, j.dataset, j.objective, `${j.committed}/${j.total}`, pct(j.total === 0 ? 0 : j.committed / j.total),
      String(j.leased), j.bestFitness === null ? '-' : num(j.bestFitness, 3), jobState(j),
    ]),
  )
}
