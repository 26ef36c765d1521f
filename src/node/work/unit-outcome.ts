/**
 * What becomes of a unit this peer ran, once its evaluator is done with it: a checkpoint is
 * committed, held for its inputs' verdicts (speculation), or dropped (the job was cancelled, the
 * lease lapsed and another peer holds the unit, an input failed its check); an error gives the
 * claim back and may stop the job here. The scheduler (scheduler.ts) claims and runs units; this
 * decides their fate, with the scheduler's state passed in as an OutcomeContext.
 */
import { canonicalHash } from '../../protocol/canonical.js'
import { errorCodeInfo } from '../../protocol/error-codes.js'
import { countedCommit, jobCancelled, leaseHolder, unitKey, type CommitTrust } from '../../ledger/queries.js'
import { inputsStanding } from '../../ledger/speculation.js'
import type { Checkpoint } from '../../protocol/job-spec.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { LogStore } from '../replication/index.js'
import type { JobLibrary } from './job-library.js'
import type { CommitVerifier } from './commit-verifier.js'
import type { PeerEvents } from '../peer-events.js'
import type { RunningUnit } from './scheduler.js'
import { inputsSettled } from './speculation-gate.js'

/** The scheduler's side of a unit's outcome. */
export interface OutcomeContext {
  readonly logStore: LogStore
  readonly library: Pick<JobLibrary, 'markBroken'>
  readonly verifier?: Pick<CommitVerifier, 'vouch'>
  readonly events: PeerEvents
  readonly clock: () => number
  readonly log: (line: string) => void
  readonly trust: CommitTrust
  readonly self: string
  readonly ttlMs: number
  /** The scheduler's heartbeat: a result whose lease lapsed waits one tick (which notices a sleep). */
  readonly tickMs: number
  state: () => LedgerState
  stopping: () => boolean
  /** Whether `record` is still this peer's run of its unit (not given up, not replaced). */
  current: (record: RunningUnit) => boolean
  /** The latest wake-up's re-sync (bounded), or a settled promise. */
  resync: () => Promise<void>
  /** Looks for work now: an evaluator came free. */
  kick: () => void
}

export class UnitOutcome {
  constructor (private readonly ctx: OutcomeContext) {}

  /** A run produced a checkpoint from the inputs `used` (unit key -> checkpoint hash). */
  async completed (record: RunningUnit, cp: Checkpoint, used: ReadonlyMap<string, string>): Promise<void> {
    if (await this.inputsCount(record, used)) await this.finish(record, cp)
  }

  /** A unit's run ended in an error: give the claim back, and stop running a job that cannot run here. */
  async failed (record: RunningUnit, err: unknown): Promise<void> {
    const { logStore, library, log } = this.ctx
    const u = { jobId: record.jobId, island: record.island, epoch: record.epoch }
    const e = err as Error & { code?: string }
    if (e.code === 'UNIT_CANCELLED') {
      // Someone else holds or finished the unit: give our claim back so status is right.
      if (!this.ctx.stopping()) await logStore.append('release', u)
      return
    }
    log(`unit island ${u.island} epoch ${u.epoch} failed: ${e.code ?? 'ERROR'}: ${e.message}`)
    if (errorCodeInfo(e.code)?.breaksJob === true) {
      await library.markBroken(u.jobId, `${e.code}: ${e.message}`)
    }
    if (!this.ctx.stopping() && !record.abandoned) await logStore.append('release', u)
  }

  /**
   * Waits until the inputs the unit was computed from count here (speculation); false when the
   * result is not to be committed: another checkpoint counts for an input (the unit is computed
   * again from it, so the claim is given back), or the unit was given up meanwhile.
   */
  private async inputsCount (record: RunningUnit, used: ReadonlyMap<string, string>): Promise<boolean> {
    const { trust, log, clock } = this.ctx
    if (inputsStanding(this.ctx.state(), used, trust) === 'trusted') return true
    // The evaluator is free: it takes the next unit while this result waits.
    record.awaitingInputs = true
    this.ctx.kick()
    const gone = (): boolean => this.ctx.stopping() || !this.ctx.current(record)
    const computed = clock()
    const standing = await inputsSettled({ state: this.ctx.state, trust, events: this.ctx.events }, used, gone)
    record.awaitingInputs = false
    log(`island ${record.island} epoch ${record.epoch} of job ${record.jobId.slice(0, 12)} waited ${clock() - computed} ms for its inputs' checks: ${standing}`)
    if (standing === 'trusted') return true
    if (standing === 'changed') {
      log(`dropping result of island ${record.island} epoch ${record.epoch} of job ${record.jobId.slice(0, 12)}: an input it started from did not pass its check`)
      if (!this.ctx.stopping() && !record.abandoned) await this.ctx.logStore.append('release', { jobId: record.jobId, island: record.island, epoch: record.epoch })
    }
    return false
  }

  private async finish (record: RunningUnit, cp: Checkpoint): Promise<void> {
    if (this.ctx.stopping()) return
    if (await this.cancelledBeforeCommit(record)) return
    const { logStore, verifier, clock, trust, self, ttlMs, log } = this.ctx
    const hash = canonicalHash(cp)
    await verifier?.vouch(hash)
    const now = clock()
    const unit = this.ctx.state().units.get(unitKey(record.jobId, record.island, record.epoch))
    if (unit?.commits.some(c => c.checkpointHash === hash) === true) return // someone else committed the same result
    const counted = countedCommit(unit, trust)
    if (record.abandoned || now >= record.leaseUntil) {
      const holder = leaseHolder(unit, now)
      if (counted === null && holder !== null && holder.author !== self) {
        log(`dropping result of island ${record.island} epoch ${record.epoch}: our lease lapsed and ${holder.author.slice(-8)} holds it`)
        return
      }
      if (counted === null) await logStore.append('claim', { jobId: record.jobId, island: record.island, epoch: record.epoch, ttlMs })
    }
    // A different counted checkpoint means someone disagrees with us: commit anyway so the
    // conflict is on the ledger for everyone to see.
    await logStore.append('commit', { jobId: record.jobId, island: record.island, epoch: record.epoch, checkpointHash: hash, checkpoint: cp })
    this.ctx.events.emit('unit:committed', { unit: record, checkpoint: cp })
  }

  /**
   * A cancelled job's results are never committed. A result whose lease lapsed arrives after a
   * sleep or a stall, when this peer's ledger may not hold the cancel yet: it waits for the next
   * tick (which notices a sleep and starts the re-sync) and the re-sync before deciding.
   */
  private async cancelledBeforeCommit (record: RunningUnit): Promise<boolean> {
    if (record.abandoned || this.ctx.clock() >= record.leaseUntil) {
      await new Promise(resolve => setTimeout(resolve, this.ctx.tickMs + 100))
      await this.ctx.resync()
    }
    if (this.ctx.stopping() || !jobCancelled(this.ctx.state(), record.jobId)) return false
    this.ctx.log(`dropping result of island ${record.island} epoch ${record.epoch} of job ${record.jobId.slice(0, 12)}: the job was cancelled`)
    if (!record.abandoned) await this.ctx.logStore.append('release', { jobId: record.jobId, island: record.island, epoch: record.epoch })
    return true
  }
}
