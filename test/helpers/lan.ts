/**
 * The test side of the LAN harness (scripts/lan): `createLan(n)` builds hosts in network
 * namespaces and tears them down in `after`; `lanSkip` says why the LAN tests cannot run here;
 * `lanTest` prints every peer's log tail when a scenario fails; the demo job and its
 * single-machine leaderboard; and bounded waits on what every host sees.
 */
import assert from 'node:assert/strict'
import { after, test, type TestContext } from 'node:test'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLan as createLanHarness, type Lan, type LanHost, type LanOptions } from '../../scripts/lan/lan.js'
import { lanUnavailableReason, packetLossUnavailableReason } from '../../scripts/lan/netns.js'
import { delayLinkUnavailableReason } from '../../scripts/lan/delay-link.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import type { LeaderboardRow, JobSpec } from '../../src/protocol/job-spec.js'
import type { SubmitRequest, SubmitResult } from '../../src/node/peer-types.js'
import { comparable, referenceLeaderboard } from './reference-run.js'
import { waitFor } from './wait-for.js'
import { agreedResults } from './agreed-results.js'
import { candlesCsv } from './candles-csv.js'

export type { Lan, LanHost } from '../../scripts/lan/lan.js'
export { LAN_SUBNET } from '../../scripts/lan/netns.js'

/** False when the LAN tests can run; otherwise the reason, used as node:test's skip message. */
export const lanSkip: string | false = (await lanUnavailableReason()) ?? false
/** The same for scenarios with a delay link (they also need TAP devices and python3). */
export const delayLinkSkip: string | false = lanSkip === false ? delayLinkUnavailableReason() ?? false : lanSkip
/** The same for scenarios that set packet loss on a host (they also need nft). */
export const packetLossSkip: string | false = lanSkip === false ? packetLossUnavailableReason() ?? false : lanSkip

const t0 = Date.now()
/** Harness events with seconds since the file started; on with STRATMESH_LAN_VERBOSE=1. */
function harnessLog (line: string): void {
  if (process.env.STRATMESH_LAN_VERBOSE === '1') process.stderr.write(`[lan +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`)
}

const lans: Lan[] = []
after(async () => { await Promise.all(lans.map(async l => { await l.destroy() })) })

/** A LAN of n hosts (no peer started yet), destroyed when the test file ends. */
export async function createLan (n: number, options: LanOptions = {}): Promise<Lan> {
  const lan = await createLanHarness(n, { log: harnessLog, keep: process.env.STRATMESH_LAN_KEEP === '1', ...options })
  lans.push(lan)
  return lan
}

export interface LanTestContext {
  readonly t: TestContext
  /** Like createLan, and the scenario's failure report includes this LAN's logs. */
  createLan (n: number, options?: LanOptions): Promise<Lan>
}

/**
 * A LAN scenario: skipped where namespaces cannot be made; on failure it prints the tail of every
 * peer's log (where a real-network failure explains itself); its LANs are destroyed when it ends.
 */
export function lanTest (name: string, timeoutMs: number, fn: (ctx: LanTestContext) => Promise<void>, skip: string | false = lanSkip): void {
  test(name, { skip, timeout: timeoutMs }, async t => {
    const mine: Lan[] = []
    try {
      await fn({ t, createLan: async (n, options) => { const lan = await createLan(n, options); mine.push(lan); return lan } })
    } catch (err) {
      for (const lan of mine) process.stderr.write(`\n${await lan.tails(60)}\n`)
      throw err
    } finally {
      await Promise.all(mine.map(async l => { await l.destroy() }))
    }
  })
}

export const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))

export interface DemoJob {
  readonly request: SubmitRequest
  /** The leaderboard every host must show: the same job run unit by unit in this process. */
  expected (spec: JobSpec): Promise<LeaderboardRow[]>
}

/** Small enough for 2 shared cores: 3 islands x 3 epochs = 9 units of 8 genomes x 2 generations. */
export async function demoJob (dir: string, overrides: Partial<SubmitRequest> = {}, bars = 4000): Promise<DemoJob> {
  const csvPath = join(dir, 'candles.csv')
  await writeFile(csvPath, candlesCsv(syntheticCandles({ bars })))
  const request: SubmitRequest = { strategyPath: STRATEGY, data: csvPath, islands: 3, population: 8, generations: 2, epochs: 3, seed: 42, minTrades: 1, ...overrides }
  return {
    request,
    async expected (spec) {
      return await referenceLeaderboard(spec, STRATEGY, importCandles(await readFile(csvPath), 'candles.csv').candles, 10)
    },
  }
}

