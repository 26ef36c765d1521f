/**
 * The scale run's figures from its samples: replication bytes per peer per minute between two
 * samples, ledger size per peer, and the leaderboards of the live peers against each other and
 * against the same job run in one process.
 */
import { readFile } from 'node:fs/promises'
import { isDeepStrictEqual } from 'node:util'
import type { LanHost } from './lan.js'
import { spread, type WireBytes } from './scale-probe.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import type { LeaderboardRow } from '../../src/protocol/job-spec.js'
import type { PeerStatus, SubmitResult } from '../../src/node/peer-types.js'
import { agreedResults } from '../../test/helpers/agreed-results.js'
import { comparable, referenceLeaderboard } from '../../test/helpers/reference-run.js'

export interface Sample {
  readonly at: number
  readonly load: number
  readonly statuses: ReadonlyMap<number, PeerStatus>
  readonly wire: WireBytes
  /** CPU time of each peer's process group so far, by host index. */
  readonly cpuMs: ReadonlyMap<number, number>
}

type Spread = ReturnType<typeof spread>

/** Bytes per peer per minute over a window, spread over the peers present at both ends. */
export interface Rates {
  readonly minutes: number
  /** Load average at the window's end. */
  readonly load: number
  /** Gossip payload published plus received. */
  readonly gossip: Spread
  /** Sync responses pulled plus served. */
  readonly pull: Spread
  /** Every byte on the host's cable, both ways. */
  readonly wire: Spread
  /** CPU of each peer (with its evaluators) in per cent of one core. */
  readonly cpuPercent: Spread
}

export function rates (from: Sample, to: Sample): Rates {
  const minutes = (to.at - from.at) / 60_000
  const gossip: number[] = []
  const pull: number[] = []
  const wire: number[] = []
  const cpu: number[] = []
  for (const [i, end] of to.statuses) {
    const a = from.statuses.get(i)?.ledger?.traffic
    const b = end.ledger?.traffic
    if (a !== undefined && b !== undefined) {
      gossip.push((b.gossipOut + b.gossipIn - a.gossipOut - a.gossipIn) / minutes)
      pull.push((b.pullIn + b.pullServed - a.pullIn - a.pullServed) / minutes)
    }
    const wa = from.wire.get(i)
    const wb = to.wire.get(i)
    if (wa !== undefined && wb !== undefined) wire.push((wb.rx + wb.tx - wa.rx - wa.tx) / minutes)
    const ca = from.cpuMs.get(i)
    const cb = to.cpuMs.get(i)
    if (ca !== undefined && cb !== undefined) cpu.push(100 * (cb - ca) / (to.at - from.at))
  }
  const round = (s: Spread): Spread => ({ median: Math.round(s.median), max: Math.round(s.max), min: Math.round(s.min) })
  return { minutes: Math.round(minutes * 100) / 100, load: to.load, gossip: round(spread(gossip)), pull: round(spread(pull)), wire: round(spread(wire)), cpuPercent: round(spread(cpu)) }
}

export interface Sizes { readonly entries: Spread, readonly bytes: Spread, readonly load: number }

export function sizes (s: Sample): Sizes {
  const views = [...s.statuses.values()].flatMap(v => v.ledger === undefined ? [] : [v.ledger])
  return { entries: spread(views.map(v => v.entries)), bytes: spread(views.map(v => v.bytes)), load: s.load }
}

export interface Boards {
  /** Live peers whose leaderboard equals the first live peer's, row for row. */
  readonly identical: number
  readonly distinct: number
  /** Whether that leaderboard equals the job run in one process (rank, params, fitness); set once the reference ran. */
  readonly equalsReference: boolean | null
  /** Live peers whose leaderboard equals the reference in rank, params and fitness (who is credited aside); set once the reference ran. */
  readonly matchReference: number | null
  readonly top: readonly LeaderboardRow[]
  /** Each live peer's (rank, params, fitness) rows, for the comparison with the reference. */
  readonly ranked: ReadonlyArray<ReturnType<typeof comparable>>
  /** For each live peer whose leaderboard differs from the first one's: where it first differs. */
  readonly differences: readonly string[]
}

/** The first path at which `a` and `b` differ, with both values ("2.dsr: 0.1 vs undefined"). */
function firstDifference (a: unknown, b: unknown, path = ''): string | null {
  if (isDeepStrictEqual(a, b)) return null
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)])
    for (const k of keys) {
      const d = firstDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path === '' ? k : `${path}.${k}`)
      if (d !== null) return d
    }
  }
  return `${path === '' ? '(board)' : path}: ${JSON.stringify(a) ?? 'undefined'} vs ${JSON.stringify(b) ?? 'undefined'}`
}

/** Reads every live peer's leaderboard (letting them settle who is credited, as the LAN tests do). */
export async function boardsOf (hosts: readonly LanHost[], submitted: SubmitResult): Promise<Boards> {
  const views = await agreedResults(hosts, async h => await h.results(submitted.jobId, 10))
  const distinct: Array<readonly LeaderboardRow[]> = []
  for (const v of views) if (!distinct.some(d => isDeepStrictEqual(d, v.leaderboard))) distinct.push(v.leaderboard)
  return {
    identical: views.filter(v => isDeepStrictEqual(v.leaderboard, views[0].leaderboard)).length,
    distinct: distinct.length,
    equalsReference: null,
    matchReference: null,
    top: views[0].leaderboard,
    ranked: views.map(v => comparable(v.leaderboard)),
    differences: views.flatMap((v, i) => {
      const d = firstDifference(views[0].leaderboard, v.leaderboard)
      return d === null ? [] : [`${hosts[i]?.name ?? i}: ${d}`]
    }),
  }
}

/** The same job run unit by unit in this process: the 1-peer reference. */
export async function withReference (boards: Boards, submitted: SubmitResult, strategyPath: string, csvPath: string): Promise<Boards> {
  const candles = importCandles(await readFile(csvPath), 'candles.csv').candles
  const want = await referenceLeaderboard(submitted.spec, strategyPath, candles, 10)
  return {
    ...boards,
    equalsReference: boards.distinct === 1 && isDeepStrictEqual(comparable(boards.top), comparable(want)),
    matchReference: boards.ranked.filter(r => isDeepStrictEqual(r, comparable(want))).length,
  }
}
