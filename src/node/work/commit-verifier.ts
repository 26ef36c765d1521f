/**
 * A peer counts another member's commit only after checking its checkpoint. Membership is a shared
 * secret, not proof of honesty: a compromised or buggy member can sign any checkpoint, and one
 * committed first (or with a backdated clock) would otherwise count, top every leaderboard and
 * feed the next epoch's units. Each peer therefore checks every remote checkpoint of the jobs it
 * can run (src/engine/checkpoint-check.ts: its shape, then a re-evaluation of its best genomes and
 * a sample of the rest, in a pooled evaluator, a few evaluations per unit) and judges it:
 * - trusted: its own commits, checkpoints it computed itself (vouched), and checked ones that
 *   matched. Only these count (ledger-queries' CommitTrust).
 * - pending: not checked yet. The unit is neither counted nor claimable until the check ends, in
 *   the checker (an evaluator of its own). Units that need it as an input may start from it at
 *   once, but their checkpoints are committed only once it is trusted (src/ledger/speculation.ts).
 * - rejected: the check failed. The unit is claimable again, an honest peer computes and commits
 *   it, and the wrong commit stays on the ledger as a conflict naming its author.
 * Verdicts depend on the checkpoint alone (evaluation is deterministic), so honest peers reach the
 * same ones; they are kept in the data directory, so a restart does not check everything again.
 * Jobs this peer cannot run (another engine version, a strategy that does not load here) cannot
 * be checked: their commits count unchecked, as before, and status says so.
 */
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Level } from 'level'
import { checkPlan, checkpointNumbersProblem, checkpointShapeProblem } from '../../engine/checkpoint-check.js'
import type { Checkpoint } from '../../protocol/job-spec.js'
import { windowOf } from '../../protocol/unit-layout.js'
import { ERROR_CODES } from '../../protocol/error-codes.js'
import type { CommitRecord, LedgerState, UnitRecord } from '../../ledger/fold.js'
import { jobs, rejectedCommits, type CommitTrust, type RejectedCommit } from '../../ledger/queries.js'
import { isFinished } from '../../ledger/finished.js'
import type { EvalResult } from '../../protocol/types.js'
import type { EvaluatorPool, PoolJob } from '../evaluators/index.js'
import type { JobLibrary } from './job-library.js'
import type { JobInterest } from './job-interest.js'
import type { PeerEvents } from '../peer-events.js'

/** Longest reason kept with a rejection (it is shown in status and kept on disk). */
export const MAX_REJECTION_REASON_CHARS = 300
/** Evaluation results remembered per job, so genomes shared by many checkpoints are evaluated once. */
export const CHECK_MEMO_ENTRIES = 4096
/** Jobs (windows of a walk-forward job count one each) whose remembered results are kept (least recently checked dropped first). */
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
  /** Remote commits of finished jobs nobody asked for here: left unchecked until someone does. */
  readonly dormant: number
  /** Genomes evaluated for checks since this peer started (what checking has cost). */
  readonly evaluations: number
  readonly rejected: readonly Rejection[]
  /** Jobs whose commits count unchecked, with the reason they cannot be checked here. */
  readonly unchecked: ReadonlyMap<string, string>
}

/** What the verifier works with. It emits `commit:verdict` when a verdict changes what counts. */
export interface CommitVerifierComponents {
  readonly state: () => LedgerState
  readonly library: Pick<JobLibrary, 'readiness' | 'markBroken'>
  readonly pool: Pick<EvaluatorPool, 'evaluate' | 'warmChecker' | 'lookAhead'>
  readonly events: PeerEvents
  readonly log: (line: string) => void
  /** Which finished jobs are left alone until asked for; without it every job is checked. */
  readonly interest?: Pick<JobInterest, 'dormant'>
}

export interface CommitVerifierInit {
  readonly self: string
  /** Verdicts are kept under it, so a restart does not check everything again. */
  readonly dataDir: string
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

interface PendingCheck { readonly unit: UnitRecord, readonly commit: CommitRecord }

class CheckingVerifier implements CommitVerifier {
  private readonly verdicts = new Map<string, Verdict>()
  private readonly unchecked = new Map<string, string>()
  private readonly memos = new Map<string, Map<string, EvalResult>>()
  /** Jobs the checker was warmed for (once each). */
  private readonly warmed = new Set<string>()
  private db: Level<string, string> | null = null
  private stopping = false
  private scanning: Promise<void> | null = null
  private again = false
  private evaluations = 0
  private retry: ReturnType<typeof setTimeout> | undefined
  private unsubscribe: Array<() => void> = []
  /** When each remote checkpoint without a verdict arrived (performance.now()): the check's latency is logged with its verdict. */
  private readonly arrivedAt = new Map<string, number>()

