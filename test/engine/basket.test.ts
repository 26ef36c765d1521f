/**
 * Several symbols in one job, in process: the spec's bounds, the aggregate, and a 3-symbol job whose
 * rows carry the median of per-symbol fitness values computed here, symbol by symbol, on each
 * symbol's own ranges.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { aggregateFitness, evaluateBasket, representativeSymbol } from '../../src/engine/basket.js'
import { evaluateGenome } from '../../src/engine/evaluate.js'
import { barsPerYear } from '../../src/engine/backtest.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { createJobSpec, jobId } from '../../src/engine/job-setup.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { checkpointNumbersProblem, checkPlan } from '../../src/engine/checkpoint-check.js'
import { leaderboardOf } from '../../src/ledger/leaderboard.js'
import { validateJobSpec, MAX_BASKET_SYMBOLS } from '../../src/protocol/job-spec-check.js'
import { validateBody } from '../../src/protocol/entry-bodies.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import type { JobSpec } from '../../src/protocol/job-spec.js'
import type { Candles, EvalResult, ParamValues } from '../../src/protocol/types.js'
import type { EvalSetup } from '../../src/engine/evaluate.js'
import type { BasketMember } from '../../src/engine/basket.js'
import type { StrategyDefinition } from '../../src/engine/strategy-api.js'
import { ENGINE_FIXTURE, jobSpecFixture } from '../helpers/job-spec-fixture.js'
import { referenceBasketCheckpoints } from '../helpers/reference-run.js'

const STRATEGY = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))
const hashOf = (c: string): string => c.repeat(64)

function basketSpec (hashes: string[], extra: Partial<JobSpec> = {}): JobSpec {
  const base = jobSpecFixture()
  const datasets = hashes.map((h, k) => ({ hash: h, name: `s${k}.csv`, bars: 1000 + k }))
  return { ...base, dataset: datasets[0], basket: { datasets, aggregate: 'median' }, ...extra }
}

function refused (spec: JobSpec, field: RegExp): void {
  assert.throws(() => validateJobSpec(spec), (err: unknown) => isStratmeshError(err, 'JOB_INVALID') && field.test(String(err.details?.field)), `JOB_INVALID on ${String(field)}`)
}

test('median, min and mean of per-symbol fitness; the row stands for the median (or the lowest) symbol', () => {
  assert.equal(aggregateFitness([3, -1, 2], 'median'), 2)
  assert.equal(aggregateFitness([4, 1, 3, 2], 'median'), 2.5)
  assert.equal(aggregateFitness([3, -1, 2], 'min'), -1)
  assert.equal(aggregateFitness([3, -1, 1], 'mean'), 1)
  assert.equal(representativeSymbol([3, -1, 2], 'median'), 2)
  assert.equal(representativeSymbol([4, 1, 3, 2], 'median'), 3, 'the lower middle of an even count')
  assert.equal(representativeSymbol([3, -1, 2], 'min'), 1)
  assert.equal(representativeSymbol([1, 1, 1], 'min'), 0, 'ties go to the earlier symbol')
})

test('a basket spec: 2 to MAX_BASKET_SYMBOLS symbols, no hash twice, the first is the dataset, no walk-forward', () => {
  assert.doesNotThrow(() => validateJobSpec(basketSpec([hashOf('b'), hashOf('c'), hashOf('d')])))
  refused(basketSpec([hashOf('b')]), /^basket\.datasets$/)
  const many = Array.from({ length: MAX_BASKET_SYMBOLS + 1 }, (_, k) => k.toString(16).padStart(64, '0'))
  refused(basketSpec(many), /^basket\.datasets$/)
  refused(basketSpec([hashOf('b'), hashOf('c'), hashOf('b')]), /^basket\.datasets\[2\]\.hash$/)
  const spec = basketSpec([hashOf('b'), hashOf('c')])
  refused({ ...spec, dataset: { ...spec.dataset, hash: hashOf('e') } }, /^basket\.datasets\[0\]$/)
  refused({ ...spec, basket: { datasets: spec.basket?.datasets ?? [], aggregate: 'max' as 'min' } }, /^basket\.aggregate$/)
  refused({ ...spec, oosFraction: 0, walkForward: { mode: 'anchored', windows: [{ trainFrom: 0, trainTo: 500, testTo: 1000 }] } }, /^walkForward$/)
  // Off the wire too: an unknown field in a symbol and too many per-symbol results are refused.
  const job = (s: unknown): unknown => ({ spec: s, id: jobId(s as JobSpec) })
  assert.throws(() => validateBody('job', job({ ...spec, basket: { ...spec.basket, datasets: [{ ...spec.basket?.datasets[0], extra: 1 }, spec.basket?.datasets[1]] } })), (err: unknown) => isStratmeshError(err, 'ENTRY_BAD_SCHEMA'))
  assert.doesNotThrow(() => validateBody('job', job(spec)))
})

const symbolsOf = (seeds: number[]): Candles[] => seeds.map((seed, k) => syntheticCandles({ bars: 1500 + 200 * k, seed }))

async function strategy (): Promise<StrategyDefinition> {
  return validateStrategyDefinition((await import(pathToFileURL(STRATEGY).href) as { default: unknown }).default, STRATEGY)
}

/** One symbol evaluated on its own, its ranges written out here rather than taken from the engine. */
function alone (def: StrategyDefinition, spec: JobSpec, candles: Candles, params: ParamValues): EvalResult {
  const split = Math.floor(candles.length * (1 - spec.oosFraction))
  return evaluateGenome(def, createStrategyContext(candles), params, { costs: spec.costs, objective: spec.objective, minTrades: spec.minTrades, from: 0, split, to: candles.length, barsPerYear: barsPerYear(candles.time) })
}