/** Waits until every host in `hosts` is connected to every other one; returns the ms it took. */
export async function waitFullMesh (hosts: readonly LanHost[], timeoutMs: number): Promise<number> {
  const start = Date.now()
  const ids = await Promise.all(hosts.map(async h => (await h.status()).self.id))
  const seen = new Map<string, string>()
  try {
    await waitFor(async () => {
      const views = await Promise.all(hosts.map(async h => await h.status()))
      for (const [i, v] of views.entries()) seen.set(hosts[i].name, v.peers.filter(p => !p.self).map(p => `${p.name}:${p.connected ? 'connected' : p.state}`).join(' '))
      return views.every((v, i) => ids.every((id, j) => i === j || v.peers.some(p => p.id === id && p.connected)))
    }, { timeoutMs, intervalMs: 250, message: `a full mesh of ${hosts.map(h => h.name).join(', ')}` })
  } catch (err) {
    // Who sees whom is what a failed discovery needs explained.
    throw new Error(`${(err as Error).message}; last views: ${[...seen].map(([h, v]) => `${h} sees [${v}]`).join('; ')}`, { cause: err })
  }
  return Date.now() - start
}

/** Waits until the host reports the job done; returns when. */
export async function waitJobDone (host: LanHost, jobId: string, timeoutMs: number): Promise<number> {
  await waitFor(async () => (await host.results(jobId, 10)).done, { timeoutMs, intervalMs: 500, message: `job ${jobId.slice(0, 12)} done on ${host.name}` })
  return Date.now()
}

/** Short, so a lease held by a frozen or cut-off peer expires within a test; renewals come every TTL/3. */
export const FAULT_LEASE_TTL_MS = 5_000
/**
 * Larger than the demo of scenario 2 so a fault lands mid-job and a unit outlives a lease renewal
 * (TTL/3): 3 islands x 6 epochs = 18 units of 48 genomes x 20 generations on 100 000 bars, about a
 * second each on this box; the in-process reference costs about as much as the job itself.
 */
const FAULT_JOB = { population: 48, generations: 20, epochs: 6 }
const FAULT_BARS = 100_000

/** A woken or re-plugged laptop should be back in the mesh within a few mDNS rounds (10 s each). */
export const REJOIN_BOUND_MS = 30_000

export interface FaultRun { readonly lan: Lan, readonly job: DemoJob, readonly submitted: SubmitResult }

/** n hosts with a short lease TTL, a full mesh, and the fault job submitted on h0. */
export async function startFaultJob (createLan: (n: number, o?: LanOptions) => Promise<Lan>, dir: string, n = 3): Promise<FaultRun> {
  const job = await demoJob(dir, FAULT_JOB, FAULT_BARS)
  const lan = await createLan(n, { leaseTtlMs: FAULT_LEASE_TTL_MS })
  await lan.startAll()
  await waitFullMesh(lan.hosts, 20_000)
  const submitted = await lan.hosts[0].submit(job.request)
  return { lan, job, submitted }
}

/**
 * Waits until `host` runs a unit and `observer` has the claim in its ledger, so the fault costs
 * the mesh a lease it knows of (the others must wait for it to expire). Returns the observer's count.
 */
export async function waitHoldsLease (host: LanHost, observer: LanHost): Promise<number> {
  const id = (await host.status()).self.id
  return await waitFor<number | undefined>(async () => {
    if ((await host.status()).self.leases === 0) return undefined
    const seen = (await observer.status()).peers.find(p => p.id === id)?.leases ?? 0
    return seen > 0 ? seen : undefined
  }, { timeoutMs: 60_000, intervalMs: 100, message: `${host.name} to hold a lease that ${observer.name} knows of` })
}

export async function committedOn (host: LanHost, jobId: string): Promise<number> {
  return (await host.results(jobId, 1)).job.committed
}

/** Every host counts each unit once, shows one leaderboard, the single-machine one, and no conflict. */
export async function assertSameResult ({ lan, job, submitted }: FaultRun, hosts: readonly LanHost[] = lan.hosts): Promise<void> {
  const want = await job.expected(submitted.spec)
  const boards = await agreedResults(hosts, async h => await h.results(submitted.jobId, 10))
  for (const [i, r] of boards.entries()) {
    const name = hosts[i].name
    // The ledger is keyed by unit: a unit computed twice (by a sleeper and its replacement) counts once.
    assert.equal(r.job.committed, r.job.total, `${name}: every unit counted exactly once`)
    assert.deepEqual(r.leaderboard, boards[0].leaderboard, `${name} shows the leaderboard of ${hosts[0].name}`)
    assert.deepEqual(comparable(r.leaderboard), comparable(want), `${name} matches the single-machine run`)
  }
  for (const h of hosts) assert.deepEqual((await h.status()).conflicts, [], `${h.name} sees no conflicting checkpoints`)
}