  constructor (private readonly components: CommitVerifierComponents, private readonly init: CommitVerifierInit) {}

  readonly trust: CommitTrust = (c: CommitRecord, unit: UnitRecord) => {
    if (c.author === this.init.self) return 'trusted'
    const v = this.verdicts.get(c.checkpointHash)
    if (v !== undefined) return v.ok ? 'trusted' : 'rejected'
    if (this.unchecked.has(unit.jobId)) return 'trusted'
    return 'pending'
  }

  async start (): Promise<void> {
    const db = new Level<string, string>(join(this.init.dataDir, 'verdicts'), { valueEncoding: 'utf8' })
    this.db = db
    await db.open()
    for await (const [hash, value] of db.iterator()) {
      try {
        const v = JSON.parse(value) as Verdict
        if (v.ok === true || (v.ok === false && typeof v.reason === 'string')) this.verdicts.set(hash, v)
      } catch {
        // An unreadable verdict is checked again.
      }
    }
    const { events } = this.components
    this.unsubscribe = [
      events.on('entry', ev => {
        if (ev.local || ev.entry.type !== 'commit') return
        const hash = ev.entry.body.checkpointHash
        if (this.verdicts.has(hash) || this.arrivedAt.has(hash)) { this.kick(); return }
        // Commits of jobs that cannot be checked here get no verdict: bounded like the memo.
        if (this.arrivedAt.size >= CHECK_MEMO_ENTRIES) this.arrivedAt.clear()
        this.arrivedAt.set(hash, performance.now())
        this.kick()
      }),
      events.on('job:readiness', () => { this.kick() }),
    ]
    this.kick()
  }

  async stop (): Promise<void> {
    // A scan may be waiting for an evaluator; it sees `stopping` (or the pool's POOL_STOPPED)
    // and ends without recording anything more.
    this.stopping = true
    for (const off of this.unsubscribe.splice(0)) off()
    clearTimeout(this.retry)
    const closing = this.db
    this.db = null
    await closing?.close()
  }

  async vouch (hash: string): Promise<void> {
    if (this.verdicts.get(hash)?.ok === true) return
    await this.record(hash, { ok: true })
    this.components.events.emit('commit:verdict')
  }

  kick (): void {
    if (this.stopping || this.db === null) return
    if (this.scanning !== null) { this.again = true; return }
    this.scanning = this.scanRepeatedly().finally(() => { this.scanning = null })
  }

  stats (): VerifierStats {
    const state = this.components.state()
    let pending = 0
    let dormant = 0
    for (const unit of state.units.values()) {
      const asleep = this.dormant(state, unit.jobId)
      for (const c of unit.commits) {
        if (this.trust(c, unit) !== 'pending') continue
        if (asleep) dormant++
        else pending++
      }
    }
    let checked = 0
    for (const v of this.verdicts.values()) if (v.ok) checked++
    const rejected = rejectedCommits(state, this.trust).map(r => {
      const v = this.verdicts.get(r.checkpointHash)
      return { ...r, reason: v !== undefined && !v.ok ? v.reason : 'unknown' }
    })
    return { checked, pending, dormant, evaluations: this.evaluations, rejected, unchecked: new Map(this.unchecked) }
  }

  private dormant (state: LedgerState, jobId: string): boolean {
    return this.components.interest?.dormant(state, jobId, this.trust) === true
  }

  private async scanRepeatedly (): Promise<void> {
    try {
      do {
        this.again = false
        await this.scanOnce()
      } while (this.again && !this.stopping)
    } catch (err) {
      // Left pending, checked in a later round.
      if (!this.stopping) {
        this.components.log(`checking commits: ${(err as Error).message}; trying again in ${CHECK_RETRY_MS / 1000} s`)
        clearTimeout(this.retry)
        this.retry = setTimeout(() => { this.kick() }, CHECK_RETRY_MS)
        this.retry.unref()
      }
    }
  }

