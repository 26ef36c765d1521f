import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { commandReference } from '../src/node/cli/options.js'
import { dataCodeReference, errorCodeReference } from '../src/node/cli/error-reference.js'
import { ERROR_CODES, isErrorCode } from '../src/protocol/error-codes.js'

const root = fileURLToPath(new URL('..', import.meta.url))

test('docs/LIMITS.md lists every limit in the source, each with its reason', () => {
  const r = spawnSync(process.execPath, ['scripts/gen-limits.js', '--check'], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.doesNotMatch(readFileSync(join(root, 'docs', 'LIMITS.md'), 'utf8'), /no comment/, 'every limit has a comment saying why')
})

const readme = readFileSync(join(root, 'README.md'), 'utf8')

/** The text between a generated section's markers. */
function generatedSection (name: string): string {
  const start = readme.match(new RegExp(`<!-- ${name}:start[^>]*-->\\n`))
  const end = readme.indexOf(`<!-- ${name}:end -->`)
  assert.ok(start !== null && end > 0, `README has the ${name} markers`)
  return readme.slice((start.index ?? 0) + start[0].length, end)
}

const STALE = 'README is stale: run `npm run build && node scripts/gen-readme.js`'

test('README: the command reference is the CLI\'s own option table', () => {
  assert.equal(generatedSection('commands'), `\n${commandReference().trim()}\n\n`, STALE)
})

test('README: the error-code tables are the registry\'s', () => {
  assert.equal(generatedSection('data-codes'), `\n${dataCodeReference().trim()}\n\n`, STALE)
  assert.equal(generatedSection('error-codes'), `\n${errorCodeReference().trim()}\n\n`, STALE)
})

test('README: every registered code is in a generated error table', () => {
  const tables = generatedSection('data-codes') + generatedSection('error-codes')
  const missing = Object.keys(ERROR_CODES).filter(c => !tables.includes('`' + c + '`'))
  assert.deepEqual(missing, [], `not in the README's tables: ${missing.join(', ')}`)
})

/** Every error code the source can raise: upper-case snake-case string literals. */
function sourceErrorCodes (): Set<string> {
  const codes = new Set<string>()
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name)
      if (statSync(p).isDirectory()) walk(p)
      else if (name.endsWith('.ts')) {
        for (const m of readFileSync(p, 'utf8').matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) codes.add(m[1])
      }
    }
  }
  walk(join(root, 'src'))
  // Environment variable names, and codes of libraries we translate into our own.
  for (const c of [...codes]) if (c.startsWith('STRATMESH_') || c.startsWith('NODE_ENV') || c === 'LEVEL_LOCKED') codes.delete(c)
  return codes
}

test('every code-like string in the source is a registered error code', () => {
  const codes = sourceErrorCodes()
  assert.ok(codes.size > 100, `found only ${codes.size} codes: the scan is broken`)
  const unregistered = [...codes].filter(c => !isErrorCode(c)).sort()
  assert.deepEqual(unregistered, [], `not in src/protocol/error-codes.ts: ${unregistered.join(', ')}`)
})

test('README: the set-up commands are the ones package.json runs', () => {
  assert.match(readme, /npm ci && npm start -- --demo/)
  assert.match(readme, /^npm test\b/m)
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>, bin: Record<string, string> }
  assert.equal(pkg.scripts.start, 'node bin/peer.js start')
  assert.equal(pkg.bin.peer, './bin/peer.js')
  const ci = readFileSync(join(root, '.ci', 'run'), 'utf8')
  assert.match(ci, /^npm test$/m, 'CI runs exactly the README\'s test command')
})
