import { after, test } from 'node:test'
import assert from 'node:assert/strict'
import { createEvaluatorPool, type PoolJob } from '../../../src/node/evaluators/pool.js'
import { runUnit } from '../../../src/engine/ga.js'
import { canonicalHash } from '../../../src/protocol/canonical.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { randomCandles, readFixture, specFor } from '../../fixtures/strategies/harness.js'
import { engineScript } from '../../helpers/engine-script.js'

const BARS = 3000
const candles = randomCandles(BARS, 4)

function jobOf (fixture: string, source = readFixture(fixture)): PoolJob {
  const spec = specFor(source, fixture, BARS, { islands: 2, population: 8, generations: 1, epochs: 1 })
  return { key: `${fixture}:${canonicalHash(spec)}`, engine: engineScript(), source, fileName: fixture, candles, spec }
}

const pool = createEvaluatorPool({ size: 1, evalTimeoutMs: 20_000, memoryMb: 256 })
after(async () => { await pool.stop() })

test('the checker repeats a unit\'s look-ahead sample: a checkpoint of a strategy that looks ahead is refused, an honest one passes', async () => {
  await pool.start()
  const honest = jobOf('good-sma.ts')
  const cp = await pool.runUnit(honest, { spec: honest.spec, island: 0, epoch: 0, previous: null, migrants: null })
  await pool.lookAhead(honest, 0, 0, cp.population)
  await pool.preflight(honest)

  const peeking = jobOf('peeks-next-close.ts')
  // A unit computed without the check (as a hostile or old peer would): its population, as committed.
  const unchecked = runUnit({ spec: peeking.spec, island: 1, epoch: 0, previous: null, migrants: null }, {
    def: { name: 'stand-in', params: { period: { kind: 'int', min: 2, max: 30, step: 1 } }, positions: ctx => ctx.output() },
    evaluate: p => ({ fitness: p.period as number, inSample: null, outOfSample: null }),
  })
  await assert.rejects(pool.lookAhead(peeking, 1, 0, unchecked.population), (err: unknown) => isStratmeshError(err, 'STRATEGY_LOOKAHEAD'))
  await assert.rejects(pool.runUnit(peeking, { spec: peeking.spec, island: 1, epoch: 0, previous: null, migrants: null }), (err: unknown) => isStratmeshError(err, 'STRATEGY_LOOKAHEAD'))
  await assert.rejects(pool.preflight(peeking), (err: unknown) => isStratmeshError(err, 'STRATEGY_LOOKAHEAD'))
})
