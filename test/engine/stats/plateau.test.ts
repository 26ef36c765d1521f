import { test } from 'node:test'
import assert from 'node:assert/strict'
import { evaluateGenome, type EvalSetup } from '../../../src/engine/evaluate.js'
import { evaluateDetail } from '../../../src/engine/backtest-detail.js'
import { oneStepNeighbours, NEIGHBOUR_FLOAT_STEP } from '../../../src/engine/neighbours.js'
import { plateauScore } from '../../../src/engine/stats/plateau.js'
import { createPrng } from '../../../src/engine/prng.js'
import { defineStrategy, choice, float, int, type StrategyContext, type StrategyDefinition } from '../../../src/engine/strategy-api.js'

const N = 600
const SETUP: EvalSetup = { costs: { fee: 0, slippage: 0 }, objective: 'sharpe', minTrades: 5, from: 0, split: 400, to: N, barsPerYear: 252 }

/** Prices that rise on odd bars and fall on even ones, with noise: holding long over odd bars pays. */
function alternatingContext (): StrategyContext {
  const rng = createPrng(5)
  const open = new Float64Array(N); const close = new Float64Array(N)
  let p = 100
  for (let i = 0; i < N; i++) {
    open[i] = p
    p *= 1 + (i % 2 === 1 ? 0.004 : -0.003) + 0.004 * rng.normal()
    close[i] = p
  }
  const out = new Float64Array(N)
  return {
    length: N, time: Float64Array.from({ length: N }, (_, i) => i * 86_400_000), open, close,
    high: close.map((c, i) => Math.max(c, open[i])), low: close.map((c, i) => Math.min(c, open[i])),
    volume: new Float64Array(N).fill(1), output: () => out.fill(0),
  } as unknown as StrategyContext
}

/**
 * Bets on the pattern with a hit rate set by k: 0.95 at k = 5 alone (a lone bright dot), 0.85 for
 * k in 17..23 (a plateau), a coin flip elsewhere. The pattern is a calendar fact, not a peek ahead.
 */
const peaks = defineStrategy({
  name: 'peaks',
  params: { k: int(0, 30) },
  positions (ctx, { k }) {
    const hit = k === 5 ? 0.95 : Math.abs(k - 20) <= 3 ? 0.85 : 0.5
    const pos = ctx.output()
    for (let t = 0; t < ctx.length; t += 2) {
      const u = Math.abs(Math.sin(t * 12.9898) * 43758.5453) % 1
      pos[t] = u < hit ? 1 : -1
    }
    return pos
  },
}) as unknown as StrategyDefinition

const ctx = alternatingContext()

test('one-step neighbours: int +-step, float +-5 % of the range clipped, choice beside, constraints kept', () => {
  const def = defineStrategy({
    name: 'n',
    params: { a: int(0, 10, 2), b: float(0, 1), c: choice(['x', 'y', 'z']) },
    constraints: p => p.a !== 6,
    positions: ctx => ctx.output(),
  }) as unknown as StrategyDefinition
  const keys = oneStepNeighbours(def, { a: 4, b: 0.99, c: 'x' }).map(p => `${p.a} ${p.b} ${p.c}`)
  assert.deepEqual(keys, [`2 0.99 x`, `4 ${0.99 - NEIGHBOUR_FLOAT_STEP} x`, '4 1 x', '4 0.99 y'])
  assert.deepEqual(oneStepNeighbours(def, { a: 10, b: 0, c: 'z' }).map(p => `${p.a} ${p.b} ${p.c}`), ['8 0 z', `10 ${NEIGHBOUR_FLOAT_STEP} z`, '10 0 y'])
})

test('the plateau score tells a lone bright dot from a plateau', () => {
  const dot = evaluateGenome(peaks, ctx, { k: 5 }, SETUP)
  const plateau = evaluateGenome(peaks, ctx, { k: 20 }, SETUP)
  assert.ok((dot.fitness as number) > (plateau.fitness as number), 'the dot stands higher')
  assert.deepEqual(plateauScore(peaks, ctx, { k: 5 }, SETUP, dot.fitness), { score: 0, neighbours: 2 })
  assert.deepEqual(plateauScore(peaks, ctx, { k: 20 }, SETUP, plateau.fitness), { score: 1, neighbours: 2 })
  // The edge of the plateau: one neighbour on it, one off.
  const edge = evaluateGenome(peaks, ctx, { k: 23 }, SETUP)
  assert.deepEqual(plateauScore(peaks, ctx, { k: 23 }, SETUP, edge.fitness), { score: 0.5, neighbours: 2 })
})

test('the robust objective ranks the plateau above the lone peak, as the sharpe objective does not', () => {
  const robust: EvalSetup = { ...SETUP, objective: 'robust' }
  const sharpe = (k: number): number => evaluateGenome(peaks, ctx, { k }, SETUP).fitness as number
  const dot = evaluateGenome(peaks, ctx, { k: 5 }, robust)
  const plateau = evaluateGenome(peaks, ctx, { k: 20 }, robust)
  assert.ok((plateau.fitness as number) > (dot.fitness as number))
  assert.equal(plateau.fitness, (sharpe(19) + sharpe(20) + sharpe(21)) / 3)
  assert.equal(dot.fitness, (sharpe(4) + sharpe(5) + sharpe(6)) / 3)
  // The metrics are the genome's own; the detail ranks by the same number.
  assert.deepEqual(dot.inSample, evaluateGenome(peaks, ctx, { k: 5 }, SETUP).inSample)
  assert.equal(evaluateDetail(peaks, ctx, { k: 20 }, robust).fitness, plateau.fitness)
})

test('robust: a neighbour with too few trades counts as 0, a genome with too few has no fitness', () => {
  const sparse = defineStrategy({
    name: 'sparse',
    params: { k: int(0, 4) },
    positions (ctx, { k }) {
      const pos = ctx.output()
      // k = 2 trades the pattern; its neighbours trade once.
      for (let t = 0; t < ctx.length; t += 2) pos[t] = k === 2 || t === 0 ? 1 : 0
      return pos
    },
  }) as unknown as StrategyDefinition
  const robust: EvalSetup = { ...SETUP, objective: 'robust' }
  const own = evaluateGenome(sparse, ctx, { k: 2 }, SETUP).fitness as number
  assert.equal(evaluateGenome(sparse, ctx, { k: 2 }, robust).fitness, own / 3)
  assert.equal(evaluateGenome(sparse, ctx, { k: 1 }, robust).fitness, null)
})
