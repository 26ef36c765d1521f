/**
 * Builds `peer status` from the ledger state and what this process sees of the network. Remote
 * peers' evaluations per second come from their recent commits (each checkpoint says how many
 * evaluations it took), so no extra protocol is needed to show them.
 */
import { ISOLATE_INTERFACE_VERSION } from '../engine/isolate/interface.js'
import { conflicts, countedCommit, equivocationEvidence, jobs, leaderboard, leaseHolder, peers, TRUST_ALL, type CommitTrust } from '../ledger/queries.js'
import type { LedgerState } from '../ledger/fold.js'
import { unitIslands, windowCount, windowOf } from '../protocol/unit-layout.js'
import { jobDatasets } from '../protocol/job-spec.js'
import type { VerifierStats } from './work/index.js'
import type { CountsByPeer, JobStatusView, PeerState, PeerStatus, PeerView } from './peer-types.js'

/** Window over which a remote peer's evaluations per second are averaged. */
export const RATE_WINDOW_MS = 60_000
/** A disconnected peer heard from within this long is shown as asleep, after it as offline. */
export const ASLEEP_WINDOW_MS = 15 * 60_000

export interface StatusInputs {
  readonly state: LedgerState
  readonly now: number
  readonly self: { readonly id: string, readonly name: string, readonly cores: number, readonly dataDir: string, readonly startedAt: number, readonly listen: readonly string[], readonly evalsPerSec: number, readonly running: number, readonly fingerprint: string, readonly isolateInterface?: number }
  /** Remote addresses of open connections, by peer id. */
  readonly connections: ReadonlyMap<string, readonly string[]>
  readonly lastSeen: ReadonlyMap<string, number>
  readonly blocked: ReadonlyMap<string, string>
  /** Why a job stopped on this peer (finished or not), if it did: it then shows no best fitness. */
  readonly stopped?: (jobId: string) => string | undefined
  /** Entries the log store refused, by sending peer and code. */
  readonly rejected: CountsByPeer
  /** Gossip messages refused whole, by sending peer and code (the replicator's SYNC_* rejections). */
  readonly refusedMessages?: CountsByPeer
  readonly syncErrors?: CountsByPeer
  /** Which commits count here (default: all), and how the checks stand. */
  readonly trust?: CommitTrust
  readonly verification?: VerifierStats
}

/** Adds two per-peer, per-code tables. */
function addCounts (a: CountsByPeer, b: CountsByPeer): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {}
  for (const table of [a, b]) {
    for (const [peer, byCode] of Object.entries(table)) {
      const mine = out[peer] ?? (out[peer] = {})
      for (const [code, n] of Object.entries(byCode)) mine[code] = (mine[code] ?? 0) + n
    }
  }
  return out
}

export function buildStatus (inp: StatusInputs): PeerStatus {
  const trust = inp.trust ?? TRUST_ALL
  const isolateInterface = inp.self.isolateInterface ?? ISOLATE_INTERFACE_VERSION
  const activity = peerActivity(inp.state, inp.now, trust)
  return {
    self: selfView(inp, isolateInterface),
    peers: otherPeerViews(inp, activity, isolateInterface),
    jobs: jobViews(inp, trust),
    conflicts: conflicts(inp.state, trust),
    checks: checksView(inp.verification),
    rejected: addCounts(inp.rejected, inp.refusedMessages ?? {}),
    syncErrors: inp.syncErrors ?? {},
    frozen: equivocationEvidence(inp.state).map(ev => ({ author: ev.author, seq: ev.seq })),
  }
}

/** What each author is doing by the ledger: leases held on uncounted units, evaluations committed lately. */
interface PeerActivity {
  readonly leasesBy: ReadonlyMap<string, number>
  readonly evalsBy: ReadonlyMap<string, number>
}

function peerActivity (state: LedgerState, now: number, trust: CommitTrust): PeerActivity {
  const leasesBy = new Map<string, number>()
  const evalsBy = new Map<string, number>()
  for (const unit of state.units.values()) {
    const counted = countedCommit(unit, trust)
    if (counted === null) {
      const holder = leaseHolder(unit, now)
      if (holder !== null) leasesBy.set(holder.author, (leasesBy.get(holder.author) ?? 0) + 1)
    }
    for (const c of unit.commits) {
      // A rejected checkpoint's evaluation count is as made up as the rest of it.
      if (c.hlc[0] < now - RATE_WINDOW_MS || trust(c, unit) === 'rejected') continue
      const cp = state.checkpoints.get(c.checkpointHash)
      if (cp !== undefined) evalsBy.set(c.author, (evalsBy.get(c.author) ?? 0) + cp.evaluations)
    }
  }
  return { leasesBy, evalsBy }
}

