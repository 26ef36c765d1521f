/**
 * The scale run's faults: hosts chosen with a seeded PRNG (the seed is printed, so a run can be
 * repeated), some frozen (SIGSTOP to the peer's group, SIGCONT later, as a laptop sleeps) and some
 * killed (SIGKILL to the group, not restarted: machines that left for good).
 */
import { createPrng } from '../../src/engine/prng.js'
import type { Lan } from './lan.js'

export interface Victims { readonly freeze: readonly number[], readonly kill: readonly number[] }

export interface Faults extends Victims {
  /** Names of the hosts. */
  readonly frozenHosts: readonly string[]
  readonly killedHosts: readonly string[]
  readonly freezeMs: number
  /** Units committed on h0 when the faults struck. */
  readonly atCommitted: number
}

/** Distinct hosts among 1..peers-1 (h0 submitted the job and is watched throughout). */
export function pickVictims (peers: number, freeze: number, kill: number, seed: number): Victims {
  if (freeze + kill > peers - 1) throw new Error(`cannot freeze ${freeze} and kill ${kill} of ${peers} peers: h0 stays up`)
  const prng = createPrng(seed, 0x5ca1e)
  const pool = Array.from({ length: peers - 1 }, (_, i) => i + 1)
  for (let i = pool.length - 1; i > 0; i--) {
    const j = prng.int(i + 1)
    ;[pool[i], pool[j]] = [pool[j], pool[i]]
  }
  return { freeze: pool.slice(0, freeze).sort((a, b) => a - b), kill: pool.slice(freeze, freeze + kill).sort((a, b) => a - b) }
}

/**
 * Freezes and kills the victims now, and thaws the frozen ones after `freezeMs` (a timer: the
 * caller keeps polling meanwhile). `killed` gets the killed hosts' indexes.
 */
export async function injectFaults (lan: Lan, victims: Victims, freezeMs: number, killed: Set<number>, atCommitted: number, log: (line: string) => void): Promise<Faults> {
  for (const i of victims.freeze) lan.hosts[i].freeze()
  await Promise.all(victims.kill.map(async i => {
    await lan.hosts[i].kill()
    killed.add(i)
  }))
  const names = (xs: readonly number[]): string[] => xs.map(i => lan.hosts[i].name)
  log(`faults at ${atCommitted} units committed: froze ${names(victims.freeze).join(' ')} for ${freezeMs} ms, killed ${names(victims.kill).join(' ')}`)
  setTimeout(() => {
    for (const i of victims.freeze) lan.hosts[i].thaw()
    log(`thawed ${names(victims.freeze).join(' ')}`)
  }, freezeMs)
  return { ...victims, frozenHosts: names(victims.freeze), killedHosts: names(victims.kill), freezeMs, atCommitted }
}