  private async record (hash: string, found: Verdict, keep = true): Promise<void> {
    const verdict: Verdict = found.ok ? found : { ok: false, reason: found.reason.slice(0, MAX_REJECTION_REASON_CHARS) }
    this.verdicts.set(hash, verdict)
    if (keep) await this.db?.put(hash, JSON.stringify(verdict))
  }

  private memoOf (jobId: string): Map<string, EvalResult> {
    let memo = this.memos.get(jobId)
    if (memo !== undefined) this.memos.delete(jobId)
    else memo = new Map()
    this.memos.set(jobId, memo)
    while (this.memos.size > CHECK_MEMO_JOBS) this.memos.delete(this.memos.keys().next().value as string)
    if (memo.size > CHECK_MEMO_ENTRIES) memo.clear()
    return memo
  }

  /**
   * Checks one checkpoint; returns its verdict and whether to keep it on disk. Throws when the
   * check could not run here at all (see GENOME_FAILURES).
   */
  private async check (unit: UnitRecord, hash: string, cp: Checkpoint, job: PoolJob): Promise<{ verdict: Verdict, keep: boolean }> {
    const shape = checkpointShapeProblem(cp, job.spec, unit.jobId, unit.island, unit.epoch)
    if (shape !== null) return { verdict: { ok: false, reason: shape }, keep: true }
    const plan = checkPlan(cp, hash)
    // A genome's results depend on its window's ranges: one memo per window of a walk-forward job.
    const memo = this.memoOf(`${unit.jobId}:${windowOf(job.spec, unit.island)}`)
    const missing = plan.genomes.filter(g => !memo.has(g.key))
    if (missing.length > 0) {
      let results: EvalResult[]
      try {
        results = await this.components.pool.evaluate(job, missing.map(g => g.params), unit.island)
        this.evaluations += missing.length
      } catch (err) {
        const e = err as Error & { code?: string }
        if (this.stopping || e.code === undefined || !GENOME_FAILURES.has(e.code)) throw err
        return { verdict: { ok: false, reason: `checking it failed here (${e.code}: ${e.message}); the unit is computed again` }, keep: false }
      }
      missing.forEach((g, i) => memo.set(g.key, results[i]))
    }
    const numbers = checkpointNumbersProblem(cp, plan, memo)
    if (numbers !== null) return { verdict: { ok: false, reason: numbers }, keep: true }
    return await this.checkLookAhead(unit, cp, job)
  }

  /**
   * The look-ahead sample the checkpoint's unit had to pass (a hostile or old peer may have
   * skipped it). One that looks ahead is rejected and stops the job here: every unit would.
   */
  private async checkLookAhead (unit: UnitRecord, cp: Checkpoint, job: PoolJob): Promise<{ verdict: Verdict, keep: boolean }> {
    try {
      await this.components.pool.lookAhead(job, unit.island, unit.epoch, cp.population.map(g => ({ params: g.params, fitness: g.fitness })))
    } catch (err) {
      const e = err as Error & { code?: string }
      if (e.code === 'STRATEGY_LOOKAHEAD') {
        await this.components.library.markBroken(unit.jobId, `${e.code}: ${e.message}`)
        this.components.events.emit('job:readiness')
        return { verdict: { ok: false, reason: `${e.code}: ${e.message}` }, keep: true }
      }
      if (this.stopping || e.code === undefined || !GENOME_FAILURES.has(e.code)) throw err
      return { verdict: { ok: false, reason: `its look-ahead check failed here (${e.code}: ${e.message}); the unit is computed again` }, keep: false }
    }
    return { verdict: { ok: true }, keep: true }
  }

  /**
   * Running jobs of a mesh with other members: have the checker load the job now, before the
   * first remote commit arrives, so that check (which the next epoch's units wait for) starts at once.
   */
  private warmChecker (state: LedgerState): void {
    if (![...state.peers.keys()].some(a => a !== this.init.self)) return
    for (const job of jobs(state, this.trust)) {
      if (job.done || this.warmed.has(job.id) || this.dormant(state, job.id)) continue
      const ready = this.components.library.readiness(job.id, job.spec)
      if (!ready.ready) continue
      this.warmed.add(job.id)
      this.components.pool.warmChecker(ready.job).catch(err => { if (!this.stopping) this.components.log(`warming the checker: ${(err as Error).message}`) })
    }
  }

