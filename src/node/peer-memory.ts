/** The `memory` part of `peer status`: the peer process, its evaluators' latest reports, and the plan they are sized by. */
import type { EvaluatorPool, MemoryPlan } from './evaluators/index.js'
import type { PeerMemoryView } from './peer-types.js'

export function memoryStatus (pool: Pick<EvaluatorPool, 'memory'>, plan: MemoryPlan, peerRssBytes: number = process.memoryUsage.rss()): PeerMemoryView {
  const evaluators = pool.memory()
  return {
    peerPid: process.pid,
    peerRssBytes,
    evaluators,
    totalRssBytes: evaluators.reduce((sum, ev) => sum + (ev.rssBytes ?? 0), peerRssBytes),
    machineBytes: plan.totalBytes,
    budgetBytes: plan.budgetBytes,
    plannedBytes: plan.plannedBytes,
    cacheBytesPerEvaluator: plan.cacheBytes,
    isolateMemoryMb: plan.isolateMemoryMb,
  }
}
