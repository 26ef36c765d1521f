import { test } from 'node:test'
import assert from 'node:assert/strict'
import { JOB_LIMITS, MAX_COST, MAX_OOS_FRACTION, validateJobSpec } from '../../src/protocol/job-spec-check.js'
import type { GaSettings, JobSpec } from '../../src/protocol/job-spec.js'
import { jobSpecFixture } from '../helpers/job-spec-fixture.js'
import { isStratmeshError } from '../../src/protocol/errors.js'

const base: JobSpec = jobSpecFixture()
const ga: GaSettings = base.ga

test('a spec within the bounds is returned as it is', () => {
  assert.equal(validateJobSpec(base), base)
  const edges: JobSpec = {
    ...base,
    oosFraction: MAX_OOS_FRACTION,
    costs: { fee: MAX_COST, slippage: 0 },
    minTrades: JOB_LIMITS.minTrades[1],
    ga: { ...ga, islands: JOB_LIMITS.islands[1], population: JOB_LIMITS.population[0], elite: 3, tournament: 4, migrants: 0 },
  }
  assert.equal(validateJobSpec(edges), edges)
})

test('bad settings are refused naming the field', () => {
  const cases: Array<[Partial<JobSpec>, string]> = [
    [{ engine: { hash: 'E'.repeat(64), fingerprint: 'f'.repeat(64) } }, 'engine.hash'],
    [{ engine: { hash: 'e'.repeat(64), fingerprint: '' } }, 'engine.fingerprint'],
    [{ costs: { fee: 0.5, slippage: 0 } }, 'fee'],
    [{ costs: { fee: 0, slippage: -1 } }, 'slippage'],
    [{ oosFraction: 0.95 }, 'oosFraction'],
    [{ dataset: { hash: 'b'.repeat(64), name: 'd', bars: 2 } }, 'oosFraction'],
    [{ dataset: { hash: 'b'.repeat(64), name: 'd', bars: 1 } }, 'dataset.bars'],
    [{ seed: -1 }, 'seed'],
    [{ minTrades: 0.5 }, 'minTrades'],
    [{ objective: 'profit' as never }, 'objective'],
    [{ ga: { ...ga, islands: 0 } }, 'islands'],
    [{ ga: { ...ga, population: 3 } }, 'population'],
    [{ ga: { ...ga, epochs: JOB_LIMITS.epochs[1] + 1 } }, 'epochs'],
    [{ ga: { ...ga, elite: 32 } }, 'elite'],
    [{ ga: { ...ga, tournament: 33 } }, 'tournament'],
    [{ ga: { ...ga, migrants: 32 } }, 'migrants'],
    [{ ga: { ...ga, mutationRate: 2 } }, 'mutationRate'],
    [{ strategy: { hash: 'xyz', name: 's' } }, 'strategy.hash'],
    [{ dataset: { hash: 'B'.repeat(64), name: 'd', bars: 1000 } }, 'dataset.hash'],
  ]
  for (const [over, field] of cases) {
    assert.throws(() => validateJobSpec({ ...base, ...over }), (err: unknown) => isStratmeshError(err, 'JOB_INVALID') && err.details?.field === field && err.message.includes(field), field)
  }
})

test('the message says the bound and the value', () => {
  assert.throws(() => validateJobSpec({ ...base, costs: { fee: 0.5, slippage: 0 } }), { message: 'job fee must be a number in [0, 0.1], got 0.5' })
  assert.throws(() => validateJobSpec({ ...base, ga: { ...ga, islands: 0 } }), { message: 'job islands must be an integer in [1, 256], got 0' })
})
