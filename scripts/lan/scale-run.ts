/**
 * The scale run's phases on a test LAN of N hosts: launch and a full mesh by mDNS, an idle
 * window, one small job (with hosts frozen and killed mid-job when asked), another idle window;
 * what each phase cost is read from `peer status --json` (ledger size, replication bytes), the
 * bridge's port counters, /proc and the peers' logs. scripts/lan/scale.ts prints it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLan, type Lan, type LanHost } from './lan.js'
import { availableMemory, countLines, groupUsage, load1, REDIAL_LINE, spread, WAKE_LINE, wireBytes } from './scale-probe.js'
import { injectFaults, pickVictims, type Faults } from './scale-faults.js'
import { boardsOf, rates, sizes, withReference, type Boards, type Sample, type Rates, type Sizes } from './scale-sample.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import type { PeerStatus, SubmitRequest, SubmitResult } from '../../src/node/peer-types.js'
import { candlesCsv } from '../../test/helpers/candles-csv.js'

export interface ScaleJob { readonly islands: number, readonly epochs: number, readonly population: number, readonly generations: number, readonly bars: number }

export interface ScaleOptions {
  readonly peers: number
  readonly freeze: number
  readonly kill: number
  readonly seed: number
  readonly idleMs: number
  /** How long the frozen hosts stay stopped: past the 20 s lease TTL, so others must take their units over. */
  readonly freezeMs: number
  readonly cacheMb: number
  readonly job: ScaleJob
  /** Peers started at once: 30 node processes starting together on 2 cores miss the start timeout. */
  readonly startConcurrency: number
  /** The run stops (and tears down) when the machine's available memory falls below this. */
  readonly minFreeBytes: number
  readonly keep?: boolean
  readonly log: (line: string) => void
}

/** Bounds of the waits: a run that misses one reports it instead of hanging. */
export const MESH_TIMEOUT_MS = 180_000
export const JOB_TIMEOUT_MS = 20 * 60_000
/** A peer computes its engine's runtime fingerprint at start (5-7 s at load 16 on 2 cores); the agent's first query starts tsx too. */
export const START_TIMEOUT_MS = 120_000
const POLL_MS = 1_000
/** Tries of a status read whose answer a figure needs. */
const STATUS_TRIES = 3
const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))
const RSS_EVERY_MS = 5_000
/** Faults strike once this fraction (1/FAULT_AT) of the units is committed: mid-job, with work left to take over. */
const FAULT_AT = 5

export interface ScaleReport {
  readonly peers: number
  readonly seed: number
  readonly job: ScaleJob & { readonly units: number, readonly id: string }
  readonly startup: { readonly allAnsweringMs: number, readonly fullMeshMs: number | null, readonly connectedOthers: ReturnType<typeof spread>, readonly load: number }
  readonly traffic: { readonly idleBefore: Rates, readonly busy: Rates, readonly idleAfter: Rates }
  readonly ledger: { readonly before: Sizes, readonly afterJob: Sizes, readonly afterIdle: Sizes }
  readonly run: {
    readonly submitToDoneMs: number | null
    readonly live: number
    readonly doneOn: number
    readonly everyUnitOnce: number
    readonly conflicts: number
    /** Entries of each type in the submitter's ledger after the job (the ledger is the same everywhere). */
    readonly entries: Record<string, number>
    readonly claimsPerUnit: number
    readonly load: number
  }
  readonly faults: Faults | null
  readonly boards: Boards
  /** The same read again after the idle window: late commits and checks have landed by then. */
  readonly boardsAfterIdle: Boards
  readonly logs: { readonly wakeLines: number, readonly hostsWithWake: number, readonly redialLines: number }
  readonly rssMb: ReturnType<typeof spread>
  readonly minAvailableMb: number
}

class MemoryLow extends Error {}

/** What a run must show whatever its figures: done everywhere alive, nothing lost, nothing counted twice, one leaderboard, the 1-peer one. */
export function held (r: ScaleReport): boolean {
  return r.run.doneOn === r.run.live && r.run.everyUnitOnce === r.run.live && r.run.conflicts === 0 && r.boardsAfterIdle.distinct === 1 && r.boardsAfterIdle.equalsReference === true
}

