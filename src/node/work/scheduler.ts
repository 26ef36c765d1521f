/**
 * The scheduler keeps every evaluator busy: it claims claimable units, runs them in the pool,
 * renews their leases while they run, commits their checkpoints, and releases its leases when the
 * peer stops. Leases are a performance device, not a safety device: units are deterministic, so
 * a unit computed twice gives the same checkpoint and the ledger counts it once.
 *
 * Sleep: the tick is a 1 s timer. When it fires much later than it should, the machine slept or
 * the event loop stalled (pause-kind.ts tells which): leases that expired meanwhile may have been
 * taken over by others, so the units behind them are abandoned and their results, if they still
 * arrive, are dropped unless nobody else holds the unit (then the unit is claimed again and the
 * result committed: it is the same result any peer would compute).
 */
import { jobCancelled, leaseHolder, TRUST_ALL, unitKey, type CommitTrust } from '../../ledger/queries.js'
import { inputCommit, startableUnits } from '../../ledger/speculation.js'
import type { UnitInput } from '../../engine/ga.js'
import { unitInputs } from '../../protocol/unit-layout.js'
import type { Checkpoint } from '../../protocol/job-spec.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { EvaluatorPool } from '../evaluators/index.js'
import type { LogStore } from '../replication/index.js'
import type { JobLibrary } from './job-library.js'
import type { JobInterest } from './job-interest.js'
import type { CommitVerifier } from './commit-verifier.js'
import type { PeerEvents } from '../peer-events.js'
import { ClaimOrder, claimFirst } from './claim-order.js'
import { pauseKind } from './pause-kind.js'
import { MAX_RENEW_UNITS } from '../../protocol/limits.js'
import { jobsToClaim } from './job-order.js'
import { UnitOutcome } from './unit-outcome.js'

/**
 * Lease length. Seconds, not minutes: a peer that froze (a laptop lid closed) loses its units this
 * soon. Long enough that a busy peer renewing every third of it never loses a lease by accident.
 */
export const DEFAULT_LEASE_TTL_MS = 20_000
/** Renew when this fraction of the lease has passed: two renewals may be lost before it lapses. */
export const RENEW_FRACTION = 1 / 3
/** The scheduler's heartbeat. */
export const TICK_MS = 1_000
/**
 * After a sleep, no new unit is claimed until the peer has re-synced (the `woke` listener's hold) or this
 * long has passed: the ledger it holds is stale, and units it would pick were likely finished by
 * the others meanwhile. A peer with nobody to sync with starts working after this wait.
 */
export const WAKE_CLAIM_HOLD_MS = 5_000

export interface RunningUnit {
  readonly jobId: string
  readonly island: number
  readonly epoch: number
  readonly startedAt: number
  leaseUntil: number
  abandoned: boolean
  done: number
  total: number
  /** Computed from inputs still being checked; its checkpoint waits for their verdicts (speculation). */
  awaitingInputs: boolean
}

export interface Scheduler {
  start (): void
  /** Stops claiming, releases every lease held. Running units are abandoned. */
  stop (): Promise<void>
  /** Looks for work now (new entries arrived, a unit finished, a job became ready). */
  kick (): void
  running (): RunningUnit[]
  /** Jobs this peer cannot run, with the reason. */
  blocked (): Map<string, string>
  /**
   * Claims nothing new until `sync` settles, at most WAKE_CLAIM_HOLD_MS: the ledger this peer
   * holds is stale (it slept, or it restarts with units others may have finished meanwhile).
   * `what` names the sync in the log line when it fails.
   */
  holdUntil (sync: Promise<void>, what?: string): void
}

/**
 * What the scheduler works with. It looks for work on `entry`, `peer:connect`, `job:readiness`
 * and `commit:verdict`; it emits `unit:committed` after each commit and `woke` after a sleep.
 */
export interface SchedulerComponents {
  readonly logStore: LogStore
  readonly pool: Pick<EvaluatorPool, 'runUnit'>
  readonly library: Pick<JobLibrary, 'readiness' | 'markBroken'>
  /**
   * Which commits count (default: all), and the hook told of every checkpoint this peer
   * computed, before it is committed: a peer passes its CommitVerifier.
   */
  readonly verifier?: Pick<CommitVerifier, 'trust' | 'vouch'>
  /** Finished jobs nobody asked for are skipped without asking the library (which would fetch their blobs). */
  readonly interest?: Pick<JobInterest, 'dormant'>
  readonly events: PeerEvents
  readonly clock: () => number
  /** A clock that stops while the machine sleeps (default performance.now): tells a sleep from a stall. */
  readonly monotonic?: () => number
  /** The other peers a free unit is ranked among at `now` (claim-order.ts claimCandidates). */
  readonly livePeers?: (now: number) => Iterable<string>
  readonly log?: (line: string) => void
}

