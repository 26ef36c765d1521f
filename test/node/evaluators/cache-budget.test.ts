import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_EVALUATOR_CACHE_MB, MIN_EVALUATOR_CACHE_MB, machineMemoryBytes } from '../../../src/node/evaluators/cache-budget.js'
import { evaluatorCacheBytes } from '../../../src/node/evaluators/memory-plan.js'

const MIB = 1024 * 1024
const GIB = 1024 * MIB

test('the indicator cache is what the memory plan leaves each evaluator, within a floor and a cap', () => {
  assert.equal(evaluatorCacheBytes(2, 24 * GIB), MAX_EVALUATOR_CACHE_MB * MIB, 'capped')
  assert.equal(evaluatorCacheBytes(8, 1 * GIB), MIN_EVALUATOR_CACHE_MB * MIB, 'floored')
  assert.equal(evaluatorCacheBytes(0, 4 * GIB), evaluatorCacheBytes(1, 4 * GIB))
  assert.ok(evaluatorCacheBytes(4, 8 * GIB) < evaluatorCacheBytes(2, 8 * GIB), 'more evaluators, less each')
  assert.ok(evaluatorCacheBytes(10, 16 * GIB) * 11 < 8 * GIB, 'ten evaluators and the checker stay under half a 16 GB laptop')
})

test('the machine memory is a positive size no larger than the host reports', () => {
  const bytes = machineMemoryBytes()
  assert.ok(Number.isFinite(bytes) && bytes > 0)
  const budget = evaluatorCacheBytes(1)
  assert.ok(budget >= MIN_EVALUATOR_CACHE_MB * MIB && budget <= MAX_EVALUATOR_CACHE_MB * MIB)
})
