import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readdirSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { join } from 'node:path'
import { checkLookAhead, createPrefixContexts, lookAheadCuts, lookAheadSample, LOOKAHEAD_UNIT_CUTS } from '../../src/engine/lookahead.js'
import { submitPreflight } from '../../src/engine/preflight.js'
import { firstPopulation, runUnit, unitPrng, type UnitEnv } from '../../src/engine/ga.js'
import { evalSetupFor } from '../../src/engine/job-setup.js'
import { evaluateGenome } from '../../src/engine/evaluate.js'
import { MAX_CONSTRAINT_TRIES, constraintFailure, sampleParams, validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createPrng } from '../../src/engine/prng.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { isStratmeshError, type StratmeshError } from '../../src/protocol/errors.js'
import type { StrategyDefinition } from '../../src/engine/strategy-api.js'
import type { Candles } from '../../src/protocol/types.js'
import { randomCandles, specFor } from '../fixtures/strategies/harness.js'

const BARS = 3000

async function load (url: URL): Promise<StrategyDefinition> {
  const mod = await import(url.href) as { default: unknown }
  return validateStrategyDefinition(mod.default, url.pathname) as StrategyDefinition
}
const fixture = async (name: string): Promise<StrategyDefinition> => await load(new URL(`../fixtures/strategies/${name}`, import.meta.url))

function jobOf (def: StrategyDefinition, candles: Candles, ga = { islands: 2, population: 12, generations: 2, epochs: 1 }) {
  const spec = specFor('source', def.name, candles.length, ga)
  const ctx = createStrategyContext(candles)
  const setup = evalSetupFor(spec, candles)
  const prefixes = createPrefixContexts(candles, 64 * 1024 * 1024)
  const env: UnitEnv = { def, evaluate: (p, scope) => evaluateGenome(def, ctx, p, setup, scope) }
  const checking: UnitEnv = {
    ...env,
    lookAhead: (input, population) => {
      const sample = lookAheadSample(spec, setup, candles.length, input.island, input.epoch, population)
      for (const p of sample.genomes) checkLookAhead(def, ctx, prefixes, p, sample.cuts)
    },
  }
  return { spec, ctx, setup, prefixes, env, checking }
}

function lookAheadError (fn: () => unknown): StratmeshError {
  try { fn() } catch (err) {
    assert.ok(isStratmeshError(err, 'STRATEGY_LOOKAHEAD'), `expected STRATEGY_LOOKAHEAD, got ${String(err)}`)
    return err
  }
  assert.fail('no look-ahead was found')
}

for (const name of ['peeks-next-close.ts', 'peeks-through-indicator.ts']) {
  test(`${name}: every unit fails with STRATEGY_LOOKAHEAD naming the genome, the bar and the cut`, async () => {
    const def = await fixture(name)
    const candles = randomCandles(BARS, 4)
    const { spec, env, checking, ctx } = jobOf(def, candles)
    // Without the check the unit completes (and its look-ahead wins): the check is what stops it.
    assert.ok(runUnit({ spec, island: 0, epoch: 0, previous: null, migrants: null }, env).best.length > 0)
    for (const island of [0, 1]) {
      const err = lookAheadError(() => runUnit({ spec, island, epoch: 0, previous: null, migrants: null }, checking))
      const d = err.details as { genome: string, bar: number, cut: number }
      assert.ok(d.cut > 0 && d.cut < BARS)
      assert.ok(Number.isInteger(d.bar) && d.bar < d.cut, JSON.stringify(d))
      assert.ok(err.message.includes(d.genome) && err.message.includes(`bar ${d.bar} (${new Date(ctx.time[d.bar]).toISOString()})`), err.message)
    }
  })

  test(`${name}: the submit check refuses it`, async () => {
    const def = await fixture(name)
    const candles = randomCandles(BARS, 6)
    const { spec, setup, ctx, prefixes } = jobOf(def, candles)
    lookAheadError(() => submitPreflight(spec, setup, def, ctx, prefixes))
  })
}

test('a prefix run that fails where the full run did not is a look-ahead', () => {
  const def: StrategyDefinition = {
    name: 'needs-all-the-data',
    params: { k: { kind: 'int', min: 1, max: 2, step: 1 } },
    positions (ctx) {
      if (ctx.length < BARS) throw new Error('too short')
      return ctx.output()
    },
  }
  const candles = randomCandles(BARS, 2)
  const err = lookAheadError(() => checkLookAhead(def, createStrategyContext(candles), createPrefixContexts(candles, 1 << 20), { k: 1 }, [1000]))
  assert.match(err.message, /first 1000 bars it threw \(too short\)/)
})

test('cuts: the boundary plus seeded cuts inside the evaluated bars, the same for the same unit', () => {
  const spec = specFor('source', 's', BARS)
  const ranges = { from: 0, split: 2100, to: BARS }
  const a = lookAheadCuts(spec, ranges, BARS, LOOKAHEAD_UNIT_CUTS, [1, 2])
  assert.deepEqual(a, lookAheadCuts(spec, ranges, BARS, LOOKAHEAD_UNIT_CUTS, [1, 2]))
  assert.ok(a.includes(2100))
  assert.ok(a.every(c => c >= 1 && c < BARS) && a.length <= 1 + LOOKAHEAD_UNIT_CUTS)
  const others = [[1, 3], [2, 2], [0, 0]].map(s => lookAheadCuts(spec, ranges, BARS, LOOKAHEAD_UNIT_CUTS, s).join())
  assert.ok(others.some(o => o !== a.join()), 'units draw their own cuts')
})