export interface SchedulerInit {
  /** Units run at once (the evaluators in the pool). */
  readonly capacity: number
  readonly leaseTtlMs?: number
}

type UnitRef = { readonly jobId: string, readonly island: number, readonly epoch: number, readonly speculative?: boolean }

class LeaseScheduler implements Scheduler {
  private readonly ttl: number
  private readonly trust: CommitTrust
  private readonly self: string
  private readonly log: (line: string) => void
  private readonly runningUnits = new Map<string, RunningUnit>()
  /** Ends a running unit's evaluation early (the unit was taken or finished by another peer). */
  private readonly cancels = new Map<RunningUnit, AbortController>()
  private readonly blockedJobs = new Map<string, string>()
  private timer: ReturnType<typeof setInterval> | undefined
  private lastTick = 0
  private lastMonotonic = 0
  private readonly monotonic: () => number
  private readonly claimOrder: ClaimOrder
  private readonly outcome: UnitOutcome
  /** Kicks the claim loop when the next unit's claim turn (claim-order.ts) comes. */
  private turnTimer: ReturnType<typeof setTimeout> | undefined
  private turnAt = Infinity
  private stopping = false
  private claiming = false
  private again = false
  /** Claims are held until this time (after a wake-up, until re-synced). */
  private heldUntil = 0
  private unsubscribe: Array<() => void> = []
  /** The latest hold's sync (bounded): a result whose lease lapsed waits for it before it is committed. */
  private resync: Promise<void> = Promise.resolve()

  constructor (private readonly components: SchedulerComponents, private readonly init: SchedulerInit) {
    this.ttl = init.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS
    this.trust = components.verifier?.trust ?? TRUST_ALL
    this.self = components.logStore.author
    this.log = components.log ?? (() => {})
    this.monotonic = components.monotonic ?? (() => performance.now())
    const live = components.livePeers ?? (() => [])
    this.claimOrder = new ClaimOrder(this.self, live)
    const { logStore, library, verifier, events, clock } = components
    this.outcome = new UnitOutcome({
      logStore, library, verifier, events, clock, log: this.log, trust: this.trust, self: this.self, ttlMs: this.ttl, tickMs: TICK_MS,
      state: () => this.state(),
      stopping: () => this.stopping,
      current: r => this.runningUnits.get(unitKey(r.jobId, r.island, r.epoch)) === r,
      resync: async () => { await this.resync },
      kick: () => { this.kick() },
    })
  }

  start (): void {
    this.stopping = false
    this.lastTick = this.components.clock()
    this.lastMonotonic = this.monotonic()
    const { events } = this.components
    const kick = (): void => { this.kick() }
    this.unsubscribe = [events.on('entry', kick), events.on('peer:connect', kick), events.on('job:readiness', kick), events.on('commit:verdict', kick)]
    this.unsubscribe.push(events.on('entry', ({ entry, local }) => { if (!local) this.claimOrder.observe(this.components.clock() - entry.hlc[0]) }))
    // A cancel stops the job's runs at once rather than at the next tick.
    this.unsubscribe.push(events.on('entry', ev => { if (ev.entry.type === 'cancel') this.stopCancelled() }))
    this.timer = setInterval(() => { this.tick().catch(err => { this.log(`tick: ${(err as Error).message}`) }) }, TICK_MS)
    this.kick()
  }

  async stop (): Promise<void> {
    this.stopping = true
    for (const off of this.unsubscribe.splice(0)) off()
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    clearTimeout(this.turnTimer)
    this.turnAt = Infinity
    const held = [...this.runningUnits.values()].filter(r => !r.abandoned && r.leaseUntil > this.components.clock())
    this.runningUnits.clear()
    for (const r of held) {
      await this.components.logStore.append('release', { jobId: r.jobId, island: r.island, epoch: r.epoch }).catch(err => { this.log(`release: ${(err as Error).message}`) })
    }
  }

  kick (): void {
    if (this.stopping) return
    void this.claimLoop()
  }

  running (): RunningUnit[] {
    return [...this.runningUnits.values()]
  }

  blocked (): Map<string, string> {
    return new Map(this.blockedJobs)
  }

  holdUntil (sync: Promise<void>, what = 're-sync'): void {
    this.resync = Promise.race([sync.catch(() => {}), new Promise<void>(resolve => setTimeout(resolve, WAKE_CLAIM_HOLD_MS).unref())])
    const until = this.components.clock() + WAKE_CLAIM_HOLD_MS
    this.heldUntil = Math.max(this.heldUntil, until)
    const release = (): void => { if (this.heldUntil === until) this.heldUntil = 0; this.kick() }
    // Released when the sync settles, or by the clock: claimLoop compares with heldUntil, and the
    // tick after the hold expires kicks it.
    sync.catch((err: unknown) => { this.log(`${what}: ${(err as Error).message}`) }).finally(release)
  }

