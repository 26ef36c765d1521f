/**
 * The test side of the LAN harness (scripts/lan): `createLan(n)` builds hosts in network
 * namespaces and tears them down in `after`; `lanSkip` says why the LAN tests cannot run here;
 * `lanTest` prints every peer's log tail when a scenario fails; the demo job and its
 * single-machine leaderboard; and bounded waits on what every host sees.
 */
import { after, test, type TestContext } from 'node:test'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createLan as createLanHarness, type Lan, type LanHost, type LanOptions } from '../../scripts/lan/lan.js'
import { lanUnavailableReason } from '../../scripts/lan/netns.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import type { Candles } from '../../src/engine/types.js'
import type { LeaderboardRow, JobSpec } from '../../src/engine/job-spec.js'
import type { SubmitRequest } from '../../src/node/peer-types.js'
import { referenceLeaderboard } from './reference-run.js'
import { waitFor } from './wait-for.js'

export type { Lan, LanHost } from '../../scripts/lan/lan.js'
export { LAN_SUBNET } from '../../scripts/lan/netns.js'

/** False when the LAN tests can run; otherwise the reason, used as node:test's skip message. */
export const lanSkip: string | false = (await lanUnavailableReason()) ?? false

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
export function lanTest (name: string, timeoutMs: number, fn: (ctx: LanTestContext) => Promise<void>): void {
  test(name, { skip: lanSkip, timeout: timeoutMs }, async t => {
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

function toCsv (c: Candles): string {
  const lines = ['timestamp,open,high,low,close,volume']
  for (let i = 0; i < c.length; i++) lines.push(`${c.time[i]},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`)
  return lines.join('\n') + '\n'
}

export interface DemoJob {
  readonly request: SubmitRequest
  /** The leaderboard every host must show: the same job run unit by unit in this process. */
  expected (spec: JobSpec): Promise<LeaderboardRow[]>
}

/** Small enough for 2 shared cores: 3 islands x 3 epochs = 9 units of 8 genomes x 2 generations. */
export async function demoJob (dir: string, overrides: Partial<SubmitRequest> = {}): Promise<DemoJob> {
  const csvPath = join(dir, 'candles.csv')
  await writeFile(csvPath, toCsv(syntheticCandles({ bars: 4000 })))
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
  await waitFor(async () => {
    const views = await Promise.all(hosts.map(async h => await h.status()))
    return views.every((v, i) => ids.every((id, j) => i === j || v.peers.some(p => p.id === id && p.connected)))
  }, { timeoutMs, intervalMs: 250, message: `a full mesh of ${hosts.map(h => h.name).join(', ')}` })
  return Date.now() - start
}

/** Waits until the host reports the job done; returns when. */
export async function waitJobDone (host: LanHost, jobId: string, timeoutMs: number): Promise<number> {
  await waitFor(async () => (await host.results(jobId, 10)).done, { timeoutMs, intervalMs: 500, message: `job ${jobId.slice(0, 12)} done on ${host.name}` })
  return Date.now()
}
