/**
 * Runs every unit of a job in dependency order on one machine, with up to `concurrency` units at
 * once. The mesh does the same through the ledger; this is the single-peer reference (and the
 * engine of `peer start --demo` when no other peer is around).
 */
import type { Checkpoint, JobSpec } from '../protocol/job-spec.js'
import type { UnitInput } from './ga.js'
import { unitInputs, unitIslands } from '../protocol/unit-layout.js'

export type UnitRunner = (input: UnitInput) => Promise<Checkpoint>

export interface JobProgress {
  readonly done: number
  readonly total: number
  readonly checkpoint: Checkpoint
}

export async function runJobLocally (spec: JobSpec, run: UnitRunner, opts: { concurrency?: number, onUnit?: (p: JobProgress) => void } = {}): Promise<Checkpoint[]> {
  const { islands: ring, epochs } = spec.ga
  const islands = unitIslands(spec)
  const total = islands * epochs
  const concurrency = Math.max(1, opts.concurrency ?? 1)
  const done = new Map<string, Checkpoint>()
  const started = new Set<string>()
  const k = (i: number, e: number): string => `${i}/${e}`

  const ready = (): Array<[number, number]> => {
    const out: Array<[number, number]> = []
    for (let e = 0; e < epochs; e++) {
      for (let i = 0; i < islands; i++) {
        if (started.has(k(i, e))) continue
        const need = unitInputs(ring, i, e)
        if ((need.previous === null || done.has(k(...need.previous))) && (need.migrants === null || done.has(k(...need.migrants)))) out.push([i, e])
      }
    }
    return out
  }

  await new Promise<void>((resolve, reject) => {
    let running = 0
    let failed = false
    const pump = (): void => {
      if (failed) return
      if (done.size === total) { resolve(); return }
      for (const [i, e] of ready()) {
        if (running >= concurrency) break
        started.add(k(i, e))
        running++
        const need = unitInputs(ring, i, e)
        const input: UnitInput = {
          spec,
          island: i,
          epoch: e,
          previous: need.previous === null ? null : done.get(k(...need.previous)) ?? null,
          migrants: need.migrants === null ? null : done.get(k(...need.migrants)) ?? null,
        }
        run(input).then(cp => {
          running--
          done.set(k(i, e), cp)
          opts.onUnit?.({ done: done.size, total, checkpoint: cp })
          pump()
        }, err => { failed = true; reject(err) })
      }
    }
    pump()
  })

  const out: Checkpoint[] = []
  for (let e = 0; e < epochs; e++) for (let i = 0; i < islands; i++) out.push(done.get(k(i, e)) as Checkpoint)
  return out
}
