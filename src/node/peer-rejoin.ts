/**
 * Bringing a peer back into the mesh when its ledger may be stale: after a sleep, and at a
 * restart with unfinished jobs. Claims wait (Scheduler.holdUntil) until this peer has pulled from
 * a live peer, so it does not redo units the others finished meanwhile. After an event-loop
 * stall (the machine was loaded, not asleep) the connections are fine: one ordinary pull, no
 * probes, no re-dials, which would only add load to a machine that is already behind.
 */
import { StratmeshError } from '../protocol/errors.js'
import type { PeerNode } from './mesh/index.js'
import type { Replicator } from './replication/index.js'
import { WAKE_CLAIM_HOLD_MS, type Scheduler } from './work/index.js'
import type { PeerEvents } from './peer-events.js'

/**
 * After waking up, a connection from before the sleep must answer a ping within this long or it
 * is dropped and its peer dialled again. Peers share a LAN: a live one answers in milliseconds.
 */
export const WAKE_PROBE_TIMEOUT_MS = 2_000

export interface RejoinComponents {
  readonly node: Pick<PeerNode, 'getConnections' | 'services'>
  readonly replicator: Pick<Replicator, 'syncNow' | 'syncSome'>
  readonly scheduler: Pick<Scheduler, 'holdUntil'>
  readonly events: PeerEvents
}

export interface Rejoin {
  start (): void
  stop (): void
  /** Waits (at most WAKE_CLAIM_HOLD_MS) until `live()`, then pulls from every connected peer. */
  syncWhenConnected (live: () => boolean): Promise<void>
}

class MeshRejoin implements Rejoin {
  private stopped = false
  private unsubscribe: Array<() => void> = []

  constructor (private readonly components: RejoinComponents) {}

  start (): void {
    this.stopped = false
    const { events, scheduler, replicator } = this.components
    this.unsubscribe = [
      events.on('woke', () => { scheduler.holdUntil(this.rejoin(), 're-sync after waking') }),
      events.on('stalled', () => { scheduler.holdUntil(replicator.syncSome(), 'pull after a stall') })
    ]
  }

  stop (): void {
    this.stopped = true
    for (const off of this.unsubscribe.splice(0)) off()
  }

  async syncWhenConnected (live: () => boolean): Promise<void> {
    for (let waited = 0; waited < WAKE_CLAIM_HOLD_MS && !this.stopped && !live(); waited += 100) {
      await new Promise(resolve => setTimeout(resolve, 100))
    }
    if (this.stopped || !live()) return
    await this.components.replicator.syncNow()
  }

  /**
   * After a sleep: probe the old connections, re-dial at once instead of waiting for the next
   * timers, and re-sync as soon as a peer is back.
   */
  private async rejoin (): Promise<void> {
    const { node } = this.components
    const before = new Set(node.getConnections().map(c => c.id))
    let answered = false
    // Connections from before the sleep may be dead without knowing it yet: probe each, drop
    // the silent ones (the dialer then dials their peers again).
    for (const conn of node.getConnections()) {
      node.services.ping.ping(conn.remotePeer, { signal: AbortSignal.timeout(WAKE_PROBE_TIMEOUT_MS) })
        .then(() => { answered = true })
        .catch(() => { conn.abort(new StratmeshError('PEER_SILENT_AFTER_WAKE', 'no answer to a ping after waking up')) })
    }
    node.services.meshDialer.wake()
    // An old connection that answered, or a new one, is a peer to sync with.
    await this.syncWhenConnected(() => answered || node.getConnections().some(c => !before.has(c.id)))
  }
}

export function createRejoin (components: RejoinComponents): Rejoin {
  return new MeshRejoin(components)
}
