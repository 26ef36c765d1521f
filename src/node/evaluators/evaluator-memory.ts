/** The evaluators' memory as `peer status` shows it, from each child's latest report. */
import type { EvaluatorProcess } from './evaluator-process.js'
import type { EvaluatorMemory } from './pool-types.js'

/** `evaluators` (the pooled ones) first, then the kept ones that are alive; dead processes are left out. `now`: performance.now(). */
export function evaluatorMemory (evaluators: Iterable<EvaluatorProcess>, kept: { readonly checker: EvaluatorProcess | null, readonly statistics: EvaluatorProcess | null }, now: number): EvaluatorMemory[] {
  const view = (ev: EvaluatorProcess, role: EvaluatorMemory['role']): EvaluatorMemory => {
    const r = ev.memory?.report
    return {
      pid: ev.pid,
      role,
      rssBytes: r?.rssBytes ?? null,
      isolateHeapBytes: r?.isolateHeapBytes ?? null,
      isolateExternalBytes: r?.isolateExternalBytes ?? null,
      reportAgeMs: ev.memory === null ? null : Math.round(now - ev.memory.at),
    }
  }
  const pooled = [...evaluators].filter(ev => ev.state !== 'dead').map(ev => view(ev, 'evaluator'))
  const others = (['checker', 'statistics'] as const).flatMap(role => kept[role] === null ? [] : [view(kept[role], role)])
  return [...pooled, ...others]
}
