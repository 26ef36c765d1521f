/**
 * Whether a checkpoint, already well-formed as an entry body (entry-bodies.ts), is one of a given
 * job's units: the same unit, and a population of the job's size. Judging it against what the GA
 * would produce (its order, its best list) needs the GA's ranking and is the engine's
 * (src/engine/checkpoint-check.ts).
 */
import type { Checkpoint, JobSpec } from './job-spec.js'

/** What makes `cp` not the checkpoint of unit (island, epoch) of `spec` (whose id is `jobId`), or null. */
export function checkpointUnitProblem (cp: Checkpoint, spec: JobSpec, jobId: string, island: number, epoch: number): string | null {
  if (cp.jobId !== jobId || cp.island !== island || cp.epoch !== epoch) return `it is the checkpoint of unit (${cp.island}, ${cp.epoch}) of job ${String(cp.jobId).slice(0, 12)}`
  if (cp.population.length !== spec.ga.population) return `its population holds ${cp.population.length} genomes, the job's is ${spec.ga.population}`
  return null
}
