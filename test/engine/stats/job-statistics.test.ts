import { test } from 'node:test'
import assert from 'node:assert/strict'
import { runUnit } from '../../../src/engine/ga.js'
import { varianceGenomes, VARIANCE_SAMPLE } from '../../../src/engine/stats/job-statistics.js'
import { defineStrategy, float, int, type StrategyDefinition } from '../../../src/engine/strategy-api.js'
import { paramsKey } from '../../../src/protocol/params-key.js'
import type { ParamValues } from '../../../src/protocol/types.js'
import { jobSpecFixture } from '../../helpers/job-spec-fixture.js'

const def = defineStrategy({
  name: 'v',
  params: { a: int(1, 500), b: float(0, 1) },
  positions: ctx => ctx.output(),
}) as unknown as StrategyDefinition

test('the variance sample is the genomes each island drew first, which its epoch-0 unit really evaluated', () => {
  const spec = jobSpecFixture({ islands: 3, population: 16, generations: 1 })
  const sample = varianceGenomes(def, spec)
  // Spread over the islands (a float parameter makes every draw distinct).
  assert.equal(sample.length, Math.min(VARIANCE_SAMPLE, 3 * Math.min(16, Math.ceil(VARIANCE_SAMPLE / 3))))
  const evaluated = new Set<string>()
  for (let island = 0; island < 3; island++) {
    const order: ParamValues[] = []
    runUnit({ spec, island, epoch: 0, previous: null, migrants: null }, {
      def,
      evaluate: p => { order.push(p); return { fitness: 0, inSample: null, outOfSample: null } },
    })
    // The unit's first `population` evaluations are its initial draws.
    for (const p of order.slice(0, spec.ga.population)) evaluated.add(paramsKey(p))
  }
  for (const p of sample) assert.ok(evaluated.has(paramsKey(p)), `${paramsKey(p)} was drawn first by an island`)
})
