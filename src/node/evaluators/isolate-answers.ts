/**
 * Answers from the isolate turned back into the messages the pool expects. Only the shape JSON
 * cannot carry is restored here (typed arrays); the parent checks every field, as it checks
 * everything a child sends (messages.ts).
 */
import type { SampledGenomeDetail } from '../../engine/downsample.js'
import type { ParamSpace } from '../../engine/strategy-api.js'

function isRecord (v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

const numbers = (v: unknown): v is number[] => Array.isArray(v) && v.every(x => typeof x === 'number')

function rebuildCurve (v: unknown): unknown {
  if (!isRecord(v) || !numbers(v.bars) || !numbers(v.values)) return v
  return { bars: Int32Array.from(v.bars), values: Float64Array.from(v.values) }
}

function rebuildRange (v: unknown): unknown {
  if (!isRecord(v)) return v
  return { ...v, equity: rebuildCurve(v.equity), drawdown: rebuildCurve(v.drawdown) }
}

/** A genome's detail with its curves as typed arrays again. */
export function rebuildDetail (v: unknown): SampledGenomeDetail {
  if (!isRecord(v)) return v as SampledGenomeDetail
  return { ...v, inSample: rebuildRange(v.inSample), outOfSample: rebuildRange(v.outOfSample) } as unknown as SampledGenomeDetail
}

/** The fields of an inspect answer, as the `inspected` message carries them. */
export function checkInspected (v: unknown): { name: string, params: ParamSpace, description?: string } {
  const r = isRecord(v) ? v : {}
  return { name: r.name as string, params: r.params as ParamSpace, ...(r.description === undefined ? {} : { description: r.description as string }) }
}