test('the unit sample: its best genome and one drawn from the rest, a function of the population alone', () => {
  const spec = specFor('source', 's', BARS)
  const population = Array.from({ length: 20 }, (_, i) => ({ params: { k: i }, fitness: i === 19 ? null : 20 - i }))
  const ranges = { from: 0, split: 2100, to: BARS }
  const s = lookAheadSample(spec, ranges, BARS, 1, 0, population)
  assert.equal(s.genomes.length, 2)
  assert.deepEqual(s.genomes[0], { k: 0 })
  assert.notDeepEqual(s.genomes[1], { k: 0 })
  assert.notDeepEqual(s.genomes[1], { k: 19 }, 'a genome without a fitness is not drawn')
  assert.deepEqual(lookAheadSample(spec, ranges, BARS, 1, 0, population), s)
  const none = lookAheadSample(spec, ranges, BARS, 1, 0, population.map(g => ({ ...g, fitness: null })))
  assert.deepEqual(none, { genomes: [], cuts: [] })
})

test('a checked unit of an honest strategy gives the same checkpoint bytes as an unchecked one', async () => {
  const def = await fixture('good-sma.ts')
  const candles = randomCandles(BARS, 3)
  const { spec, env, checking, setup, ctx, prefixes } = jobOf(def, candles)
  const input = { spec, island: 1, epoch: 0, previous: null, migrants: null }
  assert.equal(canonicalHash(runUnit(input, checking)), canonicalHash(runUnit(input, env)))
  const report = submitPreflight(spec, setup, def, ctx, prefixes)
  assert.equal(report.checked, 6)
  assert.ok(report.cuts >= 2)
})

const examplesDir = fileURLToPath(new URL('../../strategies/', import.meta.url))
for (const file of readdirSync(examplesDir).filter(f => f.endsWith('.ts')).sort()) {
  test(`strategies/${file} passes the look-ahead check at the submit's and units' samples`, async () => {
    const def = await load(pathToFileURL(join(examplesDir, file)))
    const candles = randomCandles(6000, 11)
    const { spec, setup, ctx, prefixes } = jobOf(def, candles, { islands: 4, population: 16, generations: 1, epochs: 1 })
    submitPreflight(spec, setup, def, ctx, prefixes)
    const populations = Array.from({ length: 4 }, (_, island) => firstPopulation(spec, def, unitPrng(spec, island, 0)))
    const genomes = populations.flat().slice(0, 24)
    for (const [k, p] of genomes.entries()) checkLookAhead(def, ctx, prefixes, p, lookAheadCuts(spec, setup, ctx.length, 3, [k]))
  })
}

test('sampleParams never returns a genome that breaks a constraint: it throws, naming the reason', async () => {
  const def = await fixture('constraint-starved.ts')
  const rng = createPrng(1)
  assert.throws(() => sampleParams(def, rng), (err: unknown) => {
    assert.ok(isStratmeshError(err, 'STRATEGY_CONSTRAINTS_UNSATISFIABLE'))
    assert.ok(err.message.includes('a must be 4242') && err.message.includes(String(MAX_CONSTRAINT_TRIES)), err.message)
    return true
  })
  const candles = randomCandles(500, 1)
  const { spec, setup, ctx, prefixes } = jobOf(def, candles)
  assert.throws(() => submitPreflight(spec, setup, def, ctx, prefixes), (err: unknown) => isStratmeshError(err, 'STRATEGY_CONSTRAINTS_UNSATISFIABLE'))
})

test('a unit records an inherited genome that breaks a constraint as an error and never runs it', async () => {
  const def = await fixture('good-sma.ts')
  const candles = randomCandles(800, 3)
  const { spec, env } = jobOf(def, candles, { islands: 1, population: 8, generations: 1, epochs: 2 })
  const first = runUnit({ spec, island: 0, epoch: 0, previous: null, migrants: null }, env)
  const bad = { fast: 20, slow: 10 }
  assert.notEqual(constraintFailure(def, bad), null)
  const tampered = { ...first, population: [...first.population.slice(0, -1), { params: bad, fitness: null }] }
  const ran: string[] = []
  const watching: UnitEnv = { ...env, evaluate: (p, scope) => { ran.push(JSON.stringify(p)); return env.evaluate(p, scope) } }
  const cp = runUnit({ spec, island: 0, epoch: 1, previous: tampered, migrants: null }, watching)
  assert.ok(!ran.includes(JSON.stringify(bad)), 'the genome breaking the constraint was evaluated')
  for (const g of cp.population) if (constraintFailure(def, g.params) !== null) assert.match(g.error ?? '', /^GENOME_BREAKS_CONSTRAINT: fast must be below slow/)
})
