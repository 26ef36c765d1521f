/**
 * The scheduler keeps every evaluator busy: it claims claimable units, runs them in the pool,
 * renews their leases while they run, commits their checkpoints, and releases its leases when the
 * peer stops. Leases are a performance device, not a safety device: units are deterministic, so
 * a unit computed twice gives the same checkpoint and the ledger counts it once.
 *
 * Sleep: the tick is a 1 s timer. When it fires much later than it should, the machine (or this
 * process) was asleep: leases that expired meanwhile may have been taken over by others, so the
 * units behind them are abandoned and their results, if they still arrive, are dropped unless
 * nobody else holds the unit (then the unit is claimed again and the result committed: it is the
 * same result any peer would compute).
 */
import { sha256Hex } from '../../protocol/canonical.js'
import { canonicalHash } from '../../protocol/canonical.js'
import { errorCodeInfo } from '../../protocol/error-codes.js'
import { claimableUnits, countedCommit, jobs, leaseHolder, TRUST_ALL, unitKey, type CommitTrust } from '../../ledger/queries.js'
import { unitInputs, type UnitInput } from '../../engine/ga.js'
import type { Checkpoint } from '../../protocol/job-spec.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { EvaluatorPool } from '../evaluators/pool.js'
import type { JobLibrary } from './job-library.js'
import type { LogStore } from '../replication/log-store.js'

/**
 * Lease length. Seconds, not minutes: a peer that froze (a laptop lid closed) loses its units this
 * soon. Long enough that a busy peer renewing every third of it never loses a lease by accident.
 */
export const DEFAULT_LEASE_TTL_MS = 20_000
/** Renew when this fraction of the lease has passed: two renewals may be lost before it lapses. */
export const RENEW_FRACTION = 1 / 3
/** The scheduler's heartbeat. */
export const TICK_MS = 1_000
/** A tick this late means the process did not run for a while: treat it as a sleep. */
export const SLEEP_GAP_MS = 5_000
/**
 * After a sleep, no new unit is claimed until the peer has re-synced (onWake's promise) or this
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
}

export interface SchedulerEvents {
  /**
   * The process slept for `gapMs`; leases may be gone, connections stale. Claims wait for the
   * returned promise (the re-sync), at most WAKE_CLAIM_HOLD_MS.
   */
  onWake?: (gapMs: number) => void | Promise<void>
  onCommit?: (unit: RunningUnit, checkpoint: Checkpoint) => void
  log?: (line: string) => void
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
   */
  holdUntil (sync: Promise<void>): void
}

export interface SchedulerOptions extends SchedulerEvents {
  readonly logStore: LogStore
  readonly pool: EvaluatorPool
  readonly library: JobLibrary
  readonly capacity: number
  readonly clock: () => number
  readonly leaseTtlMs?: number
  /** Which commits count (default: all). A peer passes its CommitVerifier's judgement. */
  readonly trust?: CommitTrust
  /** Called with the hash of every checkpoint this peer computed, before it is committed. */
  readonly vouch?: (checkpointHash: string) => Promise<void>
}

