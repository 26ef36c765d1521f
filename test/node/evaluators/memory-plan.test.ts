import { test } from 'node:test'
import assert from 'node:assert/strict'
import { MAX_EVALUATOR_CACHE_MB, MIN_EVALUATOR_CACHE_MB } from '../../../src/node/evaluators/cache-budget.js'
import { EVALUATOR_BASE_MB, KEPT_EVALUATORS, PEER_MEMORY_SHARE, PEER_PROCESS_MB, memoryPlanText, planMemory, type MemoryPlan } from '../../../src/node/evaluators/memory-plan.js'
import { DEFAULT_MEMORY_MB } from '../../../src/node/evaluators/pool-limits.js'

const MIB = 1024 * 1024
const GIB = 1024 * MIB

/** What the plan must hold on any machine when no flag overrides it. */
function assertWithinBudget (plan: MemoryPlan, totalBytes: number, cores: number): void {
  assert.equal(plan.budgetBytes, Math.floor(totalBytes * PEER_MEMORY_SHARE / MIB) * MIB)
  assert.ok(plan.plannedBytes <= plan.budgetBytes, `planned ${plan.plannedBytes / MIB} MiB within ${plan.budgetBytes / MIB}`)
  assert.equal(plan.plannedBytes, (PEER_PROCESS_MB + (plan.evaluators + KEPT_EVALUATORS) * (EVALUATOR_BASE_MB + plan.cacheBytes / MIB)) * MIB)
  assert.ok(plan.evaluators >= 1 && plan.evaluators <= cores)
  assert.ok(plan.cacheBytes >= MIN_EVALUATOR_CACHE_MB * MIB && plan.cacheBytes <= MAX_EVALUATOR_CACHE_MB * MIB)
  assert.equal(plan.isolateMemoryMb, DEFAULT_MEMORY_MB, 'the isolate cap is the same on every machine')
  assert.deepEqual(plan.warnings, [])
}

test('a 16 GB laptop with 10 cores runs 10 evaluators with a smaller cache, under half its memory', () => {
  const plan = planMemory({ totalBytes: 16 * GIB, cores: 10 })
  assertWithinBudget(plan, 16 * GIB, 10)
  assert.equal(plan.evaluators, 10)
  assert.ok(plan.cacheBytes < MAX_EVALUATOR_CACHE_MB * MIB, 'the cache gives way to the evaluator count')
  assert.equal(memoryPlanText(plan), `memory: 10 evaluator(s), a checker and a statistics evaluator, ${plan.cacheBytes / MIB} MiB of cache and a ${plan.isolateMemoryMb} MiB cap each; ${plan.plannedBytes / MIB} MiB planned, budget 8192 MiB (50 % of 16384 MiB)`)
  // Nearly all of the budget goes to caches: less than one cache's worth is left unplanned.
  assert.ok(plan.budgetBytes - plan.plannedBytes < 11 * MIB + (EVALUATOR_BASE_MB + plan.cacheBytes / MIB) * MIB)
})

test('an 8 GB laptop with 4 cores runs 4 evaluators under half its memory', () => {
  const plan = planMemory({ totalBytes: 8 * GIB, cores: 4 })
  assertWithinBudget(plan, 8 * GIB, 4)
  assert.equal(plan.evaluators, 4)
  assert.ok(plan.cacheBytes < planMemory({ totalBytes: 8 * GIB, cores: 2 }).cacheBytes, 'more evaluators, less cache each')
})

test('a 24 GB box with 2 cores gets the largest cache and the full isolate limit', () => {
  const plan = planMemory({ totalBytes: 24 * GIB, cores: 2 })
  assertWithinBudget(plan, 24 * GIB, 2)
  assert.equal(plan.evaluators, 2)
  assert.equal(plan.cacheBytes, MAX_EVALUATOR_CACHE_MB * MIB)
  assert.equal(plan.isolateMemoryMb, DEFAULT_MEMORY_MB)
})

test('a 64 GB desktop with 16 cores runs 16 evaluators with the largest cache', () => {
  const plan = planMemory({ totalBytes: 64 * GIB, cores: 16 })
  assertWithinBudget(plan, 64 * GIB, 16)
  assert.equal(plan.evaluators, 16)
  assert.equal(plan.cacheBytes, MAX_EVALUATOR_CACHE_MB * MIB)
})

test('a small machine with many cores runs fewer evaluators than cores rather than exceed its budget', () => {
  const plan = planMemory({ totalBytes: 4 * GIB, cores: 16 })
  assertWithinBudget(plan, 4 * GIB, 16)
  assert.ok(plan.evaluators < 16, `${plan.evaluators} evaluators`)
  // One more would not fit even with the smallest cache.
  assert.ok(PEER_PROCESS_MB + (plan.evaluators + 1 + KEPT_EVALUATORS) * (EVALUATOR_BASE_MB + MIN_EVALUATOR_CACHE_MB) > plan.budgetBytes / MIB)
})

test('explicit --cpus and --cache-mb win over the budget, with a warning', () => {
  const cpus = planMemory({ totalBytes: 8 * GIB, cores: 4, cpus: 16 })
  assert.equal(cpus.evaluators, 16)
  assert.equal(cpus.cacheBytes, MIN_EVALUATOR_CACHE_MB * MIB)
  assert.ok(cpus.plannedBytes > cpus.budgetBytes)
  assert.equal(cpus.warnings.length, 1)
  assert.match(cpus.warnings[0], /--cpus 16/)

  const cache = planMemory({ totalBytes: 16 * GIB, cores: 10, cpus: 10, cacheMb: 1024 })
  assert.equal(cache.cacheBytes, 1024 * MIB)
  assert.match(cache.warnings[0], /--cpus 10 and --cache-mb 1024/)

  // A cache alone is taken as given, and the evaluators that fit it are started.
  const cacheOnly = planMemory({ totalBytes: 16 * GIB, cores: 10, cacheMb: 1024 })
  assert.equal(cacheOnly.cacheBytes, 1024 * MIB)
  assert.ok(cacheOnly.evaluators < 10 && cacheOnly.plannedBytes <= cacheOnly.budgetBytes)
  assert.deepEqual(cacheOnly.warnings, [])

  // Flags within the budget say nothing.
  assert.deepEqual(planMemory({ totalBytes: 24 * GIB, cores: 2, cpus: 1, cacheMb: 64 }).warnings, [])
})
