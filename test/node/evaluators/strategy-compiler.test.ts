import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compileStrategy, MAX_STRATEGY_SOURCE_BYTES } from '../../../src/node/evaluators/strategy-compiler.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { readFixture } from '../../fixtures/strategies/harness.js'

function codeOf (fn: () => unknown): string | undefined {
  try { fn() } catch (err) { return isStratmeshError(err) ? err.code : `not a StratmeshError: ${String(err)}` }
  return undefined
}

test('a TS strategy compiles to CommonJS that requires only the strategy API', () => {
  const code = compileStrategy(readFixture('good-sma.ts'), 'good-sma.ts')
  assert.match(code, /require\("stratmesh\/strategy"\)/)
  assert.match(code, /module\.exports/)
  assert.doesNotMatch(code, /^\s*import /m, 'no ESM import statements left')
})

test('a JS strategy compiles with the js loader', () => {
  assert.match(compileStrategy(readFixture('loops.js'), 'loops.js'), /while \(true\)/)
})

test('a syntax error names file, line and column', () => {
  try {
    compileStrategy(readFixture('syntax-error.txt'), 'syntax-error.ts')
    assert.fail('should throw')
  } catch (err) {
    assert.ok(isStratmeshError(err, 'STRATEGY_SYNTAX'), String(err))
    assert.match(err.message, /^syntax-error\.ts:5:\d+: /)
    assert.equal(err.details?.line, 5)
    assert.equal(typeof err.details?.column, 'number')
  }
})

test('imports other than stratmesh/strategy are refused, naming the import', () => {
  try {
    compileStrategy(readFixture('imports-fs.ts'), 'imports-fs.ts')
    assert.fail('should throw')
  } catch (err) {
    assert.ok(isStratmeshError(err, 'STRATEGY_FORBIDDEN_IMPORT'), String(err))
    assert.match(err.message, /"fs"/)
    assert.equal(err.details?.import, 'fs')
  }
  const head = "import { defineStrategy, int } from 'stratmesh/strategy'\n"
  const cases: Array<[string, string]> = [
    ["import * as os from 'node:os'\nexport const x = os\n", 'node:os'],
    ["export const x = require('child_process')\n", 'child_process'],
    ["export const x = () => import('net')\n", 'net'],
    ["const n = 'fs'\nexport const x = () => import(n)\n", 'computed'],
    ["const n = 'fs'\nexport const x = require(n)\n", 'computed'],
    ["export { sma } from './helpers.js'\n", './helpers.js'],
  ]
  for (const [body, name] of cases) {
    try {
      compileStrategy(head + body + 'export default defineStrategy({ name: "a", params: { x: int(0, 1) }, positions: c => c.output() })\n', 'x.ts')
      assert.fail(`should refuse ${name}`)
    } catch (err) {
      assert.ok(isStratmeshError(err, 'STRATEGY_FORBIDDEN_IMPORT'), `${name}: ${String(err)}`)
      assert.ok(err.message.includes(name), `${err.message} should name ${name}`)
    }
  }
})

test('calls of methods named import or require are not imports', () => {
  const src = "import { defineStrategy, int } from 'stratmesh/strategy'\nconst o: Record<string, (x: number) => number> = {}\no.import = x => x\no.require = x => x\nexport default defineStrategy({ name: 'm', params: { x: int(0, o.import(1) + o.require(0)) }, positions: c => c.output() })\n"
  assert.match(compileStrategy(src, 'methods.ts'), /o\.import\(1\)/)
})

test('oversized sources and unknown extensions are refused before compiling', () => {
  assert.equal(codeOf(() => compileStrategy('//' + 'x'.repeat(MAX_STRATEGY_SOURCE_BYTES), 'big.ts')), 'STRATEGY_TOO_LARGE')
  assert.equal(codeOf(() => compileStrategy('export default 1', 'a.py')), 'STRATEGY_BAD_FILE')
})
