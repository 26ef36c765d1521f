/**
 * The overfitting statistics of finished jobs (src/engine/stats): computed once a job is complete
 * (every unit has a counted, checked commit), in an evaluator since they run the strategy, then
 * kept in memory and in LevelDB by job with a hash of their inputs, so a restart does not compute
 * them again and a change of inputs (a commit rejected later) does. They are a pure function of
 * the committed checkpoints, so every peer computes the same bits and none is asked for its own.
 */
import { join } from 'node:path'
import { Level } from 'level'
import { STATISTICS_ROWS, type JobStatistics, type StatisticsInput } from '../../engine/stats/job-statistics.js'
import { canonicalHash } from '../../protocol/canonical.js'
import { jobs, jobTrials, leaderboard, type CommitTrust } from '../../ledger/queries.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { EvaluatorPool } from '../evaluators/index.js'
import type { PeerEvents } from '../peer-events.js'
import type { JobLibrary } from './job-library.js'

/** Where a job's statistics stand: computed, or not (yet), with why. */
export type StatisticsStatus =
  | { readonly ready: true, readonly statistics: JobStatistics }
  | { readonly ready: false, readonly reason: string }

export interface StatisticsKeeper {
  start (): Promise<void>
  stop (): Promise<void>
  /** The job's statistics, or why there are none; starts computing them for a complete job. */
  of (jobId: string): StatisticsStatus
  /** Drops the job's kept statistics (`peer forget`). */
  forget (jobId: string): Promise<void>
}

export interface StatisticsKeeperComponents {
  readonly state: () => LedgerState
  readonly trust: CommitTrust
  readonly library: Pick<JobLibrary, 'readiness'>
  readonly pool: Pick<EvaluatorPool, 'statistics'>
  readonly events: PeerEvents
  readonly log: (line: string) => void
}

export interface StatisticsKeeperInit { readonly dataDir: string }

interface Kept { readonly hash: string, readonly statistics: JobStatistics }

/** How the reason starts when computing a job's statistics failed (they are not tried again for the same inputs). */
export const STATISTICS_FAILED = 'computing them failed'

/** The inputs of a complete job's statistics, or why it has none yet. */
export function statisticsInput (state: LedgerState, jobId: string, trust: CommitTrust): StatisticsInput | string {
  const job = jobs(state, trust).find(j => j.id === jobId)
  if (job === undefined) return 'the job is unknown'
  // Its rows come from several windows, each scored on its own train range: one in-sample range,
  // as these statistics assume, does not describe them (the windows' own result is what to read).
  if (job.spec.walkForward !== undefined) return 'not computed for a walk-forward job: read its windows and stitched out-of-sample result'
  // Their returns series and trial Sharpes are one series' (stats/returns.ts); a basket's fitness is
  // an aggregate across symbols, which DSR, PBO and the plateau score do not describe.
  if (job.spec.basket !== undefined) return 'not computed for a job over several symbols: read the per-symbol metrics of its rows'
  if (!job.done) return `the job is not complete (${job.committed}/${job.total} units): the statistics need every unit`
  return { spec: job.spec, rows: leaderboard(state, jobId, STATISTICS_ROWS, trust).map(r => r.params), trials: jobTrials(state, jobId, trust) }
}

class LevelStatisticsKeeper implements StatisticsKeeper {
  private readonly kept = new Map<string, Kept>()
  private readonly failed = new Map<string, { hash: string, reason: string }>()
  private computing: string | null = null
  private db: Level<string, string> | null = null
  private stopping = false
  private unsubscribe: Array<() => void> = []

  constructor (private readonly components: StatisticsKeeperComponents, private readonly init: StatisticsKeeperInit) {}

  async start (): Promise<void> {
    const db = new Level<string, string>(join(this.init.dataDir, 'statistics'), { valueEncoding: 'utf8' })
    await db.open()
    this.db = db
    for await (const [jobId, value] of db.iterator()) {
      try {
        const k = JSON.parse(value) as Kept
        if (typeof k.hash === 'string' && k.statistics !== null && typeof k.statistics === 'object') this.kept.set(jobId, k)
      } catch {
        // Unreadable: computed again when asked for.
      }
    }
    const { events } = this.components
    this.unsubscribe = [events.on('commit:verdict', () => { this.scan() }), events.on('job:readiness', () => { this.scan() }), events.on('entry', ev => { if (ev.entry.type === 'commit') this.scan() })]
    this.scan()
  }

  async stop (): Promise<void> {
    this.stopping = true
    for (const off of this.unsubscribe.splice(0)) off()
    const closing = this.db
    this.db = null
    await closing?.close()
  }

  async forget (jobId: string): Promise<void> {
    this.kept.delete(jobId)
    this.failed.delete(jobId)
    await this.db?.del(jobId)
  }

  of (jobId: string): StatisticsStatus {
    const input = statisticsInput(this.components.state(), jobId, this.components.trust)
    if (typeof input === 'string') return { ready: false, reason: input }
    const hash = canonicalHash(input)
    const kept = this.kept.get(jobId)
    if (kept?.hash === hash) return { ready: true, statistics: kept.statistics }
    const failed = this.failed.get(jobId)
    if (failed?.hash === hash) return { ready: false, reason: `${STATISTICS_FAILED}: ${failed.reason}` }
    return { ready: false, reason: this.compute(jobId, input, hash) }
  }

  /** Starts on every complete job still without statistics (one at a time: each runs a strategy). */
  private scan (): void {
    if (this.stopping || this.computing !== null) return
    for (const job of jobs(this.components.state(), this.components.trust)) {
      if (job.done && this.computing === null) this.of(job.id)
    }
  }

  /** Starts computing the job's statistics if nothing else is; returns why they are not there yet. */
  private compute (jobId: string, input: StatisticsInput, hash: string): string {
    if (this.computing === jobId) return 'being computed'
    if (this.stopping || this.db === null) return 'the peer is stopping'
    if (this.computing !== null) return 'waiting for another job\'s statistics'
    const readiness = this.components.library.readiness(jobId, input.spec)
    if (!readiness.ready) return `the job cannot run on this peer yet: ${readiness.reason}`
    this.computing = jobId
    this.components.pool.statistics(readiness.job, input)
      .then(async statistics => {
        this.kept.set(jobId, { hash, statistics })
        await this.db?.put(jobId, JSON.stringify({ hash, statistics }))
      })
      .catch((err: unknown) => {
        if (this.stopping) return
        const reason = (err as Error).message
        this.failed.set(jobId, { hash, reason })
        this.components.log(`statistics of job ${jobId.slice(0, 12)}: ${reason}`)
      })
      .finally(() => {
        this.computing = null
        this.scan()
      })
    return 'being computed'
  }
}

export function createStatisticsKeeper (components: StatisticsKeeperComponents, init: StatisticsKeeperInit): StatisticsKeeper {
  return new LevelStatisticsKeeper(components, init)
}
