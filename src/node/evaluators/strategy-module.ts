/**
 * Loading a compiled strategy inside an evaluator child, and making the child's clocks and random
 * sources fail loudly first. Runs in the child only: the peer process never evaluates strategy code.
 */
import vm from 'node:vm'
import * as strategyApi from '../../engine/strategy-api.js'
import { validateStrategyDefinition } from '../../engine/param-space.js'
import type { StrategyDefinition } from '../../engine/strategy-api.js'
import { StratmeshError } from '../../protocol/errors.js'

/** The one module a strategy may import. Defined here, not in the compiler, so the child never loads esbuild. */
export const STRATEGY_API_MODULE = 'stratmesh/strategy'

function nondeterministic (what: string): StratmeshError {
  return new StratmeshError('STRATEGY_NONDETERMINISTIC', `strategies must be deterministic (${what} is not available)`, { details: { api: what } })
}

/**
 * Replaces the process's sources of time and randomness with functions that throw, so a strategy
 * that uses one fails on every machine alike instead of giving results that differ per peer.
 * Covered: Math.random, Date.now, new Date() without arguments, performance.now,
 * process.hrtime (and .bigint), process.uptime, crypto.getRandomValues/randomUUID. Dates from a
 * timestamp (new Date(ctx.time[i])) stay available: they are deterministic. Node's internals keep
 * their own references to the originals, so IPC and timers in the child still work.
 * Call once per process, before any strategy is loaded; returns nothing to undo it.
 */
export function forbidNondeterminism (): void {
  const thrower = (what: string) => (): never => { throw nondeterministic(what) }
  // Under --frozen-intrinsics, Math and Date cannot be changed in place, so the globals are
  // replaced instead: a copy of Math, and a Date subclass (static methods other than now() and
  // instanceof Date keep working; Date() called without new throws, as it would give the time).
  const math = Object.getOwnPropertyDescriptors(Math)
  math.random = { ...math.random, value: thrower('Math.random') }
  globalThis.Math = Object.create(Object.getPrototypeOf(Math), math)
  const RealDate = Date
  class GuardedDate extends RealDate {
    constructor (...args: unknown[]) {
      if (args.length === 0) throw nondeterministic('new Date()')
      super(...(args as [number]))
    }

    static override now (): number { throw nondeterministic('Date.now') }
  }
  globalThis.Date = GuardedDate as DateConstructor
  const perf = globalThis.performance as unknown as Record<string, unknown>
  perf.now = thrower('performance.now')
  const hrtime = thrower('process.hrtime') as unknown as typeof process.hrtime
  hrtime.bigint = thrower('process.hrtime.bigint')
  process.hrtime = hrtime
  process.uptime = thrower('process.uptime')
  const webCrypto = globalThis.crypto as unknown as Record<string, unknown> | undefined
  if (webCrypto !== undefined) {
    webCrypto.getRandomValues = thrower('crypto.getRandomValues')
    webCrypto.randomUUID = thrower('crypto.randomUUID')
  }
}

function strategyRequire (name: unknown): unknown {
  if (name === STRATEGY_API_MODULE) return strategyApi
  throw new StratmeshError('STRATEGY_FORBIDDEN_IMPORT', `a strategy may import only '${STRATEGY_API_MODULE}', not ${JSON.stringify(String(name))}`, { details: { import: String(name) } })
}

/**
 * Evaluates compiled CommonJS strategy text and returns its validated definition. The code runs in
 * this realm (so its Float64Arrays are the engine's), wrapped like a CommonJS module whose
 * `require` knows only the strategy API; compiled without a dynamic-import callback, so any
 * `import()` it reaches (even through eval or Function) rejects.
 * Throws STRATEGY_LOAD_FAILED when the module's top level throws, STRATEGY_INVALID from validation.
 */
export function instantiateStrategy (cjsCode: string, fileName: string): StrategyDefinition {
  const wrapped = `(function (exports, require, module, __filename, __dirname) {${cjsCode}\n})`
  const module = { exports: {} as Record<string, unknown> }
  try {
    const fn = vm.runInThisContext(wrapped, { filename: fileName }) as (...args: unknown[]) => void
    fn.call(module.exports, module.exports, strategyRequire, module, fileName, '.')
  } catch (err) {
    if (err instanceof StratmeshError) throw new StratmeshError(err.code, `${fileName}: ${err.message}`, { cause: err, details: { ...err.details, file: fileName } })
    throw new StratmeshError('STRATEGY_LOAD_FAILED', `${fileName}: loading the strategy threw: ${(err as Error)?.message ?? String(err)}`, { cause: err, details: { file: fileName } })
  }
  const exported = module.exports
  const def = exported !== null && typeof exported === 'object' && 'default' in exported ? exported.default : exported
  return validateStrategyDefinition(def, fileName)
}
