import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkpointUnitProblem } from '../../src/protocol/checkpoint-unit.js'
import type { Checkpoint } from '../../src/protocol/job-spec.js'
import { jobSpecFixture } from '../helpers/job-spec-fixture.js'

const spec = jobSpecFixture({ islands: 2, population: 4, generations: 1, epochs: 2, elite: 1, tournament: 2, migrants: 1 })
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
