/**
 * What the services of one peer tell each other. A service that needs to act when another one
 * changes something listens here, instead of being handed a callback into a service that may not
 * exist yet: the sender does not know who listens, and construction order stays one-way.
 */
import type { BlobKind } from '../protocol/entry-bodies.js'
import type { Checkpoint } from '../protocol/job-spec.js'
import type { EntryEvent } from './replication/index.js'
import type { RunningUnit } from './work/index.js'

export interface PeerEventMap {
  /** The ledger took an entry (ours or another member's). */
  'entry': EntryEvent
  /** A connection to another peer opened. */
  'peer:connect': { readonly peer: string }
  /** A connection to another peer closed. */
  'peer:disconnect': { readonly peer: string }
  /** A job's readiness may have changed: a blob arrived or failed, a job loaded or broke. */
  'job:readiness': undefined
  /** A verdict on a commit changed which commits count. */
  'commit:verdict': undefined
  /** A blob finished downloading and is on disk. */
  'blob:stored': { readonly hash: string, readonly size: number, readonly kind: BlobKind }
  /** This peer committed the checkpoint of a unit it computed. */
  'unit:committed': { readonly unit: RunningUnit, readonly checkpoint: Checkpoint }
  /**
   * The process slept for `gapMs`: leases may be gone, connections stale. A listener that
   * re-syncs holds the scheduler's claims until it is done (Scheduler.holdUntil).
   */
  'woke': { readonly gapMs: number }
  /**
   * The event loop did not run for `gapMs` though the machine did not sleep (a loaded machine):
   * connections are as alive as before; a listener may hold claims for one ordinary pull.
   */
  'stalled': { readonly gapMs: number }
}

export type PeerEventName = keyof PeerEventMap
export type PeerEventListener<K extends PeerEventName> = (detail: PeerEventMap[K]) => void

export interface PeerEvents {
  /** Listens for `name`; returns the function that stops listening. */
  on<K extends PeerEventName> (name: K, listener: PeerEventListener<K>): () => void
  /** Calls the listeners in the order they were added, synchronously; a throwing listener is logged. */
  emit<K extends PeerEventName> (name: K, ...detail: PeerEventMap[K] extends undefined ? [] : [PeerEventMap[K]]): void
}

export function createPeerEvents (log: (line: string) => void = () => {}): PeerEvents {
  const listeners = new Map<PeerEventName, Set<(detail: never) => void>>()
  return {
    on (name, listener) {
      let set = listeners.get(name)
      if (set === undefined) { set = new Set(); listeners.set(name, set) }
      set.add(listener)
      return () => { set.delete(listener) }
    },
    emit (name, ...detail) {
      for (const listener of [...listeners.get(name) ?? []]) {
        try {
          (listener as (d: unknown) => void)(detail[0])
        } catch (err) {
          log(`${name} listener: ${(err as Error).message}`)
        }
      }
    },
  }
}
