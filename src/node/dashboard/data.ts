/**
 * The peer's side of the dashboard: samples each running job's progress into a small history,
 * answers progress and leaderboard questions from the ledger, and recomputes a leaderboard row in
 * detail (equity, drawdown, trades) in an evaluator, since that runs the user's strategy code.
 * Details are computed one at a time, with a short queue and a small cache, so a user clicking
 * through rows cannot start an evaluator per click.
 */
import { StratmeshError } from '../../protocol/errors.js'
import type { SampledGenomeDetail } from '../../engine/downsample.js'
import type { JobSpec } from '../../protocol/job-spec.js'
import { unitIslands, windowOf } from '../../protocol/unit-layout.js'
import type { LedgerState } from '../../ledger/fold.js'
import { countedCommit, jobs, leaderboard, TRUST_ALL, unitKey, type CommitTrust } from '../../ledger/queries.js'
import type { Candles, ParamValues } from '../../protocol/types.js'
import { MAX_TOP } from '../api/index.js'
import type { PoolJob } from '../evaluators/index.js'
import { type JobReadiness, createJobHistory, HISTORY_SAMPLE_MS, type JobHistory, type RunningUnit } from '../work/index.js'
import type { BoardView, CandlesView, DashboardControl, JobProgressView, RowDetailView } from './types.js'
import { boardRows, candlesView, detailView, progressView } from './views.js'
import { walkForwardBoard } from './walk-forward-view.js'
import type { ResultsView } from '../peer-types.js'

/** Details kept: a user compares a handful of rows, going back and forth between them. */
export const DETAIL_CACHE_ENTRIES = 16
/** Details waiting behind the one being computed; more clicks than this are refused (DETAIL_BUSY). */
export const MAX_QUEUED_DETAILS = 4
/**
 * How long a detail waits for its job to be loaded on this peer (after a restart the first click
 * loads it: local blobs take well under a second; fetching them from another peer may take longer,
 * and then the page is told to try again).
 */
export const DETAIL_READY_WAIT_MS = 15_000
/** How often readiness is checked meanwhile. */
const READY_POLL_MS = 100

export interface DashboardDataOptions {
  readonly state: () => LedgerState
  readonly running: () => readonly RunningUnit[]
  /** The peer's results(): resolves job ids and prefixes, throws JOB_NOT_FOUND. */
  readonly results: (jobId: string | undefined, top: number) => Promise<ResultsView>
  readonly readiness: (jobId: string, spec: JobSpec) => JobReadiness
  /** `island` says whose ranges to use: a walk-forward row is scored on its own window's (unit-layout.ts). */
  readonly detail: (job: PoolJob, params: ParamValues, island: number) => Promise<SampledGenomeDetail>
  readonly clock: () => number
  readonly log?: (line: string) => void
  /** Which commits count (default: all): the peer's CommitVerifier's judgement. */
  readonly trust?: CommitTrust
  /** Why a job stopped on this peer, if it did: no best fitness of it is recorded then. */
  readonly stopped?: (jobId: string) => string | undefined
}

export interface DashboardData extends DashboardControl {
  start (): void
  stop (): void
}

interface CachedDetail { readonly detail: SampledGenomeDetail, readonly candles: Candles, readonly candleView: CandlesView }

export function createDashboardData (opts: DashboardDataOptions): DashboardData {
  const trust = opts.trust ?? TRUST_ALL
  const history = createJobHistory()
  let timer: ReturnType<typeof setInterval> | undefined
  let stopped = false
  const sample = (): void => { sampleProgress(opts, trust, history) }
  const details = createDetailQueue(opts, () => stopped)

  return {
    start () {
      stopped = false
      sample()
      timer = setInterval(() => {
        try { sample() } catch (err) { opts.log?.(`dashboard history: ${(err as Error).message}`) }
      }, HISTORY_SAMPLE_MS)
    },
    stop () {
      stopped = true
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
    },

    async board (jobId, top): Promise<BoardView> {
      const r = await opts.results(jobId, top)
      const view: BoardView = { job: r.job, done: r.done, rows: boardRows(r.leaderboard, r.statistics.pbo), statistics: r.statistics, ...(r.stopped === undefined ? {} : { stopped: r.stopped }), ...(r.partial === true ? { partial: true } : {}) }
      if (r.walkForward === undefined) return view
      // The result was computed from the loaded job, so its candles are here for the curve's times.
      const ready = opts.readiness(r.job.id, r.job.spec)
      return { ...view, walkForward: walkForwardBoard(r.walkForward, ready.ready ? ready.job.candles : null) }
    },

    async progress (jobId): Promise<JobProgressView> {
      const id = (await opts.results(jobId, 1)).job.id
      const job = jobs(opts.state(), trust).find(j => j.id === id)
      if (job === undefined) throw new StratmeshError('JOB_NOT_FOUND', `no job ${id} is known to this peer`, { details: { job: id } })
      // A sample now (the history throttles itself): a job that finished between two ticks still has its end.
      sample()
      return progressView(opts.state(), job, opts.clock(), history.points(id), trust)
    },

    async rowDetail (jobId, rowId): Promise<RowDetailView> {
      const r = await opts.results(jobId, MAX_TOP)
      const row = boardRows(r.leaderboard, r.statistics.pbo).find(x => x.id === rowId)
      if (row === undefined) {
        throw new StratmeshError('ROW_NOT_FOUND', `job ${r.job.id.slice(0, 12)} has no leaderboard row ${rowId}`, { details: { job: r.job.id, row: rowId } })
      }
      if (stopped) throw new StratmeshError('PEER_STOPPING', 'the peer is stopping')
      // The window, not the island, decides the ranges; a walk-forward row's id can recur in another window.
      const got = await details.get(`${r.job.id}:${rowId}:${windowOf(r.job.spec, row.island)}`, r.job.id, r.job.spec, row.params, row.island)
      return detailView(r.job.id, row, got.detail, got.candles, got.candleView)
    },
  }
}

