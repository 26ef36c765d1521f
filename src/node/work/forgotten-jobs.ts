/**
 * Jobs forgotten on this peer (`peer forget`), kept in the data directory: after a restart the
 * library must still refuse to fetch their blobs and the verifier to check their commits. The
 * ledger keeps their entries: they are the mesh's, and forgetting is this peer's business only.
 */
import { join } from 'node:path'
import { Level } from 'level'

export interface ForgottenJobs {
  start (): Promise<void>
  stop (): Promise<void>
  has (jobId: string): boolean
  /** When the job was forgotten here (ms since the epoch), or undefined. */
  at (jobId: string): number | undefined
  /** Keeps the job as forgotten on disk; resolves once it is there. */
  record (jobId: string, atMs: number): Promise<void>
}

class LevelForgottenJobs implements ForgottenJobs {
  private readonly forgotten = new Map<string, number>()
  private db: Level<string, string> | null = null

  constructor (private readonly dataDir: string) {}

  async start (): Promise<void> {
    const db = new Level<string, string>(join(this.dataDir, 'forgotten-jobs'), { valueEncoding: 'utf8' })
    await db.open()
    this.db = db
    for await (const [jobId, at] of db.iterator()) this.forgotten.set(jobId, Number(at))
  }

  async stop (): Promise<void> {
    const closing = this.db
    this.db = null
    await closing?.close()
  }

  has (jobId: string): boolean {
    return this.forgotten.has(jobId)
  }

  at (jobId: string): number | undefined {
    return this.forgotten.get(jobId)
  }

  async record (jobId: string, atMs: number): Promise<void> {
    this.forgotten.set(jobId, atMs)
    await this.db?.put(jobId, String(atMs), { sync: true })
  }
}

export function createForgottenJobs (init: { readonly dataDir: string }): ForgottenJobs {
  return new LevelForgottenJobs(init.dataDir)
}
