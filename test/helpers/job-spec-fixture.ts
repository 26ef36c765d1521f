import type { GaSettings, JobEngine, JobSpec } from '../../src/protocol/job-spec.js'

/** A made-up engine for specs that never run (their bundle and fingerprint are not looked at). */
export const ENGINE_FIXTURE: JobEngine = { hash: 'e'.repeat(64), fingerprint: 'f'.repeat(64) }

/** A valid job spec over made-up blob hashes, for tests of the wire shapes (nothing is run). */
export function jobSpecFixture (ga: Partial<GaSettings> = {}): JobSpec {
  return {
    engine: ENGINE_FIXTURE,
    strategy: { hash: 'a'.repeat(64), name: 's' },
    dataset: { hash: 'b'.repeat(64), name: 'd', bars: 1000 },
    oosFraction: 0.3,
    objective: 'sharpe',
    minTrades: 10,
    costs: { fee: 0.001, slippage: 0.0005 },
    ga: { islands: 4, population: 32, generations: 5, epochs: 4, elite: 2, tournament: 3, crossoverRate: 0.7, mutationRate: 0.2, migrants: 2, ...ga },
    seed: 1,
  }
}