/** Records each unfinished job's evaluations so far (counted units plus this peer's running ones) in the history. */
function sampleProgress (opts: DashboardDataOptions, trust: CommitTrust, history: JobHistory): void {
  const state = opts.state()
  const now = opts.clock()
  const localDone = new Map<string, number>()
  for (const r of opts.running()) localDone.set(r.jobId, (localDone.get(r.jobId) ?? 0) + r.done)
  for (const job of jobs(state, trust)) {
    if (history.finished(job.id)) continue
    let evaluations = localDone.get(job.id) ?? 0
    for (let e = 0; e < job.spec.ga.epochs; e++) {
      for (let i = 0; i < unitIslands(job.spec); i++) {
        const counted = countedCommit(state.units.get(unitKey(job.id, i, e)), trust)
        if (counted !== null) evaluations += state.checkpoints.get(counted.checkpointHash)?.evaluations ?? 0
      }
    }
    const best = opts.stopped?.(job.id) === undefined ? leaderboard(state, job.id, 1, trust)[0]?.fitness ?? null : null
    history.record(job.id, { t: now, evaluations, committed: job.committed, bestFitness: best }, job.done)
  }
}

/** Row details computed one at a time, at most MAX_QUEUED_DETAILS waiting, the last few kept. */
interface DetailQueue {
  /** The detail under `key`: cached, already being computed (shared), or computed now. */
  get (key: string, jobId: string, spec: JobSpec, params: ParamValues, island: number): Promise<CachedDetail>
}

function createDetailQueue (opts: DashboardDataOptions, stopped: () => boolean): DetailQueue {
  const cache = new Map<string, CachedDetail>()
  const inFlight = new Map<string, Promise<CachedDetail>>()
  let chain: Promise<unknown> = Promise.resolve()
  let queued = 0

  /** Runs details one after another; the chain never rejects, each caller gets its own outcome. */
  function serialised<T> (work: () => Promise<T>): Promise<T> {
    if (queued > MAX_QUEUED_DETAILS) throw new StratmeshError('DETAIL_BUSY', `${queued} row details are being computed; try again in a moment`)
    queued++
    const run = chain.then(work)
    chain = run.catch(() => {}).finally(() => { queued-- })
    return run
  }

  /** The job's inputs, once loaded; asking is what starts loading them. */
  async function whenReady (jobId: string, spec: JobSpec): Promise<JobReadiness> {
    const deadline = opts.clock() + DETAIL_READY_WAIT_MS
    for (;;) {
      const ready = opts.readiness(jobId, spec)
      if (ready.ready || ready.permanent || stopped() || opts.clock() >= deadline) return ready
      await new Promise(resolve => setTimeout(resolve, READY_POLL_MS))
    }
  }

  async function compute (jobId: string, spec: JobSpec, params: ParamValues, island: number): Promise<CachedDetail> {
    const ready = await whenReady(jobId, spec)
    if (!ready.ready) {
      throw new StratmeshError(ready.permanent ? 'DETAIL_UNAVAILABLE' : 'DETAIL_NOT_READY', `cannot recompute rows of job ${jobId.slice(0, 12)} on this peer: ${ready.reason}`, { details: { job: jobId } })
    }
    try {
      const detail = await opts.detail(ready.job, params, island)
      return { detail, candles: ready.job.candles, candleView: candlesView(ready.job.candles) }
    } catch (err) {
      const e = err as Partial<StratmeshError> & Error
      throw new StratmeshError('DETAIL_FAILED', `recomputing the row failed: ${e.code ?? 'ERROR'}: ${e.message}`, { cause: err, details: { job: jobId, cause: e.code } })
    }
  }

  return {
    async get (key, jobId, spec, params, island) {
      const got = cache.get(key)
      if (got !== undefined) return got
      let pending = inFlight.get(key)
      if (pending === undefined) {
        pending = serialised(async () => await compute(jobId, spec, params, island))
        inFlight.set(key, pending)
        pending.then(v => {
          if (cache.size >= DETAIL_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string)
          cache.set(key, v)
        }, () => {}).finally(() => inFlight.delete(key))
      }
      return await pending
    },
  }
}
