/**
 * Loading a compiled strategy in this process, for tests and benches that compare against the
 * evaluators. The peer never calls it: evaluators run strategies inside an isolate
 * (src/engine/isolate/entry.ts), never in a Node realm.
 */
import vm from 'node:vm'
import { loadStrategyModule, wrapStrategyModule, type StrategyModuleFunction } from '../../engine/strategy-loader.js'
import type { StrategyDefinition } from '../../engine/strategy-api.js'
import { StratmeshError } from '../../protocol/errors.js'

export { STRATEGY_API_MODULE } from '../../engine/strategy-loader.js'

/**
 * Evaluates compiled CommonJS strategy text in this realm (so its Float64Arrays are the engine's)
 * and returns its validated definition; compiled without a dynamic-import callback, so any
 * `import()` it reaches rejects. Throws STRATEGY_LOAD_FAILED or STRATEGY_INVALID.
 */
export function instantiateStrategy (cjsCode: string, fileName: string): StrategyDefinition {
  let fn: StrategyModuleFunction
  try {
    fn = vm.runInThisContext(wrapStrategyModule(cjsCode), { filename: fileName }) as StrategyModuleFunction
  } catch (err) {
    throw new StratmeshError('STRATEGY_LOAD_FAILED', `${fileName}: loading the strategy threw: ${(err as Error | null)?.message ?? String(err)}`, { cause: err, details: { file: fileName } })
  }
  return loadStrategyModule(fn, fileName)
}
