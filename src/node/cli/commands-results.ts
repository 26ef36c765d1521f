/**
 * `peer results [JOB]`: the merged leaderboard, with in-sample and out-of-sample columns so an
 * overfit winner is visible. `--wait` blocks until every unit of the job is committed.
 */
import { StratmeshError } from '../../protocol/errors.js'
import { OVERFIT_SHARPE_RETENTION } from '../../engine/overfit.js'
import { PLATEAU_TOLERANCE } from '../../engine/stats/plateau.js'
import { connectToPeer, DEFAULT_TOP } from '../api/index.js'
import { STATISTICS_FAILED } from '../work/index.js'
import type { PeerControl, ResultsView } from '../peer-types.js'
import { leaderboardCsv, leaderboardTable, num, pct, shortId } from './format.js'
import { dataDirFrom } from './options.js'
import { createProgressLine } from './progress.js'
import { walkForwardText } from './format-walk-forward.js'
import { basketCsv, symbolsTable } from './format-basket.js'
import type { Basket } from '../../protocol/job-spec.js'
import type { WalkForwardView } from '../work/index.js'

/** `--wait` asks this often: a unit takes seconds, so a second is responsive and cheap. */
export const RESULTS_POLL_INTERVAL_MS = 1000
/**
 * After the job is complete, `--wait` waits this much longer for its overfitting statistics: they
 * take a fraction of the job (docs/BENCHMARKS.md); past this, or if computing them failed, the
 * leaderboard is printed without them and the reason says why.
 */
export const RESULTS_STATISTICS_WAIT_MS = 60_000

export interface ResultsOptions {
  readonly dataDir?: string
  readonly json?: boolean
  readonly csv?: boolean
  readonly top?: number
  readonly wait?: boolean
}

/** Where the job stands here: complete, in progress, or committed on the mesh but still being checked here. */
function progressText (r: ResultsView): string {
  if (r.done) return 'complete'
  const checking = r.checking === undefined ? '' : `, ${r.checking} being checked here`
  return `${r.job.committed}/${r.job.total} units${checking}, in progress`
}

export function resultsText (r: ResultsView): string {
  const s = r.job.spec
  const head = `job ${r.job.id} (${progressText(r)}): ${s.strategy.name} on ${s.dataset.name} ` +
    `(${s.dataset.bars} bars, last ${pct(s.oosFraction)} out of sample), objective ${s.objective}, fee ${num(s.costs.fee, 4)}, slippage ${num(s.costs.slippage, 4)}, seed ${s.seed}`
  if (r.stopped !== undefined) return `${head}\n\nstopped: ${r.stopped}\nNo row of a stopped job is ranked.\n`
  if (r.partial === true) return `${head}\ncancelled: partial results, ${r.job.committed} of ${r.job.total} units counted\n\n${leaderboardTable(r.leaderboard)}\n`
  if (r.walkForward !== undefined) return walkForwardResultsText(r, r.walkForward)
  if (s.basket !== undefined) return basketResultsText(r, s.basket)
  return `${head}\n${statisticsLine(r)}\n\n${leaderboardTable(r.leaderboard)}\n`
}

/**
 * The job's side of the overfitting statistics: its trials and PBO, and how to read the columns
 * (docs/DESIGN.md explains each statistic).
 */
export function statisticsLine (r: ResultsView): string {
  const s = r.statistics
  const trials = `${s.trials} trials`
  if (!s.ready) return `${trials}; DSR, plateau and PBO: ${s.reason ?? 'not computed yet'}`
  const pbo = s.pbo === null ? 'PBO - (too few rows)' : `PBO ${s.pbo.toFixed(3)} over the top ${s.pboRows ?? 0} rows`
  const flagged = r.leaderboard.filter(x => x.overfit).length
  return `${trials}, ${pbo}, ${flagged} of ${r.leaderboard.length} rows OVERFIT\n` +
    `(DSR: probability that the row's Sharpe beats the best of ${s.trials} lucky trials; plateau: share of its one-step neighbours within ${pct(PLATEAU_TOLERANCE)} of its fitness; ` +
    `PBO: how often the best in-sample row is below the median out of sample; OVERFIT: out-of-sample Sharpe below ${pct(OVERFIT_SHARPE_RETENTION)} of the in-sample one)`
}

