/**
 * Instantiating a compiled strategy: its CommonJS text, already evaluated into a module function,
 * is called with a `require` that knows only the strategy API, and its export is validated. Pure:
 * the evaluator's isolate runs it (src/engine/isolate/entry.ts), and tests and benches run it
 * in-process through src/node/evaluators/strategy-module.ts.
 */
import * as strategyApi from './strategy-api.js'
import { validateStrategyDefinition } from './param-space.js'
import type { StrategyDefinition } from './strategy-api.js'
import { StratmeshError } from '../protocol/errors.js'

/** The one module a strategy may import. */
export const STRATEGY_API_MODULE = 'stratmesh/strategy'

/** A CommonJS module body wrapped as a function, as `wrapStrategyModule` text evaluates to. */
export type StrategyModuleFunction = (exports: unknown, require: unknown, module: unknown, filename: string, dirname: string) => void

/** The text that evaluates to the strategy's module function. */
export function wrapStrategyModule (cjsCode: string): string {
  return `(function (exports, require, module, __filename, __dirname) {${cjsCode}\n})`
}

function strategyRequire (name: unknown): unknown {
  if (name === STRATEGY_API_MODULE) return strategyApi
  throw new StratmeshError('STRATEGY_FORBIDDEN_IMPORT', `a strategy may import only '${STRATEGY_API_MODULE}', not ${JSON.stringify(String(name))}`, { details: { import: String(name) } })
}

/**
 * Runs the module function and returns its validated definition. Throws STRATEGY_LOAD_FAILED when
 * the module's top level throws, STRATEGY_INVALID from validation.
 */
export function loadStrategyModule (fn: StrategyModuleFunction, fileName: string): StrategyDefinition {
  const module = { exports: {} as Record<string, unknown> }
  try {
    fn.call(module.exports, module.exports, strategyRequire, module, fileName, '.')
  } catch (err) {
    if (err instanceof StratmeshError) throw new StratmeshError(err.code, `${fileName}: ${err.message}`, { cause: err, details: { ...err.details, file: fileName } })
    throw new StratmeshError('STRATEGY_LOAD_FAILED', `${fileName}: loading the strategy threw: ${(err as Error | null)?.message ?? String(err)}`, { cause: err, details: { file: fileName } })
  }
  const exported = module.exports
  const def = exported !== null && typeof exported === 'object' && 'default' in exported ? exported.default : exported
  return validateStrategyDefinition(def, fileName)
}
