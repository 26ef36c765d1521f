import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileStrategy } from '../../../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../../../src/node/evaluators/strategy-module.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { createStrategyContext } from '../../../src/engine/strategy-context.js'
import { randomCandles, readFixture } from '../../fixtures/strategies/harness.js'

test('a compiled strategy instantiates into a validated definition that computes positions', () => {
  const def = instantiateStrategy(compileStrategy(readFixture('good-sma.ts'), 'good-sma.ts'), 'good-sma.ts')
  assert.equal(def.name, 'good-sma')
  assert.deepEqual(Object.keys(def.params), ['fast', 'slow'])
  const ctx = createStrategyContext(randomCandles(100))
  const out = def.positions(ctx, { fast: 3, slow: 12 })
  assert.ok(out instanceof Float64Array, 'positions are this realm\'s Float64Array')
  assert.equal(out.length, 100)
  assert.ok(out.every(v => v === 0 || v === 1))
})

test('require() gives the strategy API only; import() rejects even through Function', async () => {
  // Written directly as CommonJS, as if the compile-time check had been fooled.
  const sneaky = `
    const r = require
    let fsError = ''
    try { r('fs') } catch (e) { fsError = e.code }
    const api = require('stratmesh/strategy')
    module.exports.default = api.defineStrategy({ name: 'sneaky:' + fsError, params: { x: api.int(0, 1) }, positions: c => c.output() })
    module.exports.dyn = () => Function('return import("node:fs")')()
  `
  const def = instantiateStrategy(sneaky, 'sneaky.js')
  assert.equal(def.name, 'sneaky:STRATEGY_FORBIDDEN_IMPORT')
  await assert.rejects(instantiateDyn(sneaky), (err: Error & { code?: string }) => err.code === 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING')
})

async function instantiateDyn (cjs: string): Promise<unknown> {
  // Reach the module's other export through a second instantiation that returns it as the default.
  const def = instantiateStrategy(cjs + '\nconst d = module.exports.default; module.exports.default = { ...d, positions: module.exports.dyn }', 'dyn.js')
  return (def.positions as unknown as () => Promise<unknown>)()
}

test('a module that throws while loading, or exports no strategy, fails with a code', () => {
  const codeOf = (cjs: string): string | undefined => {
    try { instantiateStrategy(cjs, 'bad.js') } catch (err) { return isStratmeshError(err) ? err.code : String(err) }
    return undefined
  }
  assert.equal(codeOf('throw new Error("top-level")'), 'STRATEGY_LOAD_FAILED')
  assert.equal(codeOf('module.exports.default = 42'), 'STRATEGY_INVALID')
  assert.equal(codeOf(compileStrategy(readFixture('invalid.ts'), 'invalid.ts')), 'STRATEGY_INVALID')
})
