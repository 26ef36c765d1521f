/**
 * Merging the best genomes of many units into one leaderboard. Deterministic whatever the order of
 * the inputs: rows are keyed by their parameters, ranked by fitness, ties broken by the key.
 */
import { paramsKey } from '../protocol/params-key.js'
import type { BestGenome, LeaderboardRow } from '../protocol/job-spec.js'

export interface LeaderboardSource {
  readonly island: number
  readonly epoch: number
  readonly peer: string
  readonly best: readonly BestGenome[]
}

/** Earlier units win the attribution of a genome found more than once (then island, then peer). */
function earlier (a: LeaderboardSource, b: LeaderboardSource): boolean {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch
  if (a.island !== b.island) return a.island < b.island
  return a.peer < b.peer
}

export function mergeLeaderboard (items: readonly LeaderboardSource[], top: number): LeaderboardRow[] {
  const rows = new Map<string, { key: string, genome: BestGenome, source: LeaderboardSource }>()
  for (const source of items) {
    for (const genome of source.best) {
      if (genome.fitness === null) continue
      const key = paramsKey(genome.params)
      const have = rows.get(key)
      if (have === undefined || earlier(source, have.source)) rows.set(key, { key, genome, source })
    }
  }
  const sorted = [...rows.values()].sort((a, b) => {
    const d = (b.genome.fitness as number) - (a.genome.fitness as number)
    if (d !== 0) return d
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0
  })
  return sorted.slice(0, Math.max(0, top)).map((r, i) => ({
    rank: i + 1,
    params: r.genome.params,
    fitness: r.genome.fitness as number,
    inSample: r.genome.inSample,
    outOfSample: r.genome.outOfSample,
    ...(r.genome.symbols === undefined ? {} : { symbols: r.genome.symbols }),
    island: r.source.island,
    epoch: r.source.epoch,
    peer: r.source.peer,
  }))
}

/** The leaderboard of a set of checkpoints (all of a job's, from one peer or many). */
export function leaderboardOf<C extends Omit<LeaderboardSource, 'peer'>> (checkpoints: readonly C[], top: number, peerOf: (cp: C) => string = () => 'local'): LeaderboardRow[] {
  return mergeLeaderboard(checkpoints.map(cp => ({ island: cp.island, epoch: cp.epoch, peer: peerOf(cp), best: cp.best })), top)
}
