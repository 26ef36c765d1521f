/**
 * A peer counts another member's commit only after checking its checkpoint. Membership is a shared
 * secret, not proof of honesty: a compromised or buggy member can sign any checkpoint, and one
 * committed first (or with a backdated clock) would otherwise count, top every leaderboard and
 * feed the next epoch's units. Each peer therefore checks every remote checkpoint of the jobs it
 * can run (src/engine/checkpoint-check.ts: its shape, then a re-evaluation of its best genomes and
 * a sample of the rest, in a pooled evaluator, a few evaluations per unit) and judges it:
 * - trusted: its own commits, checkpoints it computed itself (vouched), and checked ones that
 *   matched. Only these count (ledger-queries' CommitTrust).
 * - pending: not checked yet. The unit is neither counted, nor claimable, nor an input until the
 *   check ends, which takes the next free evaluator.
 * - rejected: the check failed. The unit is claimable again, an honest peer computes and commits
 *   it, and the wrong commit stays on the ledger as a conflict naming its author.
 * Verdicts depend on the checkpoint alone (evaluation is deterministic), so honest peers reach the
 * same ones; they are kept in the data directory, so a restart does not check everything again.
 * Jobs this peer cannot run (another engine version, a strategy that does not load here) cannot
 * be checked: their commits count unchecked, as before, and status says so.
 */
import { join } from 'node:path'
import { Level } from 'level'
import { checkPlan, checkpointNumbersProblem, checkpointShapeProblem } from '../../engine/checkpoint-check.js'
import type { Checkpoint } from '../../protocol/job-spec.js'
import { ERROR_CODES } from '../../protocol/error-codes.js'
import type { CommitRecord, LedgerState, UnitRecord } from '../../ledger/fold.js'
import { jobs, rejectedCommits, type CommitTrust, type RejectedCommit } from '../../ledger/queries.js'
import type { EvalResult } from '../../protocol/types.js'
import type { EvaluatorPool, PoolJob } from '../evaluators/pool.js'
import type { JobLibrary } from './job-library.js'

/** Longest reason kept with a rejection (it is shown in status and kept on disk). */
export const MAX_REJECTION_REASON_CHARS = 300
/** Evaluation results remembered per job, so genomes shared by many checkpoints are evaluated once. */
export const CHECK_MEMO_ENTRIES = 4096
/** Jobs whose remembered results are kept (least recently checked dropped first). */
const CHECK_MEMO_JOBS = 4
/**
 * Failures of a check that a genome caused here (it ran too long, crashed or ran out of memory in
 * this peer's evaluator): the checkpoint is rejected, so the unit is computed again, but the
 * verdict is not kept on disk (a faster or roomier run may pass). Any other failure (the pool
 * stopped or cannot start evaluators) leaves the commit pending, to be checked later.
 */
const GENOME_FAILURES: ReadonlySet<string> = new Set(Object.values(ERROR_CODES).filter(c => c.machineDependent).map(c => c.code))
/** After a round of checks that could not run, the next round starts this much later. */
const CHECK_RETRY_MS = 10_000

type Verdict = { readonly ok: true } | { readonly ok: false, readonly reason: string }

export interface Rejection extends RejectedCommit { readonly reason: string }

export interface VerifierStats {
  /** Checkpoints known to be right (checked, or computed here), since the data directory was created. */
  readonly checked: number
  /** Remote commits of runnable jobs not checked yet. */
  readonly pending: number
  /** Genomes evaluated for checks since this peer started (what checking has cost). */
  readonly evaluations: number
  readonly rejected: readonly Rejection[]
  /** Jobs whose commits count unchecked, with the reason they cannot be checked here. */
  readonly unchecked: ReadonlyMap<string, string>
}

export interface CommitVerifierOptions {
  readonly self: string
  readonly dataDir: string
  readonly state: () => LedgerState
  readonly library: Pick<JobLibrary, 'readiness'>
  readonly pool: Pick<EvaluatorPool, 'evaluate' | 'warmChecker'>
  /** A verdict changed what counts. */
  readonly onChange: () => void
  readonly log: (line: string) => void
}

