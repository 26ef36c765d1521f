import { test } from 'node:test'
import assert from 'node:assert/strict'
import { CACHE_MEMORY_SHARE, MAX_EVALUATOR_CACHE_MB, MIN_EVALUATOR_CACHE_MB, evaluatorCacheBytes, machineMemoryBytes } from '../../../src/node/evaluators/cache-budget.js'

const MIB = 1024 * 1024
const GIB = 1024 * MIB

test('the indicator cache is a share of the machine split between its evaluators, within a floor and a cap', () => {
  // A 16 GB laptop with 10 cores: about 410 MiB each, 4 GiB in all.
  const laptop = evaluatorCacheBytes(10, 16 * GIB)
  assert.equal(laptop, Math.floor(16 * GIB * CACHE_MEMORY_SHARE / 10))
  assert.ok(laptop * 10 <= 16 * GIB * CACHE_MEMORY_SHARE)
  assert.equal(evaluatorCacheBytes(2, 24 * GIB), MAX_EVALUATOR_CACHE_MB * MIB, 'capped')
  assert.equal(evaluatorCacheBytes(8, 1 * GIB), MIN_EVALUATOR_CACHE_MB * MIB, 'floored')
  assert.equal(evaluatorCacheBytes(0, 4 * GIB), evaluatorCacheBytes(1, 4 * GIB))
  assert.ok(evaluatorCacheBytes(4, 8 * GIB) < evaluatorCacheBytes(2, 8 * GIB), 'more evaluators, less each')
})

test('the machine memory is a positive size no larger than the host reports', () => {
  const bytes = machineMemoryBytes()
  assert.ok(Number.isFinite(bytes) && bytes > 0)
  const budget = evaluatorCacheBytes(1)
  assert.ok(budget >= MIN_EVALUATOR_CACHE_MB * MIB && budget <= MAX_EVALUATOR_CACHE_MB * MIB)
})
