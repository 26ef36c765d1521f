import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkpointUnitProblem } from '../../src/protocol/checkpoint-unit.js'
import { ENGINE_VERSION, type Checkpoint, type JobSpec } from '../../src/protocol/job-spec.js'

const spec: JobSpec = {
  engineVersion: ENGINE_VERSION,
  strategy: { hash: 'a'.repeat(64), name: 's' },
  dataset: { hash: 'b'.repeat(64), name: 'd', bars: 1000 },
  oosFraction: 0.3,
  objective: 'sharpe',
  minTrades: 10,
  costs: { fee: 0.001, slippage: 0.0005 },
  ga: { islands: 2, population: 4, generations: 1, epochs: 2, elite: 1, tournament: 2, crossoverRate: 0.7, mutationRate: 0.2, migrants: 1 },
  seed: 1,
}
const id = 'c'.repeat(64)
const population = [1, 2, 3, 4].map(a => ({ params: { a }, fitness: a }))
const cp: Checkpoint = { jobId: id, island: 1, epoch: 0, population, best: [], evaluations: 4, errors: 0 }

test('a checkpoint of the unit with the job\'s population size fits', () => {
  assert.equal(checkpointUnitProblem(cp, spec, id, 1, 0), null)
})

test('another unit, another job or another population size does not', () => {
  assert.equal(checkpointUnitProblem(cp, spec, id, 0, 0), 'it is the checkpoint of unit (1, 0) of job cccccccccccc')
  assert.equal(checkpointUnitProblem(cp, spec, id, 1, 1), 'it is the checkpoint of unit (1, 0) of job cccccccccccc')
  assert.match(checkpointUnitProblem(cp, spec, 'd'.repeat(64), 1, 0) ?? '', /of job cccccccccccc$/)
  assert.equal(checkpointUnitProblem({ ...cp, population: population.slice(1) }, spec, id, 1, 0), "its population holds 3 genomes, the job's is 4")
})