export interface CommitVerifier {
  start (): Promise<void>
  stop (): Promise<void>
  readonly trust: CommitTrust
  /** This peer computed the checkpoint with this hash itself: it needs no check. */
  vouch (checkpointHash: string): Promise<void>
  /** Looks for commits to check (new entries arrived, a job became ready). */
  kick (): void
  stats (): VerifierStats
}

export function createCommitVerifier (opts: CommitVerifierOptions): CommitVerifier {
  const verdicts = new Map<string, Verdict>()
  const unchecked = new Map<string, string>()
  const memos = new Map<string, Map<string, EvalResult>>()
  /** Jobs the checker was warmed for (once each). */
  const warmed = new Set<string>()
  let db: Level<string, string> | null = null
  let stopping = false
  let scanning: Promise<void> | null = null
  let again = false
  let evaluations = 0
  let retry: ReturnType<typeof setTimeout> | undefined

  async function record (hash: string, found: Verdict, keep = true): Promise<void> {
    const verdict: Verdict = found.ok ? found : { ok: false, reason: found.reason.slice(0, MAX_REJECTION_REASON_CHARS) }
    verdicts.set(hash, verdict)
    if (keep) await db?.put(hash, JSON.stringify(verdict))
  }

  const trust: CommitTrust = (c: CommitRecord, unit: UnitRecord) => {
    if (c.author === opts.self) return 'trusted'
    const v = verdicts.get(c.checkpointHash)
    if (v !== undefined) return v.ok ? 'trusted' : 'rejected'
    if (unchecked.has(unit.jobId)) return 'trusted'
    return 'pending'
  }

  function memoOf (jobId: string): Map<string, EvalResult> {
    let memo = memos.get(jobId)
    if (memo !== undefined) memos.delete(jobId)
    else memo = new Map()
    memos.set(jobId, memo)
    while (memos.size > CHECK_MEMO_JOBS) memos.delete(memos.keys().next().value as string)
    if (memo.size > CHECK_MEMO_ENTRIES) memo.clear()
    return memo
  }

  /**
   * Checks one checkpoint; returns its verdict and whether to keep it on disk. Throws when the
   * check could not run here at all (see GENOME_FAILURES).
   */
  async function check (unit: UnitRecord, hash: string, cp: Checkpoint, job: PoolJob): Promise<{ verdict: Verdict, keep: boolean }> {
    const shape = checkpointShapeProblem(cp, job.spec, unit.jobId, unit.island, unit.epoch)
    if (shape !== null) return { verdict: { ok: false, reason: shape }, keep: true }
    const plan = checkPlan(cp, hash)
    const memo = memoOf(unit.jobId)
    const missing = plan.genomes.filter(g => !memo.has(g.key))
    if (missing.length > 0) {
      let results: EvalResult[]
      try {
        results = await opts.pool.evaluate(job, missing.map(g => g.params))
        evaluations += missing.length
      } catch (err) {
        const e = err as Error & { code?: string }
        if (stopping || e.code === undefined || !GENOME_FAILURES.has(e.code)) throw err
        return { verdict: { ok: false, reason: `checking it failed here (${e.code}: ${e.message}); the unit is computed again` }, keep: false }
      }
      missing.forEach((g, i) => memo.set(g.key, results[i]))
    }
    const numbers = checkpointNumbersProblem(cp, plan, memo)
    return { verdict: numbers === null ? { ok: true } : { ok: false, reason: numbers }, keep: true }
  }

  /**
   * Running jobs of a mesh with other members: have the checker load the job now, before the
   * first remote commit arrives, so that check (which the next epoch's units wait for) starts at once.
   */
  function warmChecker (state: LedgerState): void {
    if (![...state.peers.keys()].some(a => a !== opts.self)) return
    for (const job of jobs(state, trust)) {
      if (job.done || warmed.has(job.id)) continue
      const ready = opts.library.readiness(job.id, job.spec)
      if (!ready.ready) continue
      warmed.add(job.id)
      opts.pool.warmChecker(ready.job).catch(err => { if (!stopping) opts.log(`warming the checker: ${(err as Error).message}`) })
    }
  }

  async function scanOnce (): Promise<void> {
    const state = opts.state()
    warmChecker(state)
    const todo = new Map<string, Array<{ unit: UnitRecord, commit: CommitRecord }>>()
    for (const unit of state.units.values()) {
      const seen = new Set<string>()
      for (const c of unit.commits) {
        if (c.author === opts.self || verdicts.has(c.checkpointHash) || seen.has(c.checkpointHash)) continue
        seen.add(c.checkpointHash)
        // The same checkpoint as one of our own commits of the unit: computed here.
        if (unit.commits.some(o => o.author === opts.self && o.checkpointHash === c.checkpointHash)) {
          await record(c.checkpointHash, { ok: true })
          continue
        }
        const list = todo.get(unit.jobId) ?? []
        list.push({ unit, commit: c })
        todo.set(unit.jobId, list)
      }
    }
    for (const [jobId, list] of todo) {
      const spec = state.jobs.get(jobId)?.spec
      if (spec === undefined) continue
      const ready = opts.library.readiness(jobId, spec)
      if (!ready.ready) {
        if (ready.permanent && unchecked.get(jobId) !== ready.reason) {
          unchecked.set(jobId, ready.reason)
          opts.log(`job ${jobId.slice(0, 12)} cannot be checked here (${ready.reason}): its commits count unchecked`)
          opts.onChange()
        }
        continue
      }
      if (unchecked.delete(jobId)) opts.onChange()
      // Earlier epochs first: they are the inputs the next units wait for.
      list.sort((a, b) => a.unit.epoch - b.unit.epoch || a.unit.island - b.unit.island)
      for (const { unit, commit } of list) {
        if (stopping) return
        if (verdicts.has(commit.checkpointHash)) continue
        const cp = state.checkpoints.get(commit.checkpointHash)
        if (cp === undefined) continue
        const { verdict, keep } = await check(unit, commit.checkpointHash, cp, ready.job)
        if (stopping) return
        await record(commit.checkpointHash, verdict, keep)
        if (!verdict.ok) {
          opts.log(`rejected the commit of island ${unit.island} epoch ${unit.epoch} of job ${jobId.slice(0, 12)} by ${commit.author.slice(-8)}: ${verdict.reason}`)
        }
        opts.onChange()
      }
    }
  }

  function kick (): void {
    if (stopping || db === null) return
    if (scanning !== null) { again = true; return }
    scanning = (async () => {
      try {
        do {
          again = false
          await scanOnce()
        } while (again && !stopping)
      } catch (err) {
        // Left pending, checked in a later round.
        if (!stopping) {
          opts.log(`checking commits: ${(err as Error).message}; trying again in ${CHECK_RETRY_MS / 1000} s`)
          clearTimeout(retry)
          retry = setTimeout(kick, CHECK_RETRY_MS)
          retry.unref()
        }
      } finally {
        scanning = null
      }
    })()
  }

  return {
    trust,
    async start () {
      db = new Level<string, string>(join(opts.dataDir, 'verdicts'), { valueEncoding: 'utf8' })
      await db.open()
      for await (const [hash, value] of db.iterator()) {
        try {
          const v = JSON.parse(value) as Verdict
          if (v.ok === true || (v.ok === false && typeof v.reason === 'string')) verdicts.set(hash, v)
        } catch {
          // An unreadable verdict is checked again.
        }
      }
      kick()
    },
    async stop () {
      // A scan may be waiting for an evaluator; it sees `stopping` (or the pool's POOL_STOPPED)
      // and ends without recording anything more.
      stopping = true
      clearTimeout(retry)
      const closing = db
      db = null
      await closing?.close()
    },
    async vouch (hash) {
      if (verdicts.get(hash)?.ok === true) return
      await record(hash, { ok: true })
      opts.onChange()
    },
    kick,
    stats () {
      const state = opts.state()
      let pending = 0
      for (const unit of state.units.values()) for (const c of unit.commits) if (trust(c, unit) === 'pending') pending++
      let checked = 0
      for (const v of verdicts.values()) if (v.ok) checked++
      const rejected = rejectedCommits(state, trust).map(r => {
        const v = verdicts.get(r.checkpointHash)
        return { ...r, reason: v !== undefined && !v.ok ? v.reason : 'unknown' }
      })
      return { checked, pending, evaluations, rejected, unchecked: new Map(unchecked) }
    },
  }
}
