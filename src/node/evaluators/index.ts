/** What src/node/evaluators offers the rest of the peer; everything else in the folder is its own. */
export { MAX_CACHE_MB_OPTION, machineMemoryBytes } from './cache-budget.js'
export { memoryPlanText, planMemory, type MemoryPlan } from './memory-plan.js'
export { createEvaluatorPool, type BacktestRange, type EvaluatorMemory, type EvaluatorPool, type PoolJob, type RangeBacktest } from './pool.js'