test('a 3-symbol job run in process: each row\'s fitness is the median of the per-symbol fitness values computed one symbol at a time', async () => {
  const def = await strategy()
  const symbols = symbolsOf([11, 12, 13])
  const datasets = symbols.map((c, k) => ({ hash: (k + 1).toString(16).repeat(64), name: `sym${k}.csv`, bars: c.length }))
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: hashOf('a'), name: 'sma-cross' }, dataset: datasets[0], basket: { datasets, aggregate: 'median' }, minTrades: 1, seed: 5, ga: { islands: 2, population: 8, generations: 2, epochs: 2 } })
  const checkpoints = await referenceBasketCheckpoints(spec, def, symbols)
  const rows = leaderboardOf(checkpoints, 5)
  assert.ok(rows.length >= 3, `rows: ${rows.length}`)
  for (const row of rows) {
    const each = symbols.map(c => alone(def, spec, c, row.params))
    assert.ok(each.every(r => r.fitness !== null))
    const values = each.map(r => r.fitness as number)
    const sorted = [...values].sort((a, b) => a - b)
    assert.equal(row.fitness, sorted[1], 'the median of three')
    assert.deepEqual(row.symbols, each.map(r => ({ fitness: r.fitness, inSample: r.inSample, outOfSample: r.outOfSample })))
    assert.deepEqual(row.inSample, each[values.indexOf(sorted[1])].inSample, 'the row shows the median symbol')
  }
  // Different symbols do give different numbers (the aggregate is not one symbol's fitness copied).
  assert.ok(rows.some(r => new Set(r.symbols?.map(s => s.fitness)).size === 3))

  // A checker reaches the same verdict, and a tampered per-symbol metric fails it.
  const members = symbols.map((c, k) => ({ name: datasets[k].name, ctx: createStrategyContext(c), setup: { costs: spec.costs, objective: spec.objective, minTrades: spec.minTrades, from: 0, split: Math.floor(c.length * 0.7), to: c.length, barsPerYear: barsPerYear(c.time) } }))
  const cp = checkpoints[checkpoints.length - 1]
  const plan = checkPlan(cp, 'ab'.repeat(32))
  const results = new Map(plan.genomes.map(g => [g.key, evaluateBasket(def, members, 'median', g.params)]))
  assert.equal(checkpointNumbersProblem(cp, plan, results), null)
  const b0 = cp.best[0]
  const forged = { ...cp, best: [{ ...b0, symbols: b0.symbols?.map((s, k) => k === 2 ? { ...s, outOfSample: s.outOfSample === null ? null : { ...s.outOfSample, sharpe: s.outOfSample.sharpe + 1 } } : s) }, ...cp.best.slice(1)] }
  assert.match(checkpointNumbersProblem(forged, plan, results) ?? '', /per-symbol results/)
  // The checkpoint, per-symbol results included, passes the wire check.
  assert.doesNotThrow(() => validateBody('commit', { jobId: cp.jobId, island: cp.island, epoch: cp.epoch, checkpoint: cp, checkpointHash: canonicalHash(cp) }))
  const tooMany = { ...cp, best: [{ ...b0, symbols: Array.from({ length: MAX_BASKET_SYMBOLS + 1 }, () => b0.symbols?.[0]) }] }
  assert.throws(() => validateBody('commit', { jobId: cp.jobId, island: cp.island, epoch: cp.epoch, checkpoint: tooMany, checkpointHash: canonicalHash(tooMany) }), (err: unknown) => isStratmeshError(err, 'ENTRY_BAD_SCHEMA'))
})