export async function runScale (o: ScaleOptions): Promise<ScaleReport> {
  const dir = await mkdtemp(join(tmpdir(), 'stratmesh-scale-'))
  const csv = join(dir, 'candles.csv')
  await writeFile(csv, candlesCsv(syntheticCandles({ bars: o.job.bars })))
  try {
    const lan = await createLan(o.peers, { cpus: 1, cacheMb: o.cacheMb, queryVia: 'api', startTimeoutMs: START_TIMEOUT_MS, log: o.log, ...(o.keep === true ? { keep: true } : {}) })
    let report: ScaleReport & { submitted: SubmitResult }
    try {
      report = await phases(lan, o, csv)
    } catch (err) {
      if (!(err instanceof MemoryLow)) process.stderr.write(`${await lan.tails(5)}\n`)
      throw err
    } finally {
      await lan.destroy()
    }
    // After the LAN is gone, so the reference does not compete with the peers for the 2 cores.
    const { submitted, ...rest } = report
    return { ...rest, boards: await withReference(rest.boards, submitted, STRATEGY, csv), boardsAfterIdle: await withReference(rest.boardsAfterIdle, submitted, STRATEGY, csv) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

async function phases (lan: Lan, o: ScaleOptions, csv: string): Promise<ScaleReport & { submitted: SubmitResult }> {
  const memory = { min: await availableMemory() }
  const startup = await launch(lan, o)
  const idle0 = await sample(lan, lan.hosts)
  await sleep(o.idleMs)
  const idle1 = await sample(lan, lan.hosts)
  const request: SubmitRequest = { strategyPath: STRATEGY, data: csv, islands: o.job.islands, epochs: o.job.epochs, population: o.job.population, generations: o.job.generations, seed: o.seed, minTrades: 1 }
  const t0 = Date.now()
  const submitted = await lan.hosts[0].submit(request)
  o.log(`submitted job ${submitted.jobId.slice(0, 12)} on h0 (load ${load1()})`)
  const units = o.job.islands * o.job.epochs
  const watch = await watchJob(lan, o, submitted, units, t0, memory)
  const live = lan.hosts.filter(h => !watch.killed.has(h.index))
  const busy1 = await sample(lan, live)
  const boards = await boardsOf(live, submitted)
  const done = await finishedView(live, submitted.jobId)
  await sleep(o.idleMs)
  const idle2 = await sample(lan, live)
  const boardsAfterIdle = await boardsOf(live, submitted)
  const logs = await logCounts(lan.hosts, watch.faults?.freeze ?? [])
  const entries = Object.fromEntries(Object.entries(busy1.statuses.get(0)?.ledger?.byType ?? {}).map(([t, s]) => [t, s.entries]))
  return {
    submitted,
    peers: o.peers,
    seed: o.seed,
    job: { ...o.job, units, id: submitted.jobId },
    startup,
    traffic: { idleBefore: rates(idle0, idle1), busy: rates(watch.atSubmit, busy1), idleAfter: rates(busy1, idle2) },
    ledger: { before: sizes(idle1), afterJob: sizes(busy1), afterIdle: sizes(idle2) },
    run: {
      submitToDoneMs: watch.doneAt === undefined ? null : watch.doneAt - t0,
      live: live.length,
      doneOn: done.doneOn,
      everyUnitOnce: done.everyUnitOnce,
      conflicts: done.conflicts,
      entries,
      claimsPerUnit: Math.round(100 * (entries.claim ?? 0) / units) / 100,
      load: busy1.load,
    },
    faults: watch.faults,
    boards,
    boardsAfterIdle,
    logs,
    rssMb: spread([...watch.rss.values()].map(b => Math.round(b / 2 ** 20))),
    minAvailableMb: Math.round(memory.min / 2 ** 20),
  }
}

/** Starts the peers a few at a time, then waits for every one to be connected to every other. */
async function launch (lan: Lan, o: ScaleOptions): Promise<ScaleReport['startup']> {
  const t0 = Date.now()
  const queue = [...lan.hosts]
  await Promise.all(Array.from({ length: o.startConcurrency }, async () => {
    for (let h = queue.shift(); h !== undefined; h = queue.shift()) await h.start()
  }))
  const allAnsweringMs = Date.now() - t0
  o.log(`all ${lan.hosts.length} peers answer after ${allAnsweringMs} ms (load ${load1()})`)
  const ids = new Set((await Promise.all(lan.hosts.map(async h => await statusOf(h, STATUS_TRIES)))).map(s => s?.self.id))
  let connected: number[] = []
  const deadline = Date.now() + MESH_TIMEOUT_MS
  while (Date.now() < deadline) {
    const views = await Promise.all(lan.hosts.map(async h => await statusOf(h)))
    connected = views.map(v => v?.peers.filter(p => !p.self && p.connected && ids.has(p.id)).length ?? 0)
    if (connected.every(c => c === lan.hosts.length - 1)) {
      const fullMeshMs = Date.now() - t0
      o.log(`full mesh after ${fullMeshMs} ms`)
      return { allAnsweringMs, fullMeshMs, connectedOthers: spread(connected), load: load1() }
    }
    await sleep(POLL_MS)
  }
  o.log(`no full mesh within ${MESH_TIMEOUT_MS} ms: connected to ${JSON.stringify(spread(connected))} others`)
  return { allAnsweringMs, fullMeshMs: null, connectedOthers: spread(connected), load: load1() }
}

async function sample (lan: Lan, hosts: readonly LanHost[]): Promise<Sample> {
  const statuses = new Map<number, PeerStatus>()
  await Promise.all(hosts.map(async h => {
    const st = await statusOf(h, STATUS_TRIES)
    if (st !== undefined) statuses.set(h.index, st)
  }))
  const usage = await groupUsage(hosts.flatMap(h => h.pid === undefined ? [] : [h.pid]))
  const cpuMs = new Map(hosts.flatMap(h => { const u = h.pid === undefined ? undefined : usage.get(h.pid); return u === undefined ? [] : [[h.index, u.cpuMs] as const] }))
  return { at: Date.now(), load: load1(), statuses, wire: await wireBytes(lan.net), cpuMs }
}

interface JobWatch { atSubmit: Sample, doneAt: number | undefined, killed: Set<number>, faults: Faults | null, rss: Map<number, number> }

/**
 * Polls every host that can answer until the job is done on every live one; injects the faults
 * once a fifth of the units are committed; keeps each peer's largest RSS.
 */
async function watchJob (lan: Lan, o: ScaleOptions, submitted: SubmitResult, units: number, t0: number, memory: { min: number }): Promise<JobWatch> {
  const atSubmit = await sample(lan, lan.hosts)
  const killed = new Set<number>()
  const rss = new Map<number, number>()
  const victims = o.freeze + o.kill > 0 ? pickVictims(o.peers, o.freeze, o.kill, o.seed) : undefined
  let faults: Faults | null = null
  let lastRss = 0
  const deadline = t0 + JOB_TIMEOUT_MS
  while (Date.now() < deadline) {
    const answering = lan.hosts.filter(h => !killed.has(h.index) && !h.frozen)
    const views = await Promise.all(answering.map(async h => await statusOf(h)))
    const job = (v: PeerStatus | undefined): { committed: number, done: boolean } | undefined => v?.jobs.find(j => j.id === submitted.jobId)
    const committed = job(views[0])?.committed ?? 0
    if (victims !== undefined && faults === null && committed >= Math.ceil(units / FAULT_AT)) {
      faults = await injectFaults(lan, victims, o.freezeMs, killed, committed, o.log)
    }
    if (Date.now() - lastRss >= RSS_EVERY_MS) {
      lastRss = Date.now()
      for (const [pgid, { rss: bytes }] of await groupUsage(lan.hosts.flatMap(h => h.pid === undefined ? [] : [h.pid]))) {
        const host = lan.hosts.find(h => h.pid === pgid)
        if (host !== undefined) rss.set(host.index, Math.max(rss.get(host.index) ?? 0, bytes))
      }
      memory.min = Math.min(memory.min, await availableMemory())
      if (memory.min < o.minFreeBytes) throw new MemoryLow(`available memory fell to ${Math.round(memory.min / 2 ** 20)} MiB; stopping the run`)
    }
    const allLiveAnswer = lan.hosts.every(h => killed.has(h.index) || !h.frozen)
    if (allLiveAnswer && (victims === undefined || faults !== null) && views.every(v => job(v)?.done === true)) {
      o.log(`job done on all ${answering.length} live peers after ${Date.now() - t0} ms`)
      return { atSubmit, doneAt: Date.now(), killed, faults, rss }
    }
    await sleep(POLL_MS)
  }
  o.log(`job not done everywhere within ${JOB_TIMEOUT_MS} ms`)
  return { atSubmit, doneAt: undefined, killed, faults, rss }
}

/** On each live host: is the job done, is every unit counted (committed = total), any conflict. */
async function finishedView (hosts: readonly LanHost[], jobId: string): Promise<{ doneOn: number, everyUnitOnce: number, conflicts: number }> {
  const views = (await Promise.all(hosts.map(async h => await statusOf(h, STATUS_TRIES)))).flatMap(v => v === undefined ? [] : [v])
  const jobs = views.map(v => v.jobs.find(j => j.id === jobId))
  return {
    doneOn: jobs.filter(j => j?.done === true).length,
    everyUnitOnce: jobs.filter(j => j !== undefined && j.committed === j.total).length,
    conflicts: views.reduce((n, v) => n + v.conflicts.length, 0),
  }
}

/** Wake-up lines of the peers never frozen: a stall they took for sleep. The frozen ones did sleep. */
async function logCounts (hosts: readonly LanHost[], frozen: readonly number[]): Promise<ScaleReport['logs']> {
  const awake = hosts.filter(h => !frozen.includes(h.index))
  const logs = await Promise.all(awake.map(async h => await h.readLog().catch(() => '')))
  const wake = logs.map(l => countLines(l, WAKE_LINE))
  return { wakeLines: wake.reduce((a, b) => a + b, 0), hostsWithWake: wake.filter(n => n > 0).length, redialLines: logs.reduce((n, l) => n + countLines(l, REDIAL_LINE), 0) }
}

/**
 * A peer starved of CPU (30 of them on 2 shared cores) can miss the agent's 15 s timeout now and
 * then: a missed answer is a gap in the samples, not the end of the run.
 */
async function statusOf (h: LanHost, tries = 1): Promise<PeerStatus | undefined> {
  for (let i = 0; i < tries; i++) {
    try { return await h.status() } catch {}
  }
  return undefined
}

function sleep (ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
