/**
 * `peer backtest` on the peer: one parameter set (given, or a job's leaderboard row) on some
 * candles, run in an evaluator with the same engine and isolate as a job's units, and published
 * nowhere: no ledger entry, no blob (imported candles stay in memory). The strategy runs over all
 * the data, so indicators warm up before the range the metrics cover.
 */
import { basename } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { sha256Hex } from '../../protocol/canonical.js'
import type { JobSpec } from '../../protocol/job-spec.js'
import type { Candles, Costs, ParamValues } from '../../protocol/types.js'
import { decodeDataset, encodeDataset } from '../../engine/data/dataset-codec.js'
import { importCandles } from '../../engine/data/import-candles.js'
import { DEFAULT_DATASET_NAME } from '../../engine/data/synthetic.js'
import { createJobSpec, jobId } from '../../engine/job-setup.js'
import type { EvaluatorPool, PoolJob } from '../evaluators/index.js'
import type { BacktestRequest, BacktestResult, ResultsView } from '../peer-types.js'
import { writeEquityCsv, writeTradesCsv } from './backtest-files.js'
import { defaultDatasetBytes, MAX_DATA_FILE_BYTES, MAX_STRATEGY_FILE_BYTES, readUserFile } from './job-inputs.js'
import type { JobReadiness } from './job-library.js'
import type { LocalEngine } from './local-engine.js'

/** How long a `--job` backtest waits for the job's blobs to be loaded on this peer (as a dashboard detail does). */
export const BACKTEST_READY_WAIT_MS = 15_000
const READY_POLL_MS = 100

export interface BacktestDeps {
  readonly pool: Pick<EvaluatorPool, 'inspect' | 'backtest'>
  readonly engine: LocalEngine
  readonly results: (jobId: string, top: number) => Promise<ResultsView>
  readonly readiness: (jobId: string, spec: JobSpec) => JobReadiness
  readonly clock: () => number
}

interface Dataset { readonly name: string, readonly hash: string, readonly candles: Candles }

/** What runs: the pool job (strategy, engine, candles), the genome and where it came from. */
interface Prepared {
  readonly job: PoolJob
  readonly params: ParamValues
  readonly strategy: { readonly name: string, readonly hash: string }
  readonly dataset: { readonly name: string, readonly hash: string }
  readonly from?: { readonly id: string, readonly rank: number }
}

async function datasetFrom (data: string): Promise<Dataset> {
  if (data === 'default') {
    const { bytes } = defaultDatasetBytes()
    return { name: DEFAULT_DATASET_NAME, hash: sha256Hex(bytes), candles: decodeDataset(bytes) }
  }
  const candles = importCandles(await readUserFile(data, 'data', MAX_DATA_FILE_BYTES), data).candles
  // The hash `peer submit` would give these candles, so a result can be matched with a job's dataset.
  return { name: basename(data), hash: sha256Hex(encodeDataset(candles)), candles }
}

async function whenReady (deps: BacktestDeps, id: string, spec: JobSpec): Promise<PoolJob> {
  const deadline = deps.clock() + BACKTEST_READY_WAIT_MS
  for (;;) {
    const r = deps.readiness(id, spec)
    if (r.ready) return r.job
    if (r.permanent || deps.clock() >= deadline) {
      throw new StratmeshError(r.permanent ? 'DETAIL_UNAVAILABLE' : 'DETAIL_NOT_READY', `cannot run job ${id.slice(0, 12)}'s strategy on this peer: ${r.reason}`, { details: { job: id } })
    }
    await new Promise(resolve => setTimeout(resolve, READY_POLL_MS))
  }
}

/**
 * A spec for loading the candles in an evaluator (never published): only its dataset length and
 * objective are read there. One symbol of a basket job runs as a one-dataset job would.
 */
function loadSpec (base: JobSpec, dataset: Dataset): JobSpec {
  const { basket: _basket, ...plain } = base
  return { ...plain, dataset: { hash: dataset.hash, name: dataset.name, bars: dataset.candles.length } }
}

/** The job's dataset the backtest runs on: a basket job's `--symbol` (by name, default the first). */
function jobDataset (req: BacktestRequest, spec: JobSpec, job: PoolJob): Dataset {
  if (req.symbol !== undefined && spec.basket === undefined) {
    throw new StratmeshError('BASKET_INVALID', `--symbol applies to a job over several symbols; job ${jobId(spec).slice(0, 12)} has one dataset`, { details: { option: '--symbol' } })
  }
  if (spec.basket === undefined || job.basket === undefined) return { name: spec.dataset.name, hash: spec.dataset.hash, candles: job.candles }
  const k = req.symbol === undefined ? 0 : spec.basket.datasets.findIndex(d => d.name === req.symbol)
  if (k < 0) {
    throw new StratmeshError('BASKET_INVALID', `--symbol ${req.symbol}: the job's symbols are ${spec.basket.datasets.map(d => d.name).join(', ')}`, { details: { option: '--symbol' } })
  }
  const d = spec.basket.datasets[k]
  return { name: d.name, hash: d.hash, candles: job.basket[k] }
}

