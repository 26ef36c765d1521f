/**
 * `peer backtest`: one parameter set on some data, run by the local peer in an evaluator (the
 * engine and sandbox of jobs) and published nowhere. The typical use is checking a winner on the
 * month after the job's data: `--job J --rank 1 --data newer.csv`. Paths are made absolute here,
 * since the peer may run in another directory; it reads the inputs and writes the CSV files.
 */
import { readFile, stat } from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { connectToPeer } from '../api/index.js'
import type { BacktestRequest, BacktestResult } from '../peer-types.js'
import { existingFile } from './commands-submit.js'
import { num, paramsText, pct } from './format.js'
import { dataDirFrom, invalid } from './options.js'
import { createProgressLine } from './progress.js'

/** How often the progress line says the backtest is still running; a run shorter than this shows none. */
export const BACKTEST_PROGRESS_INTERVAL_MS = 2000
/** A parameter file is a small JSON object; anything larger is the wrong file. */
const MAX_PARAMS_FILE_BYTES = 64 * 1024

export interface BacktestOptions {
  readonly dataDir?: string
  readonly strategy?: string
  readonly params?: Record<string, unknown>
  readonly paramsFile?: string
  readonly job?: string
  readonly rank?: number
  readonly symbol?: string
  readonly data?: string
  readonly from?: number
  readonly to?: number
  readonly fee?: number
  readonly slippage?: number
  readonly trades?: string
  readonly equity?: string
  readonly json?: boolean
}

function refuse (option: string, problem: string): StratmeshError {
  return new StratmeshError('OPTION_INVALID', `${option} ${problem}`, { details: { option } })
}