  private async scanOnce (): Promise<void> {
    const state = this.components.state()
    this.warmChecker(state)
    const todo = await this.uncheckedCommits(state)
    // Running jobs first: their next units wait for these checks; a finished job's can wait.
    const order = [...todo].map(([jobId, list]) => ({ jobId, list, finished: isFinished(state, jobId, this.trust) }))
      .sort((a, b) => Number(a.finished) - Number(b.finished))
    for (const { jobId, list } of order) {
      const spec = state.jobs.get(jobId)?.spec
      if (spec === undefined) continue
      const ready = this.components.library.readiness(jobId, spec)
      if (!ready.ready) {
        if (ready.permanent && this.unchecked.get(jobId) !== ready.reason) {
          this.unchecked.set(jobId, ready.reason)
          this.components.log(`job ${jobId.slice(0, 12)} cannot be checked here (${ready.reason}): its commits count unchecked`)
          this.components.events.emit('commit:verdict')
        }
        continue
      }
      if (this.unchecked.delete(jobId)) this.components.events.emit('commit:verdict')
      if (!await this.checkJob(state, jobId, list, ready.job)) return
    }
  }

  /** Remote commits without a verdict, by job; those of a checkpoint we committed too are trusted at once. */
  private async uncheckedCommits (state: LedgerState): Promise<Map<string, PendingCheck[]>> {
    const todo = new Map<string, PendingCheck[]>()
    const asleep = new Map<string, boolean>()
    for (const unit of state.units.values()) {
      let dormant = asleep.get(unit.jobId)
      if (dormant === undefined) { dormant = this.dormant(state, unit.jobId); asleep.set(unit.jobId, dormant) }
      if (dormant) continue
      const seen = new Set<string>()
      for (const c of unit.commits) {
        if (c.author === this.init.self || this.verdicts.has(c.checkpointHash) || seen.has(c.checkpointHash)) continue
        seen.add(c.checkpointHash)
        // The same checkpoint as one of our own commits of the unit: computed here.
        if (unit.commits.some(o => o.author === this.init.self && o.checkpointHash === c.checkpointHash)) {
          await this.record(c.checkpointHash, { ok: true })
          continue
        }
        const list = todo.get(unit.jobId) ?? []
        list.push({ unit, commit: c })
        todo.set(unit.jobId, list)
      }
    }
    return todo
  }

  /** Where a check's time went: waiting for the checker (queue, start-up) vs checking. */
  private logLatency (unit: UnitRecord, hash: string, began: number): void {
    const now = performance.now()
    const arrived = this.arrivedAt.get(hash)
    this.arrivedAt.delete(hash)
    const waited = arrived === undefined ? '' : `, ${Math.round(began - arrived)} ms after it arrived`
    this.components.log(`checked island ${unit.island} epoch ${unit.epoch} of job ${unit.jobId.slice(0, 12)} in ${Math.round(now - began)} ms${waited}`)
  }

  /** Checks one job's pending commits; false when stopping or newer commits cut it short. */
  private async checkJob (state: LedgerState, jobId: string, list: PendingCheck[], job: PoolJob): Promise<boolean> {
    // Earlier epochs first: they are the inputs the next units wait for.
    list.sort((a, b) => a.unit.epoch - b.unit.epoch || a.unit.island - b.unit.island)
    let checked = 0
    for (const { unit, commit } of list) {
      if (this.stopping) return false
      // New commits arrived: look again (after at least one check, so a stream of them cannot
      // stall checking), so those of a running job go before the rest of this list.
      if (this.again && checked > 0) return false
      if (this.verdicts.has(commit.checkpointHash)) continue
      const cp = state.checkpoints.get(commit.checkpointHash)
      if (cp === undefined) continue
      const began = performance.now()
      const { verdict, keep } = await this.check(unit, commit.checkpointHash, cp, job)
      if (this.stopping) return false
      await this.record(commit.checkpointHash, verdict, keep)
      checked++
      this.logLatency(unit, commit.checkpointHash, began)
      if (!verdict.ok) {
        this.components.log(`rejected the commit of island ${unit.island} epoch ${unit.epoch} of job ${jobId.slice(0, 12)} by ${commit.author.slice(-8)}: ${verdict.reason}`)
      }
      this.components.events.emit('commit:verdict')
    }
    return true
  }
}

export function createCommitVerifier (components: CommitVerifierComponents, init: CommitVerifierInit): CommitVerifier {
  return new CheckingVerifier(components, init)
}