test('a symbol without fitness makes the genome\'s fitness null, its error named by symbol; min and mean aggregate as they say', async () => {
  const def = await strategy()
  const symbols = symbolsOf([21, 22, 23])
  const setupOf = (c: Candles, minTrades: number): EvalSetup => ({ costs: { fee: 0.001, slippage: 0.0005 }, objective: 'sharpe', minTrades, from: 0, split: Math.floor(c.length * 0.7), to: c.length, barsPerYear: barsPerYear(c.time) })
  const members = (minTrades: number): BasketMember[] => symbols.map((c, k) => ({ name: `sym${k}.csv`, ctx: createStrategyContext(c), setup: setupOf(c, minTrades) }))
  const params = { fast: 10, slow: 40 }
  const each = symbols.map((c, k) => evaluateGenome(def, createStrategyContext(c), params, members(1)[k].setup))
  const values = each.map(r => r.fitness as number)
  assert.equal(evaluateBasket(def, members(1), 'min', params).fitness, Math.min(...values))
  assert.equal(evaluateBasket(def, members(1), 'mean', params).fitness, (values[0] + values[1] + values[2]) / 3)
  const tooFew = evaluateBasket(def, members(1_000_000), 'median', params)
  assert.equal(tooFew.fitness, null)
  assert.equal(tooFew.symbols, undefined)
  const broken: StrategyDefinition = { ...def, positions: (ctx, p) => { if (ctx.length === symbols[1].length) throw new Error('boom'); return def.positions(ctx, p) } }
  const failed = evaluateBasket(broken, members(1), 'median', params)
  assert.equal(failed.fitness, null)
  assert.match(failed.error ?? '', /^STRATEGY_THREW: boom \(symbol sym1\.csv\)$/)
})

test('the robust objective on a basket: the median of each symbol\'s robust fitness (the genome and its neighbours on that symbol)', async () => {
  const def = await strategy()
  const symbols = symbolsOf([51, 52, 53])
  const setupOf = (c: Candles, objective: EvalSetup['objective']): EvalSetup => ({ costs: { fee: 0.001, slippage: 0.0005 }, objective, minTrades: 1, from: 0, split: Math.floor(c.length * 0.7), to: c.length, barsPerYear: barsPerYear(c.time) })
  const members: BasketMember[] = symbols.map((c, k) => ({ name: `sym${k}.csv`, ctx: createStrategyContext(c), setup: setupOf(c, 'robust') }))
  const params = { fast: 20, slow: 60 }
  const robust = symbols.map(c => evaluateGenome(def, createStrategyContext(c), params, setupOf(c, 'robust')).fitness as number)
  const plain = symbols.map(c => evaluateGenome(def, createStrategyContext(c), params, setupOf(c, 'sharpe')).fitness as number)
  assert.notDeepEqual(robust, plain, 'the neighbours count')
  assert.equal(evaluateBasket(def, members, 'median', params).fitness, [...robust].sort((a, b) => a - b)[1])
})