  private state (): LedgerState {
    return this.components.logStore.state()
  }

  /** An input's checkpoint: the counted one, or the one being checked (speculation); its hash goes in `used`. */
  private checkpointOf (jobId: string, island: number, epoch: number, used: Map<string, string>): Checkpoint | null {
    const key = unitKey(jobId, island, epoch)
    const input = inputCommit(this.state().units.get(key), this.trust)
    if (input === null) return null
    used.set(key, input.commit.checkpointHash)
    return this.state().checkpoints.get(input.commit.checkpointHash) ?? null
  }

  /** Units computing now (not those holding a result for their inputs' verdicts): what fills the pool. */
  private computing (): number {
    let n = 0
    for (const r of this.runningUnits.values()) if (!r.awaitingInputs) n++
    return n
  }

  private nextUnit (now: number): UnitRef | null {
    this.blockedJobs.clear()
    const look = this.claimOrder.look(now)
    for (const job of jobsToClaim(this.state(), this.trust, now, this.self)) {
      if (this.components.interest?.dormant(this.state(), job.id, this.trust) === true) continue
      const readiness = this.components.library.readiness(job.id, job.spec)
      if (!readiness.ready) { this.blockedJobs.set(job.id, readiness.reason); continue }
      const free = startableUnits(this.state(), job.id, now, this.trust).filter(u => !this.runningUnits.has(unitKey(job.id, u.island, u.epoch)))
      const choice = look.choose(job.id, free, u => unitKey(job.id, u.island, u.epoch), u => claimFirst(this.state(), job.id, u))
      if (choice === null) continue
      if ('waitMs' in choice) { this.kickIn(choice.waitMs); continue }
      return { jobId: job.id, ...choice.unit }
    }
    return null
  }

  private async claimLoop (): Promise<void> {
    if (this.claiming) { this.again = true; return }
    this.claiming = true
    try {
      do {
        this.again = false
        while (!this.stopping && this.computing() < this.init.capacity) {
          const now = this.components.clock()
          if (now < this.heldUntil) break
          const unit = this.nextUnit(now)
          if (unit === null) break
          await this.startUnit(unit, now)
        }
      } while (this.again && !this.stopping)
    } catch (err) {
      this.log(`scheduler: ${(err as Error).message}`)
    } finally {
      this.claiming = false
    }
  }

  private async startUnit (u: UnitRef, now: number): Promise<void> {
    const { logStore, library, pool } = this.components
    const key = unitKey(u.jobId, u.island, u.epoch)
    const job = this.state().jobs.get(u.jobId)
    const readiness = job === undefined ? null : library.readiness(u.jobId, job.spec)
    if (job === undefined || readiness === null || !readiness.ready) return
    const spec = job.spec
    const need = unitInputs(spec.ga.islands, u.island, u.epoch)
    const used = new Map<string, string>()
    const input: UnitInput = {
      spec,
      island: u.island,
      epoch: u.epoch,
      previous: need.previous === null ? null : this.checkpointOf(u.jobId, ...need.previous, used),
      migrants: need.migrants === null ? null : this.checkpointOf(u.jobId, ...need.migrants, used),
    }
    const record: RunningUnit = { ...u, startedAt: now, leaseUntil: now + this.ttl, abandoned: false, done: 0, total: 0, awaitingInputs: false }
    this.runningUnits.set(key, record)
    await logStore.append('claim', { jobId: u.jobId, island: u.island, epoch: u.epoch, ttlMs: this.ttl })
    this.log(`claimed unit island ${u.island} epoch ${u.epoch} of job ${u.jobId.slice(0, 12)}${u.speculative ? ' (an input is still being checked)' : ''}`)
    const controller = new AbortController()
    this.cancels.set(record, controller)
    pool.runUnit(readiness.job, input, { onProgress: (done, total) => { record.done = done; record.total = total }, signal: controller.signal })
      .then(async cp => { await this.outcome.completed(record, cp, used) })
      .catch(async err => { await this.outcome.failed(record, err) })
      .catch(err => { this.log(`release failed: ${(err as Error).message}`) })
      .finally(() => {
        this.cancels.delete(record)
        if (this.runningUnits.get(key) === record) this.runningUnits.delete(key)
        this.claimOrder.evaluatorFreed(this.components.clock())
        this.kick()
      })
  }

