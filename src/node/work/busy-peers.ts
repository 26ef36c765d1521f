/**
 * Which peers cannot take a free unit now, as the ledger shows them: each holds leases on as many
 * open units as it has evaluators (its hello's `cores`). A free unit's claim turns
 * (claim-order.ts) are taken among the other peers only. A busy peer ranked first for a unit would
 * otherwise make every idle peer below it wait a step per rank, though it cannot claim the unit
 * before its own run ends: with 2 peers and one evaluator each, that wait came between most units
 * of the next epoch, a fifth of the job's time (docs/BENCHMARKS.md "Mesh").
 *
 * The view lags by a gossip latency, and a peer holding a result for its inputs' verdicts
 * (speculation) keeps its lease with its evaluator free: such a peer and an idle one may claim the
 * same unit at once, and the ledger's order picks one, as for any race.
 */
import { leaseHolder, unitKey } from '../../ledger/queries.js'
import type { LedgerState } from '../../ledger/fold.js'
import { unitIslands } from '../../protocol/unit-layout.js'

/**
 * The peers holding, at `nowMs`, as many of the jobs' uncommitted units as their evaluators. With
 * `busyFor` (a unit's run, as this peer last measured it, and a claim step), a lease counts only
 * while its unit is not due to end within the step: a peer about to finish may be claiming the
 * unit right now, and peers that finish an epoch in lockstep would otherwise all skip each other.
 */
export function busyPeers (state: LedgerState, jobIds: Iterable<string>, nowMs: number, busyFor?: { readonly unitMs: number, readonly stepMs: number }): Set<string> {
  const held = new Map<string, number>()
  for (const jobId of jobIds) {
    const job = state.jobs.get(jobId)
    if (job === undefined) continue
    const islands = unitIslands(job.spec)
    for (let e = 0; e < job.spec.ga.epochs; e++) {
      for (let i = 0; i < islands; i++) {
        const unit = state.units.get(unitKey(jobId, i, e))
        if (unit === undefined || unit.commits.length > 0) continue
        const holder = leaseHolder(unit, nowMs)
        if (holder === null || (busyFor !== undefined && holder.claimHlc[0] + busyFor.unitMs <= nowMs + busyFor.stepMs)) continue
        held.set(holder.author, (held.get(holder.author) ?? 0) + 1)
      }
    }
  }
  const busy = new Set<string>()
  for (const [author, n] of held) {
    // A member whose hello has not arrived yet is taken to have one evaluator.
    if (n >= (state.peers.get(author)?.cores ?? 1)) busy.add(author)
  }
  return busy
}

/** The scheduler's view of which peers take no claim turn, refreshed whenever it looks for work. */
export class BusyPeers {
  private busy: ReadonlySet<string> = new Set()
  /** How long this peer's last unit ran, ms: how long another peer's fresh lease keeps it busy. */
  private unitMs: number | null = null

  has (peer: string): boolean {
    return this.busy.has(peer)
  }

  update (state: LedgerState, jobIds: Iterable<string>, nowMs: number, stepMs: number): void {
    this.busy = busyPeers(state, jobIds, nowMs, this.unitMs === null ? undefined : { unitMs: this.unitMs, stepMs })
  }

  /** One of this peer's units ran for `ms`. */
  unitRan (ms: number): void {
    this.unitMs = ms
  }
}
