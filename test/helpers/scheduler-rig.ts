/**
 * A scheduler over a real log store with a made-up evaluator pool: each unit "runs" for
 * `unitMs` (or until cancelled, when `unitMs` is null) and yields a small valid checkpoint that
 * depends only on the unit, as a deterministic engine would. For tests of claiming, leases and
 * sleep, where the computation itself does not matter.
 */
import { canonicalHash } from '../../src/protocol/canonical.js'
import { StratmeshError } from '../../src/protocol/errors.js'
import type { Checkpoint, JobSpec } from '../../src/protocol/job-spec.js'
import { createScheduler, type Scheduler } from '../../src/node/work/index.js'
import type { SchedulerComponents } from '../../src/node/work/scheduler.js'
import type { PoolJob } from '../../src/node/evaluators/index.js'
import type { LogStore } from '../../src/node/replication/index.js'
import { createPeerEvents, type PeerEvents } from '../../src/node/peer-events.js'

export function unitCheckpoint (jobId: string, island: number, epoch: number): Checkpoint {
  const g = { params: { a: island, b: epoch }, fitness: 1 + island + epoch / 10 }
  return { jobId, island, epoch, population: [g], best: [{ ...g, inSample: null, outOfSample: null }], evaluations: 1, errors: 0 }
}

export interface SchedulerRig {
  readonly scheduler: Scheduler
  readonly events: PeerEvents
  readonly lines: string[]
}

export interface SchedulerRigOptions {
  readonly capacity?: number
  readonly leaseTtlMs?: number
  /** How long a unit runs; null: until it is cancelled. */
  readonly unitMs?: number | null
  readonly clock?: () => number
  readonly monotonic?: () => number
  readonly livePeers?: (now: number) => Iterable<string>
}

export function schedulerRig (logStore: LogStore, options: SchedulerRigOptions = {}): SchedulerRig {
  const lines: string[] = []
  const events = createPeerEvents()
  logStore.on('entry', ev => { events.emit('entry', ev) })
  const job = {} as unknown as PoolJob
  const pool: SchedulerComponents['pool'] = {
    async runUnit (_job, input, opts = {}) {
      return await new Promise<Checkpoint>((resolve, reject) => {
        const timer = options.unitMs === null ? undefined : setTimeout(() => { resolve(unitCheckpoint(canonicalHash(input.spec), input.island, input.epoch)) }, options.unitMs ?? 100)
        opts.signal?.addEventListener('abort', () => { clearTimeout(timer); reject(new StratmeshError('UNIT_CANCELLED', 'cancelled')) })
      })
    }
  }
  const library: SchedulerComponents['library'] = { readiness: () => ({ ready: true, job }), markBroken: async () => {} }
  const scheduler = createScheduler({
    logStore,
    pool,
    library,
    events,
    clock: options.clock ?? Date.now,
    ...(options.monotonic === undefined ? {} : { monotonic: options.monotonic }),
    ...(options.livePeers === undefined ? {} : { livePeers: options.livePeers }),
    log: line => { lines.push(line) }
  }, { capacity: options.capacity ?? 1, ...(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs }) })
  return { scheduler, events, lines }
}

/** Submits `spec` as a job on `logStore`; returns its id. */
export async function submitJob (logStore: LogStore, spec: JobSpec): Promise<string> {
  const id = canonicalHash(spec)
  await logStore.append('job', { spec, id })
  return id
}