function selfView (inp: StatusInputs, isolateInterface: number): PeerStatus['self'] {
  return {
    id: inp.self.id,
    name: inp.self.name,
    fingerprint: inp.self.fingerprint,
    isolateInterface,
    cores: inp.self.cores,
    addresses: inp.self.listen,
    connected: true,
    self: true,
    lastSeenMs: 0,
    leases: inp.self.running,
    evalsPerSec: inp.self.evalsPerSec,
    state: inp.self.running > 0 ? 'working' : 'idle',
    dataDir: inp.self.dataDir,
    uptimeMs: inp.now - inp.self.startedAt,
    listen: inp.self.listen,
  }
}

/** Every other peer the ledger or the network knows, each once: ledger members first, then unknown connections. */
function otherPeerViews (inp: StatusInputs, activity: PeerActivity, isolateInterface: number): PeerView[] {
  const others: PeerView[] = []
  const seen = new Set<string>([inp.self.id])
  for (const p of peers(inp.state)) {
    if (seen.has(p.author)) continue
    seen.add(p.author)
    others.push(peerView(inp, activity, isolateInterface, p.author, p))
  }
  for (const id of inp.connections.keys()) {
    if (seen.has(id)) continue
    seen.add(id)
    others.push(peerView(inp, activity, isolateInterface, id, null))
  }
  return others
}

/**
 * Jobs carry their engine, so a peer whose own bundle computes other bits still runs the jobs its
 * fingerprint matches (each job says). One whose evaluators speak another isolate interface runs
 * none of ours, nor we its: that one is incompatible.
 */
function peerView (inp: StatusInputs, activity: PeerActivity, isolateInterface: number, id: string, hello: { name: string, fingerprint: string, isolateInterface: number, cores: number } | null): PeerView {
  const { now } = inp
  const addresses = inp.connections.get(id) ?? []
  const connected = addresses.length > 0
  const last = inp.lastSeen.get(id)
  const leases = activity.leasesBy.get(id) ?? 0
  let state: PeerState
  let reason: string | undefined
  if (hello !== null && hello.isolateInterface !== isolateInterface) {
    state = 'incompatible'
    reason = `isolate interface ${hello.isolateInterface}, this peer speaks ${isolateInterface}`
  } else if (connected) state = leases > 0 ? 'working' : 'idle'
  else state = last !== undefined && now - last < ASLEEP_WINDOW_MS ? 'asleep' : 'offline'
  return {
    id,
    name: hello?.name ?? '?',
    fingerprint: hello?.fingerprint ?? null,
    isolateInterface: hello?.isolateInterface ?? null,
    cores: hello?.cores ?? 0,
    addresses,
    connected,
    self: false,
    lastSeenMs: connected ? 0 : last === undefined ? null : now - last,
    leases,
    evalsPerSec: (activity.evalsBy.get(id) ?? 0) / (RATE_WINDOW_MS / 1000),
    state,
    ...(reason === undefined ? {} : { reason }),
  }
}

function jobViews (inp: StatusInputs, trust: CommitTrust): JobStatusView[] {
  const { state, now } = inp
  return jobs(state, trust).map(j => {
    let leased = 0
    const perWindow = Array.from({ length: windowCount(j.spec) }, () => ({ committed: 0, total: j.spec.ga.islands * j.spec.ga.epochs }))
    for (let e = 0; e < j.spec.ga.epochs; e++) {
      for (let i = 0; i < unitIslands(j.spec); i++) {
        const unit = state.units.get(`${j.id}:${i}:${e}`)
        if (countedCommit(unit, trust) !== null) perWindow[windowOf(j.spec, i)].committed++
        else if (leaseHolder(unit, now) !== null) leased++
      }
    }
    const stopped = inp.stopped?.(j.id)
    // No row of a stopped job is ranked, its best fitness included.
    const best = stopped === undefined ? leaderboard(state, j.id, 1, trust)[0] : undefined
    const reason = stopped ?? (j.done ? undefined : inp.blocked.get(j.id))
    return {
      id: j.id,
      strategy: j.spec.strategy.name,
      // A basket job's symbols, in one cell of the jobs table.
      dataset: jobDatasets(j.spec).map(d => d.name).join(' + '),
      objective: j.spec.objective,
      submitter: j.submitter,
      committed: j.committed,
      total: j.total,
      progress: j.progress,
      leased,
      done: j.done,
      runnable: reason === undefined || reason === 'loading' || reason.startsWith('fetching'),
      ...(reason === undefined ? {} : { reason }),
      bestFitness: best?.fitness ?? null,
      ...(stopped === undefined ? {} : { stopped }),
      ...(j.cancelled ? { cancelled: true } : {}),
      ...(j.spec.walkForward === undefined ? {} : { windows: perWindow }),
    }
  })
}

function checksView (verification: VerifierStats | undefined): PeerStatus['checks'] {
  return {
    checked: verification?.checked ?? 0,
    pending: verification?.pending ?? 0,
    dormant: verification?.dormant ?? 0,
    evaluations: verification?.evaluations ?? 0,
    rejected: verification?.rejected ?? [],
    unchecked: [...(verification?.unchecked ?? new Map<string, string>())].map(([jobId, reason]) => ({ jobId, reason })),
  }
}
