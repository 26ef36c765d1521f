/**
 * Holds a speculative unit's checkpoint until the inputs it was computed from count here
 * (src/ledger/speculation.ts): a check of a remote commit then runs beside the next epoch's units
 * instead of before them. The wait ends when a verdict or an entry settles it, or when `gone` says
 * the result is no longer wanted (the scheduler stopped, the lease was lost in a sleep).
 */
import { inputsStanding, type InputsStanding } from '../../ledger/speculation.js'
import type { CommitTrust } from '../../ledger/queries.js'
import type { LedgerState } from '../../ledger/fold.js'
import type { PeerEvents } from '../peer-events.js'

/** How often a waiting result looks again without an event (a lost lease is seen by the tick, not by an event). */
export const SPECULATION_POLL_MS = 1_000

export interface SpeculationGateComponents {
  readonly state: () => LedgerState
  readonly trust: CommitTrust
  readonly events: PeerEvents
}

/**
 * Resolves 'trusted' once every input in `used` (checkpoint hash by input unit key) counts, or
 * 'changed' once one cannot count, or 'gone' once `gone()` holds.
 */
export async function inputsSettled (components: SpeculationGateComponents, used: ReadonlyMap<string, string>, gone: () => boolean): Promise<Exclude<InputsStanding, 'pending'> | 'gone'> {
  const look = (): Exclude<InputsStanding, 'pending'> | 'gone' | null => {
    if (gone()) return 'gone'
    const standing = inputsStanding(components.state(), used, components.trust)
    return standing === 'pending' ? null : standing
  }
  const first = look()
  if (first !== null) return first
  return await new Promise(resolve => {
    const offs: Array<() => void> = []
    const timer = setInterval(check, SPECULATION_POLL_MS)
    timer.unref()
    function check (): void {
      const found = look()
      if (found === null) return
      clearInterval(timer)
      for (const off of offs.splice(0)) off()
      resolve(found)
    }
    offs.push(components.events.on('commit:verdict', check), components.events.on('entry', check))
  })
}