export function createScheduler (opts: SchedulerOptions): Scheduler {
  const ttl = opts.leaseTtlMs ?? DEFAULT_LEASE_TTL_MS
  const trust = opts.trust ?? TRUST_ALL
  const self = opts.logStore.author
  const log = opts.log ?? (() => {})
  const running = new Map<string, RunningUnit>()
  /** Ends a running unit's evaluation early (the unit was taken or finished by another peer). */
  const cancels = new Map<RunningUnit, AbortController>()
  const blocked = new Map<string, string>()
  let timer: ReturnType<typeof setInterval> | undefined
  let lastTick = 0
  let stopping = false
  let claiming = false
  let again = false
  /** Claims are held until this time (after a wake-up, until re-synced). */
  let holdUntil = 0

  const state = (): LedgerState => opts.logStore.state()

  /** Each peer prefers units in its own pseudo-random order, so peers rarely claim the same one. */
  function preference (key: string): string {
    return sha256Hex(`${self}/${key}`)
  }

  function checkpointOf (jobId: string, island: number, epoch: number): Checkpoint | null {
    const counted = countedCommit(state().units.get(unitKey(jobId, island, epoch)), trust)
    return counted === null ? null : state().checkpoints.get(counted.checkpointHash) ?? null
  }

  function nextUnit (now: number): { jobId: string, island: number, epoch: number } | null {
    blocked.clear()
    for (const job of jobs(state(), trust)) {
      if (job.done) continue
      const readiness = opts.library.readiness(job.id, job.spec)
      if (!readiness.ready) { blocked.set(job.id, readiness.reason); continue }
      const free = claimableUnits(state(), job.id, now, trust).filter(u => !running.has(unitKey(job.id, u.island, u.epoch)))
      if (free.length === 0) continue
      const lowest = Math.min(...free.map(u => u.epoch))
      const pick = free.filter(u => u.epoch === lowest)
        .map(u => ({ u, p: preference(unitKey(job.id, u.island, u.epoch)) }))
        .sort((a, b) => a.p < b.p ? -1 : a.p > b.p ? 1 : 0)[0].u
      return { jobId: job.id, ...pick }
    }
    return null
  }

  async function claimLoop (): Promise<void> {
    if (claiming) { again = true; return }
    claiming = true
    try {
      do {
        again = false
        while (!stopping && running.size < opts.capacity) {
          const now = opts.clock()
          if (now < holdUntil) break
          const unit = nextUnit(now)
          if (unit === null) break
          await startUnit(unit, now)
        }
      } while (again && !stopping)
    } catch (err) {
      log(`scheduler: ${(err as Error).message}`)
    } finally {
      claiming = false
    }
  }

  async function startUnit (u: { jobId: string, island: number, epoch: number }, now: number): Promise<void> {
    const key = unitKey(u.jobId, u.island, u.epoch)
    const job = state().jobs.get(u.jobId)
    const readiness = job === undefined ? null : opts.library.readiness(u.jobId, job.spec)
    if (job === undefined || readiness === null || !readiness.ready) return
    const spec = job.spec
    const need = unitInputs(spec.ga.islands, u.island, u.epoch)
    const input: UnitInput = {
      spec,
      island: u.island,
      epoch: u.epoch,
      previous: need.previous === null ? null : checkpointOf(u.jobId, ...need.previous),
      migrants: need.migrants === null ? null : checkpointOf(u.jobId, ...need.migrants),
    }
    const record: RunningUnit = { ...u, startedAt: now, leaseUntil: now + ttl, abandoned: false, done: 0, total: 0 }
    running.set(key, record)
    await opts.logStore.append('claim', { jobId: u.jobId, island: u.island, epoch: u.epoch, ttlMs: ttl })
    log(`claimed unit island ${u.island} epoch ${u.epoch} of job ${u.jobId.slice(0, 12)}`)
    const controller = new AbortController()
    cancels.set(record, controller)
    opts.pool.runUnit(readiness.job, input, { onProgress: (done, total) => { record.done = done; record.total = total }, signal: controller.signal })
      .then(async cp => { await finish(record, cp) })
      .catch(err => {
        const e = err as Error & { code?: string }
        if (e.code === 'UNIT_CANCELLED') {
          // Someone else holds or finished the unit: give our claim back so status is right.
          if (!stopping) return opts.logStore.append('release', { jobId: u.jobId, island: u.island, epoch: u.epoch }).then(() => {})
          return
        }
        log(`unit island ${u.island} epoch ${u.epoch} failed: ${e.code ?? 'ERROR'}: ${e.message}`)
        if (errorCodeInfo(e.code)?.breaksJob === true) {
          opts.library.markBroken(u.jobId, `${e.code}: ${e.message}`)
        }
        if (!stopping && !record.abandoned) {
          return opts.logStore.append('release', { jobId: u.jobId, island: u.island, epoch: u.epoch }).then(() => {})
        }
      })
      .catch(err => { log(`release failed: ${(err as Error).message}`) })
      .finally(() => {
        cancels.delete(record)
        if (running.get(key) === record) running.delete(key)
        kick()
      })
  }

  async function finish (record: RunningUnit, cp: Checkpoint): Promise<void> {
    if (stopping) return
    const hash = canonicalHash(cp)
    await opts.vouch?.(hash)
    const now = opts.clock()
    const unit = state().units.get(unitKey(record.jobId, record.island, record.epoch))
    if (unit?.commits.some(c => c.checkpointHash === hash) === true) return // someone else committed the same result
    const counted = countedCommit(unit, trust)
    if (record.abandoned || now >= record.leaseUntil) {
      const holder = leaseHolder(unit, now)
      if (counted === null && holder !== null && holder.author !== self) {
        log(`dropping result of island ${record.island} epoch ${record.epoch}: our lease lapsed and ${holder.author.slice(-8)} holds it`)
        return
      }
      if (counted === null) await opts.logStore.append('claim', { jobId: record.jobId, island: record.island, epoch: record.epoch, ttlMs: ttl })
    }
    // A different counted checkpoint means someone disagrees with us: commit anyway so the
    // conflict is on the ledger for everyone to see.
    await opts.logStore.append('commit', { jobId: record.jobId, island: record.island, epoch: record.epoch, checkpointHash: hash, checkpoint: cp })
    opts.onCommit?.(record, cp)
  }

  async function tick (): Promise<void> {
    const now = opts.clock()
    const gap = now - lastTick
    lastTick = now
    if (gap > SLEEP_GAP_MS) {
      log(`woke up after ${Math.round(gap / 1000)} s`)
      for (const r of running.values()) {
        if (r.leaseUntil <= now) r.abandoned = true
      }
      for (const [key, r] of running) if (r.abandoned) running.delete(key)
      hold(Promise.resolve(opts.onWake?.(gap)), 're-sync after waking')
    }
    cancelLost(now)
    for (const r of running.values()) {
      if (r.abandoned || now < r.leaseUntil - ttl * (1 - RENEW_FRACTION)) continue
      r.leaseUntil = now + ttl
      await opts.logStore.append('renew', { jobId: r.jobId, island: r.island, epoch: r.epoch, ttlMs: ttl })
    }
    kick()
  }

  /**
   * Stops computing units another peer has won or finished. Two peers often claim one unit at the
   * same moment (at a job's start, when a lease lapses); the ledger picks one holder by (claim hlc,
   * author), and the other's evaluator would otherwise run the whole unit for nothing. A commit
   * still being checked stops it too (it is almost always the same result; if its check fails, the
   * unit is claimable again).
   */
  function cancelLost (now: number): void {
    for (const [key, r] of running) {
      const controller = cancels.get(r)
      if (controller === undefined || controller.signal.aborted) continue
      const unit = state().units.get(key)
      const done = unit?.commits.find(c => c.author !== self && trust(c, unit) !== 'rejected')
      const holder = leaseHolder(unit, now)
      const why = done !== undefined ? `${done.author.slice(-8)} committed it` : holder !== null && holder.author !== self ? `${holder.author.slice(-8)} holds it` : null
      if (why === null) continue
      log(`stopping island ${r.island} epoch ${r.epoch} of job ${r.jobId.slice(0, 12)}: ${why}`)
      r.abandoned = true
      controller.abort()
    }
  }

  function hold (sync: Promise<void>, what: string): void {
    const until = opts.clock() + WAKE_CLAIM_HOLD_MS
    holdUntil = Math.max(holdUntil, until)
    const release = (): void => { if (holdUntil === until) holdUntil = 0; kick() }
    // Released when the sync settles, or by the clock: claimLoop compares with holdUntil, and the
    // tick after the hold expires kicks it.
    sync.catch((err: unknown) => { log(`${what}: ${(err as Error).message}`) }).finally(release)
  }

  function kick (): void {
    if (stopping) return
    void claimLoop()
  }

  return {
    holdUntil (sync) { hold(sync, 're-sync') },
    start () {
      stopping = false
      lastTick = opts.clock()
      timer = setInterval(() => { tick().catch(err => { log(`tick: ${(err as Error).message}`) }) }, TICK_MS)
      kick()
    },
    async stop () {
      stopping = true
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      const held = [...running.values()].filter(r => !r.abandoned && r.leaseUntil > opts.clock())
      running.clear()
      for (const r of held) {
        await opts.logStore.append('release', { jobId: r.jobId, island: r.island, epoch: r.epoch }).catch(err => { log(`release: ${(err as Error).message}`) })
      }
    },
    kick,
    running: () => [...running.values()],
    blocked: () => new Map(blocked),
  }
}
