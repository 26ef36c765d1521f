/**
 * Jobs this peer stopped because every unit of them would fail the same way (a strategy that
 * looks ahead, constraints nothing satisfies: the error codes marked `breaksJob`), kept in the
 * data directory with the reason. Without it a restarted peer would serve the leaderboard of a
 * job it had stopped, and count its commits, until one of its own units failed again.
 */
import { join } from 'node:path'
import { Level } from 'level'

/** Longest reason kept with a stop (it is shown by status, results and the dashboard). */
export const MAX_STOP_REASON_CHARS = 300

export interface JobStops {
  start (): Promise<void>
  stop (): Promise<void>
  /** Why the job stopped on this peer (`CODE: message`), or undefined. */
  reason (jobId: string): string | undefined
  /** Keeps the stop on disk; resolves once it is there. The first reason given for a job stays. */
  record (jobId: string, reason: string): Promise<void>
  /** Drops the job's stop (`peer forget`); resolves once it is off the disk. */
  drop (jobId: string): Promise<void>
}

export interface JobStopsInit {
  /** Stops are kept under `<dataDir>/stopped-jobs`. */
  readonly dataDir: string
}

class LevelJobStops implements JobStops {
  private readonly reasons = new Map<string, string>()
  private db: Level<string, string> | null = null

  constructor (private readonly init: JobStopsInit) {}

  async start (): Promise<void> {
    const db = new Level<string, string>(join(this.init.dataDir, 'stopped-jobs'), { valueEncoding: 'utf8' })
    await db.open()
    this.db = db
    for await (const [jobId, reason] of db.iterator()) this.reasons.set(jobId, reason)
  }

  async stop (): Promise<void> {
    const closing = this.db
    this.db = null
    await closing?.close()
  }

  reason (jobId: string): string | undefined {
    return this.reasons.get(jobId)
  }

  async record (jobId: string, reason: string): Promise<void> {
    if (this.reasons.has(jobId)) return
    const kept = reason.slice(0, MAX_STOP_REASON_CHARS)
    this.reasons.set(jobId, kept)
    await this.db?.put(jobId, kept)
  }

  async drop (jobId: string): Promise<void> {
    if (!this.reasons.delete(jobId)) return
    await this.db?.del(jobId)
  }
}

export function createJobStops (init: JobStopsInit): JobStops {
  return new LevelJobStops(init)
}
