/**
 * A small in-memory history per job for the dashboard's "over time" charts: cumulative evaluations,
 * committed units and best fitness, sampled every few seconds. Bounded two ways: a job keeps at
 * most HISTORY_MAX_SAMPLES samples (when full, every other one is dropped and the job is sampled
 * half as often, so the whole run stays visible at a coarser grain), and at most
 * HISTORY_MAX_JOBS jobs are kept (the least recently sampled goes first). Lost on restart: it is a
 * view of this process's watch, not ledger data.
 */

/** How often a job is sampled at first: fine enough to show a one-minute job, cheap on a big ledger. */
export const HISTORY_SAMPLE_MS = 2_000
/** Samples kept per job: 600 points draw well, and at 2 s they cover 20 minutes before thinning. */
export const HISTORY_MAX_SAMPLES = 600
/** Jobs with a history: more than anyone watches at once; each costs at most a few tens of KB. */
export const HISTORY_MAX_JOBS = 16
/** Evaluations per second are averaged over this much history, smoothing unit boundaries. */
export const HISTORY_RATE_WINDOW_MS = 10_000

export interface JobSample {
  /** Wall time, ms. */
  readonly t: number
  /** Evaluations so far: counted commits plus this peer's running units. */
  readonly evaluations: number
  readonly committed: number
  readonly bestFitness: number | null
}

export interface HistoryPoint {
  readonly t: number
  readonly evalsPerSec: number
  readonly bestFitness: number | null
  readonly committed: number
}

interface Series { samples: JobSample[], stride: number, finished: boolean }

export interface JobHistory {
  /** Records a sample unless the job was sampled less than its interval ago; `final` always records, once. */
  record (jobId: string, sample: JobSample, final?: boolean): void
  /** True once a final sample was recorded: the job needs no more sampling. */
  finished (jobId: string): boolean
  /** The job's samples as points with evaluations per second (empty for an unknown job). */
  points (jobId: string): HistoryPoint[]
}

export function createJobHistory (): JobHistory {
  const series = new Map<string, Series>()

  function rates (samples: readonly JobSample[]): HistoryPoint[] {
    return samples.map((s, i) => {
      let j = i
      while (j > 0 && s.t - samples[j - 1].t <= HISTORY_RATE_WINDOW_MS) j--
      // Thinned history can have gaps wider than the window: then the previous sample is used.
      if (j === i && i > 0) j = i - 1
      const dt = s.t - samples[j].t
      const evalsPerSec = dt > 0 ? Math.max(0, s.evaluations - samples[j].evaluations) / (dt / 1000) : 0
      return { t: s.t, evalsPerSec, bestFitness: s.bestFitness, committed: s.committed }
    })
  }

  return {
    record (jobId, sample, final = false) {
      let s = series.get(jobId)
      if (s === undefined) {
        if (series.size >= HISTORY_MAX_JOBS) series.delete(series.keys().next().value as string)
        s = { samples: [], stride: 1, finished: false }
      } else {
        series.delete(jobId)
      }
      // Re-inserted: the map's order is the order of last sampling, oldest first.
      series.set(jobId, s)
      if (s.finished) return
      const last = s.samples.at(-1)
      if (!final && last !== undefined && sample.t - last.t < s.stride * HISTORY_SAMPLE_MS) return
      s.samples.push(sample)
      if (final) s.finished = true
      if (s.samples.length > HISTORY_MAX_SAMPLES) {
        // Keep the newest sample and every other one before it.
        const n = s.samples.length
        s.samples = s.samples.filter((_, i) => (n - 1 - i) % 2 === 0)
        s.stride *= 2
      }
    },
    finished (jobId) {
      return series.get(jobId)?.finished ?? false
    },
    points (jobId) {
      return rates(series.get(jobId)?.samples ?? [])
    },
  }
}