async function fromJob (req: BacktestRequest, deps: BacktestDeps, job: string): Promise<Prepared> {
  const rank = req.rank ?? 1
  // The first `rank` rows: the API bounds rank by its largest page of results.
  const r = await deps.results(job, rank)
  const row = r.leaderboard[rank - 1]
  if (row === undefined) {
    throw new StratmeshError('BACKTEST_RANK_NOT_FOUND', `--rank ${rank}: job ${r.job.id.slice(0, 12)} has ${r.leaderboard.length} leaderboard row${r.leaderboard.length === 1 ? '' : 's'}`, { details: { option: '--rank', job: r.job.id, rows: r.leaderboard.length } })
  }
  const spec = r.job.spec
  if (req.strategyPath !== undefined) {
    const hash = sha256Hex(await readUserFile(req.strategyPath, 'strategy', MAX_STRATEGY_FILE_BYTES))
    if (hash !== spec.strategy.hash) {
      throw new StratmeshError('BACKTEST_STRATEGY_MISMATCH', `--strategy ${req.strategyPath} is not the strategy of job ${r.job.id.slice(0, 12)} (${spec.strategy.name}); leave --strategy out to run the job's`, { details: { option: '--strategy', file: req.strategyPath } })
    }
  }
  if (req.symbol !== undefined && req.data !== undefined) throw new StratmeshError('BASKET_INVALID', '--symbol picks one of the job\'s symbols; it does not apply with --data', { details: { option: '--symbol' } })
  const { basket: _basket, ...base } = await whenReady(deps, r.job.id, spec)
  const dataset = req.data === undefined ? jobDataset(req, spec, { ...base, basket: _basket }) : await datasetFrom(req.data)
  const loaded = loadSpec(spec, dataset)
  return {
    job: { ...base, key: `backtest:${jobId(loaded)}`, candles: dataset.candles, spec: loaded },
    params: row.params,
    strategy: { name: spec.strategy.name, hash: spec.strategy.hash },
    dataset: { name: dataset.name, hash: dataset.hash },
    from: { id: r.job.id, rank },
  }
}

async function fromFiles (req: BacktestRequest, deps: BacktestDeps, strategyPath: string, params: ParamValues): Promise<Prepared> {
  const source = (await readUserFile(strategyPath, 'strategy', MAX_STRATEGY_FILE_BYTES)).toString('utf8')
  const info = await deps.pool.inspect(source, strategyPath)
  const dataset = await datasetFrom(req.data ?? 'default')
  const strategy = { name: info.name, hash: sha256Hex(source) }
  const spec = createJobSpec({
    engine: { hash: deps.engine.hash, fingerprint: deps.engine.fingerprint },
    strategy,
    dataset: { hash: dataset.hash, name: dataset.name, bars: dataset.candles.length },
  })
  return {
    job: { key: `backtest:${jobId(spec)}`, engine: deps.engine.script, source, fileName: strategyPath, candles: dataset.candles, spec },
    params,
    strategy,
    dataset: { name: dataset.name, hash: dataset.hash },
  }
}

/** First bar whose open time is >= t (the data's length when none is). */
function firstBarAtOrAfter (time: Float64Array, t: number): number {
  let lo = 0
  let hi = time.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (time[mid] < t) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** The bars [from, to) whose open times lie in [req.from, req.to). */
function barRange (candles: Candles, req: BacktestRequest): { from: number, to: number } {
  const from = req.from === undefined ? 0 : firstBarAtOrAfter(candles.time, req.from)
  const to = req.to === undefined ? candles.length : firstBarAtOrAfter(candles.time, req.to)
  if (to - from < 2) {
    const span = `${new Date(candles.time[0]).toISOString()} to ${new Date(candles.time[candles.length - 1]).toISOString()}`
    const asked = `${req.from === undefined ? 'the start' : new Date(req.from).toISOString()} to ${req.to === undefined ? 'the end' : new Date(req.to).toISOString()}`
    throw new StratmeshError('BACKTEST_RANGE_TOO_SHORT', `--from/--to: ${asked} holds ${Math.max(0, to - from)} bar${to - from === 1 ? '' : 's'} of the data (${span}); a backtest needs at least 2`, { details: { option: '--from', bars: Math.max(0, to - from) } })
  }
  return { from, to }
}

export async function runBacktest (req: BacktestRequest, deps: BacktestDeps): Promise<BacktestResult> {
  let p: Prepared
  if (req.job !== undefined) p = await fromJob(req, deps, req.job)
  else if (req.strategyPath !== undefined && req.params !== undefined) p = await fromFiles(req, deps, req.strategyPath, req.params)
  else throw new StratmeshError('API_BAD_REQUEST', 'a backtest needs strategyPath and params, or job and rank', { details: { field: 'job' } })
  const { candles, spec } = p.job
  const range = barRange(candles, req)
  const costs: Costs = { fee: req.fee ?? spec.costs.fee, slippage: req.slippage ?? spec.costs.slippage }
  const run = await deps.pool.backtest(p.job, p.params, { ...range, costs })
  const files: { trades?: string, equity?: string } = {}
  if (req.tradesPath !== undefined) { await writeTradesCsv(req.tradesPath, candles.time, run); files.trades = req.tradesPath }
  if (req.equityPath !== undefined) { await writeEquityCsv(req.equityPath, candles.time, range.from, run); files.equity = req.equityPath }
  return {
    strategy: p.strategy,
    dataset: { ...p.dataset, bars: candles.length },
    ...(p.from === undefined ? {} : { job: p.from }),
    params: p.params,
    costs,
    objective: spec.objective,
    range: { ...range, bars: range.to - range.from, firstTime: new Date(candles.time[range.from]).toISOString(), lastTime: new Date(candles.time[range.to - 1]).toISOString() },
    metrics: run.metrics,
    fitness: run.fitness,
    trades: run.trades.length,
    files,
  }
}