/** A basket job: the leaderboard, then each row's symbols. */
function basketResultsText (r: ResultsView, basket: Basket): string {
  const s = r.job.spec
  const names = basket.datasets.map(d => d.name)
  const head = `job ${r.job.id} (${progressText(r)}): ${s.strategy.name} on ${names.length} symbols ` +
    `(${basket.datasets.map(d => `${d.name} ${d.bars} bars`).join(', ')}; last ${pct(s.oosFraction)} of each out of sample), fitness the ${basket.aggregate} of the symbols' ${s.objective}, fee ${num(s.costs.fee, 4)}, slippage ${num(s.costs.slippage, 4)}, seed ${s.seed}`
  const shown = basket.aggregate === 'min' ? 'the lowest symbol\'s' : 'the median symbol\'s'
  const symbols = symbolsTable(r.leaderboard, names)
  return `${head}\n${statisticsLine(r)}\n\n${leaderboardTable(r.leaderboard)}\n` + (symbols === '' ? '' : `\nper symbol (the IS and OOS columns above are ${shown}):\n${symbols}\n`)
}

/** A walk-forward job: its windows and stitched result instead of one leaderboard over mixed windows. */
function walkForwardResultsText (r: ResultsView, wf: WalkForwardView): string {
  const s = r.job.spec
  const head = `job ${r.job.id} (${progressText(r)}): ${s.strategy.name} on ${s.dataset.name} ` +
    `(${s.dataset.bars} bars), objective ${s.objective}, fee ${num(s.costs.fee, 4)}, slippage ${num(s.costs.slippage, 4)}, seed ${s.seed}`
  return `${head}\n${walkForwardText(wf)}`
}

const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

/** Polls until the job is done, with a live line on stderr; pins the job so a newer one does not switch it. */
export async function waitForJob (peer: PeerControl, jobId: string | undefined, top: number, intervalMs = RESULTS_POLL_INTERVAL_MS): Promise<ResultsView> {
  const progress = createProgressLine()
  try {
    let r = await peer.results(jobId, top)
    while (!r.done && r.stopped === undefined && r.partial !== true) {
      const best = r.leaderboard[0]?.fitness
      progress.update(`job ${shortId(r.job.id)}: units ${r.job.committed}/${r.job.total}${r.checking === undefined ? '' : ` (${r.checking} being checked here)`}${best === undefined ? '' : ` · best ${best.toFixed(3)}`}`)
      await sleep(intervalMs)
      r = await peer.results(r.job.id, top)
    }
    return await waitForStatistics(peer, r, top, intervalMs, (text: string) => { progress.update(text) })
  } finally {
    progress.done()
  }
}

/** Polls a complete job until its statistics are computed, for at most RESULTS_STATISTICS_WAIT_MS. */
export async function waitForStatistics (peer: PeerControl, done: ResultsView, top: number, intervalMs = RESULTS_POLL_INTERVAL_MS, show: (text: string) => void = () => {}): Promise<ResultsView> {
  let r = done
  // A stopped or cancelled job, a walk-forward job and a basket job get none (src/node/work/statistics-keeper.ts).
  if (r.stopped !== undefined || r.partial === true || r.job.spec.walkForward !== undefined || r.job.spec.basket !== undefined) return r
  for (let waited = 0; !r.statistics.ready && waited < RESULTS_STATISTICS_WAIT_MS && r.statistics.reason?.startsWith(STATISTICS_FAILED) !== true; waited += intervalMs) {
    show(`job ${shortId(r.job.id)}: complete; overfitting statistics ${r.statistics.reason ?? ''}`)
    await sleep(intervalMs)
    r = await peer.results(r.job.id, top)
  }
  return r
}

export async function resultsCommand (job: string | undefined, opts: ResultsOptions): Promise<void> {
  if (opts.json === true && opts.csv === true) {
    throw new StratmeshError('OPTION_INVALID', '--json and --csv cannot be used together', { details: { option: '--csv' } })
  }
  const top = opts.top ?? DEFAULT_TOP
  const peer = await connectToPeer(dataDirFrom(opts))
  const r = opts.wait === true ? await waitForJob(peer, job, top) : await peer.results(job, top)
  if (opts.json === true) process.stdout.write(JSON.stringify(r, null, 2) + '\n')
  else if (opts.csv === true) process.stdout.write(r.job.spec.basket === undefined ? leaderboardCsv(r.leaderboard) : basketCsv(r.leaderboard, r.job.spec.basket.datasets.map(d => d.name)))
  else process.stdout.write(resultsText(r))
}