  private async tick (): Promise<void> {
    const now = this.components.clock()
    const monotonic = this.monotonic()
    const gap = now - this.lastTick
    const monotonicGap = monotonic - this.lastMonotonic
    const kind = pauseKind(gap, monotonicGap, this.ttl)
    this.lastTick = now
    this.lastMonotonic = monotonic
    if (kind === 'suspend') this.wokeUp(now, gap)
    else if (kind === 'stall') this.stalled(now, Math.max(gap, monotonicGap))
    this.cancelLost(now)
    this.stopCancelled()
    await this.renewLeases(now)
    this.kick()
  }

  /**
   * When one lease is due, renews every lease held, in one entry (per MAX_RENEW_UNITS): one
   * entry per peer per renew period instead of one per running unit.
   */
  private async renewLeases (now: number): Promise<void> {
    const held = [...this.runningUnits.values()].filter(r => !r.abandoned)
    if (!held.some(r => now >= r.leaseUntil - this.ttl * (1 - RENEW_FRACTION))) return
    for (const r of held) r.leaseUntil = now + this.ttl
    for (let i = 0; i < held.length; i += MAX_RENEW_UNITS) {
      const units = held.slice(i, i + MAX_RENEW_UNITS).map(r => ({ jobId: r.jobId, island: r.island, epoch: r.epoch }))
      await this.components.logStore.append('renew', { units, ttlMs: this.ttl })
    }
  }

  /** Units whose leases lapsed while this process did not run are given up. */
  private abandonLapsed (now: number): void {
    for (const r of this.runningUnits.values()) if (r.leaseUntil <= now) r.abandoned = true
    for (const [key, r] of this.runningUnits) if (r.abandoned) this.runningUnits.delete(key)
  }

  /**
   * The process slept: units whose leases lapsed are abandoned, and `woke` listeners may hold
   * claims (holdUntil) until the peer has re-synced.
   */
  private wokeUp (now: number, gap: number): void {
    this.log(`woke up after ${Math.round(gap / 1000)} s`)
    this.abandonLapsed(now)
    this.components.events.emit('woke', { gapMs: gap })
  }

  /**
   * The event loop stalled (a loaded machine) but the machine did not sleep: connections are as
   * alive as before, so nothing is probed or re-dialled; units whose leases lapsed are still
   * given up, and `stalled` listeners may hold claims for one ordinary pull.
   */
  private stalled (now: number, gap: number): void {
    this.log(`event loop stalled ${Math.round(gap / 1000)} s`)
    this.abandonLapsed(now)
    this.components.events.emit('stalled', { gapMs: gap })
  }

  /** Kicks the claim loop in `ms` (a unit's claim turn comes), unless a kick comes sooner. */
  private kickIn (ms: number): void {
    const at = this.components.clock() + ms
    if (this.stopping || at >= this.turnAt) return
    clearTimeout(this.turnTimer)
    this.turnAt = at
    this.turnTimer = setTimeout(() => { this.turnAt = Infinity; this.kick() }, ms)
  }

  /**
   * Stops computing units another peer has won or finished. Two peers often claim one unit at the
   * same moment (at a job's start, when a lease lapses); the ledger picks one holder by (claim hlc,
   * author), and the other's evaluator would otherwise run the whole unit for nothing. A commit
   * still being checked stops it too (it is almost always the same result; if its check fails, the
   * unit is claimable again).
   */
  private cancelLost (now: number): void {
    for (const [key, r] of this.runningUnits) {
      const controller = this.cancels.get(r)
      if (controller === undefined || controller.signal.aborted) continue
      const unit = this.state().units.get(key)
      const done = unit?.commits.find(c => c.author !== this.self && this.trust(c, unit) !== 'rejected')
      const holder = leaseHolder(unit, now)
      const why = done !== undefined ? `${done.author.slice(-8)} committed it` : holder !== null && holder.author !== this.self ? `${holder.author.slice(-8)} holds it` : null
      if (why === null) continue
      this.log(`stopping island ${r.island} epoch ${r.epoch} of job ${r.jobId.slice(0, 12)}: ${why}`)
      r.abandoned = true
      controller.abort()
    }
  }

  /** Ends every run of a cancelled job, those a sleep abandoned too; UNIT_CANCELLED releases the lease. */
  private stopCancelled (): void {
    for (const [r, controller] of this.cancels) {
      if (controller.signal.aborted || !jobCancelled(this.state(), r.jobId)) continue
      this.log(`stopping island ${r.island} epoch ${r.epoch} of job ${r.jobId.slice(0, 12)}: the job was cancelled`)
      r.abandoned = true
      controller.abort()
    }
  }

}

export function createScheduler (components: SchedulerComponents, init: SchedulerInit): Scheduler {
  return new LeaseScheduler(components, init)
}