async function paramsFromFile (path: string): Promise<Record<string, unknown>> {
  const abs = resolve(path)
  const unreadable = (why: string, cause?: unknown): StratmeshError =>
    new StratmeshError('PARAMS_FILE_UNREADABLE', `--params-file ${abs}: ${why}`, { ...(cause === undefined ? {} : { cause }), details: { option: '--params-file', file: abs } })
  let text: string
  try {
    if ((await stat(abs)).size > MAX_PARAMS_FILE_BYTES) throw unreadable(`larger than ${MAX_PARAMS_FILE_BYTES} bytes`)
    text = await readFile(abs, 'utf8')
  } catch (err) {
    if (err instanceof StratmeshError) throw err
    throw unreadable((err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message, err)
  }
  let v: unknown
  try { v = JSON.parse(text) } catch (err) { throw unreadable(`not JSON: ${(err as Error).message}`, err) }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw unreadable('must hold a JSON object like {"fast":10,"slow":50}')
  return v as Record<string, unknown>
}

/** An output file's absolute path, its directory checked now rather than after the run. */
async function outputFile (path: string, option: string): Promise<string> {
  const abs = resolve(path)
  const dir = dirname(abs)
  const isDir = await stat(dir).then(s => s.isDirectory(), () => false)
  if (!isDir) throw new StratmeshError('BACKTEST_FILE_UNWRITABLE', `${option} ${abs}: cannot write it: ${dir} is not a directory`, { details: { option, file: abs } })
  return abs
}

/** The request for these options: what to run checked for sense, paths absolute and checked. */
export async function backtestRequestFor (opts: BacktestOptions): Promise<BacktestRequest> {
  if (opts.params !== undefined && opts.paramsFile !== undefined) throw refuse('--params-file', 'cannot be used with --params: give the values once')
  if (opts.job !== undefined) {
    if (opts.params !== undefined || opts.paramsFile !== undefined) throw refuse(opts.params !== undefined ? '--params' : '--params-file', 'cannot be used with --job: the leaderboard row gives the params')
    if (!/^[0-9a-f]{8,64}$/.test(opts.job)) throw invalid('--job', 'must be a job id or a prefix of at least 8 hex characters', opts.job)
  } else {
    if (opts.rank !== undefined) throw refuse('--rank', 'needs --job (the job whose leaderboard row to run)')
    if (opts.symbol !== undefined) throw refuse('--symbol', 'needs --job (a job over several symbols)')
    if (opts.strategy === undefined) throw refuse('--strategy', 'is required: give --strategy <file> with --params, or --job <id> --rank <n>')
    if (opts.params === undefined && opts.paramsFile === undefined) throw refuse('--params', 'is required with --strategy (or --params-file <file>)')
  }
  if (opts.from !== undefined && opts.to !== undefined && opts.from >= opts.to) {
    throw refuse('--to', `must be after --from (${new Date(opts.from).toISOString()}), got ${new Date(opts.to).toISOString()}`)
  }
  const params = opts.paramsFile !== undefined ? await paramsFromFile(opts.paramsFile) : opts.params
  const req: Record<string, unknown> = {}
  if (opts.strategy !== undefined) req.strategyPath = await existingFile(opts.strategy, 'STRATEGY_NOT_FOUND', 'strategy file')
  if (params !== undefined) req.params = params
  if (opts.job !== undefined) { req.job = opts.job; req.rank = opts.rank ?? 1 }
  if (opts.symbol !== undefined) req.symbol = opts.symbol
  if (opts.data !== undefined) req.data = opts.data === 'default' ? 'default' : await existingFile(opts.data, 'DATA_NOT_FOUND', 'data file')
  for (const k of ['from', 'to', 'fee', 'slippage'] as const) if (opts[k] !== undefined) req[k] = opts[k]
  if (opts.trades !== undefined) req.tradesPath = await outputFile(opts.trades, '--trades')
  if (opts.equity !== undefined) req.equityPath = await outputFile(opts.equity, '--equity')
  return req as BacktestRequest
}

/** The readable block: what ran, on which bars, then the metrics the leaderboard shows. */
export function backtestText (r: BacktestResult): string {
  const m = r.metrics
  const rows: Array<[string, string]> = [
    ['return', pct(m.totalReturn)],
    ['CAGR', pct(m.cagr)],
    ['Sharpe', num(m.sharpe, 3)],
    ['Sortino', num(m.sortino, 3)],
    ['max drawdown', pct(m.maxDrawdown)],
    ['Calmar', num(m.calmar, 3)],
    ['trades', String(m.trades)],
    ['win rate', pct(m.winRate)],
    ['profit factor', num(m.profitFactor, 3)],
    ['exposure', pct(m.exposure)],
    ['bars', String(m.bars)],
    [`fitness (${r.objective})`, r.fitness === null ? '- (too few trades)' : num(r.fitness, 3)],
  ]
  const width = Math.max(...rows.map(([k]) => k.length))
  const source = r.job === undefined ? '' : `, row ${r.job.rank} of job ${r.job.id.slice(0, 12)}`
  const lines = [
    `${r.strategy.name} (${r.strategy.hash.slice(0, 12)})${source} on ${r.dataset.name} (${r.dataset.hash.slice(0, 12)}, ${r.dataset.bars} bars)`,
    `params: ${paramsText(r.params)}`,
    `range: ${r.range.firstTime} to ${r.range.lastTime} (${r.range.bars} bars), fee ${r.costs.fee}, slippage ${r.costs.slippage}`,
    '',
    ...rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`),
  ]
  if (r.files.trades !== undefined) lines.push('', `trades written to ${r.files.trades}`)
  if (r.files.equity !== undefined) lines.push(`${r.files.trades === undefined ? '\n' : ''}equity curve written to ${r.files.equity}`)
  return lines.join('\n') + '\n'
}

export async function backtestCommand (opts: BacktestOptions): Promise<void> {
  const req = await backtestRequestFor(opts)
  const peer = await connectToPeer(dataDirFrom(opts))
  const progress = createProgressLine()
  const started = Date.now()
  const what = req.job === undefined ? 'backtest' : `backtest of row ${req.rank ?? 1} of job ${req.job.slice(0, 12)}`
  const timer = setInterval(() => { progress.update(`${what}: running on the local peer, ${Math.round((Date.now() - started) / 1000)} s`) }, BACKTEST_PROGRESS_INTERVAL_MS)
  let result: BacktestResult
  try {
    result = await peer.backtest(req)
  } finally {
    clearInterval(timer)
    progress.done()
  }
  process.stdout.write(opts.json === true ? JSON.stringify(result, null, 2) + '\n' : backtestText(result))
}
