/**
 * Signed entry chains for the ledger's property tests: random bodies over one small job (leases,
 * commits that sometimes conflict, blob announcements, hellos), from a seeded PRNG.
 */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import { applyEntry, applyEvidence, emptyLedger, type LedgerState } from '../../src/ledger/fold.js'
import type { EntryBodies, EntryType } from '../../src/protocol/entry-bodies.js'
import type { Hlc } from '../../src/protocol/hlc.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import type { Checkpoint } from '../../src/protocol/job-spec.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import type { Prng } from '../../src/engine/prng.js'
import { ENGINE_FIXTURE } from './job-spec-fixture.js'

export const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'ab'.repeat(32), name: 's' }, dataset: { hash: 'cd'.repeat(32), name: 'd', bars: 500 }, ga: { islands: 3, epochs: 2 } })
export const jobId = canonicalHash(spec)

function checkpoint (island: number, epoch: number, variant: number): EntryBodies['commit'] {
  const g = { params: { a: island * 10 + epoch, v: variant }, fitness: 1 + island + epoch / 10 + variant, inSample: null, outOfSample: null }
  const cp: Checkpoint = { jobId, island, epoch, population: [{ params: g.params, fitness: g.fitness }], best: [g], evaluations: 5, errors: 0 }
  return { jobId, island, epoch, checkpointHash: canonicalHash(cp), checkpoint: cp }
}

/** A renew in either format: the first (one unit) or the batched one (every unit the author runs). */
function renewBody (rng: Prng, unit: { jobId: string, island: number, epoch: number }): EntryBodies['renew'] {
  const ttlMs = 1000 + rng.int(5) * 1000
  if (rng.int(2) === 0) return { ...unit, ttlMs }
  const other = { jobId, island: rng.int(3), epoch: rng.int(2) }
  return { units: [unit, other], ttlMs }
}

/** Job control: cancels, priorities and re-submissions with a priority, some naming a job nobody submitted. */
function jobControlBody (rng: Prng): [EntryType, EntryBodies[EntryType]] {
  const target = rng.int(4) === 0 ? 'ef'.repeat(32) : jobId
  switch (rng.int(3)) {
    case 0: return ['cancel', { jobId: target }]
    case 1: return ['priority', { jobId: target, priority: rng.int(5) - 2 }]
    default: return ['job', { spec, id: jobId, priority: rng.int(3) }]
  }
}

function randomBody (rng: Prng, author: number, jobControl: boolean): [EntryType, EntryBodies[EntryType]] {
  if (jobControl && rng.int(4) === 0) return jobControlBody(rng)
  const unit = { jobId, island: rng.int(3), epoch: rng.int(2) }
  switch (rng.int(6)) {
    case 0: return ['claim', { ...unit, ttlMs: 1000 + rng.int(5) * 1000 }]
    case 1: return ['renew', renewBody(rng, unit)]
    case 2: return ['release', unit]
    case 3: return ['commit', checkpoint(unit.island, unit.epoch, rng.int(4) === 0 ? 1 : 0)]
    case 4: return ['blob-have', { blobs: [{ hash: String(rng.int(3)).repeat(64), size: author, kind: 'dataset' }] }]
    default: return ['hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1 + rng.int(16), name: `p${author}` }]
  }
}

/**
 * `key`'s chain grown from `start` to `n` entries with random bodies (author 0's first entry
 * submits the job; with `jobControl`, a quarter of the rest cancel or reprioritise). Hlc steps are small and often zero, so ties between authors happen.
 */
export async function chain (key: PrivateKey, rng: Prng, n: number, author: number, start: Entry[] = [], options: { jobControl?: boolean } = {}): Promise<Entry[]> {
  const id = peerIdFromPrivateKey(key).toString()
  const out = [...start]
  let hlc: Hlc = out.at(-1)?.hlc ?? [1000, 0]
  while (out.length < n) {
    const step = rng.int(3) * 500
    hlc = step === 0 ? [hlc[0], hlc[1] + 1] : [hlc[0] + step, 0]
    const [type, body] = out.length === 0 && author === 0 ? ['job', { spec, id: jobId }] as const : randomBody(rng, author, options.jobControl === true)
    const prev = out.at(-1)
    out.push(await signEntry(key, { v: 1, author: id, seq: out.length + 1, prev: prev === undefined ? null : entryHash(prev), hlc, type, body } as UnsignedEntry))
  }
  return out
}

/** A Fisher-Yates shuffle of a copy. */
export function shuffled<T> (items: readonly T[], rng: Prng): T[] {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1)
    ;[out[i], out[j]] = [out[j], out[i]]
  }
  return out
}

/** Applies entries one by one in the given order, retrying those that wait, as a store does. */
export function incremental (entries: readonly Entry[]): LedgerState {
  const state = emptyLedger()
  let waiting = [...entries]
  for (let progress = true; progress;) {
    progress = false
    const next: Entry[] = []
    for (const e of waiting) {
      const r = applyEntry(state, e)
      if (r === 'gap' || r === 'broken') next.push(e)
      else progress = true
    }
    // Two different entries waiting at one (author, seq) are evidence even though neither applies.
    const bySlot = new Map<string, Entry>()
    for (const e of next) {
      const slot = `${e.author}/${e.seq}`
      const seen = bySlot.get(slot)
      if (seen !== undefined && entryHash(seen) !== entryHash(e) && applyEvidence(state, seen, e) === 'equivocation') progress = true
      bySlot.set(slot, e)
    }
    waiting = next
  }
  return state
}
