import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const root = fileURLToPath(new URL('..', import.meta.url))

test('docs/LIMITS.md lists every limit in the source, each with its reason', () => {
  const r = spawnSync(process.execPath, ['scripts/gen-limits.js', '--check'], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.doesNotMatch(readFileSync(join(root, 'docs', 'LIMITS.md'), 'utf8'), /no comment/, 'every limit has a comment saying why')
})

const readme = readFileSync(join(root, 'README.md'), 'utf8')

test('README: the command reference is the CLI\'s own option table', async () => {
  const { commandReference } = await import('../src/node/cli/options.js')
  const start = readme.match(/<!-- commands:start[^>]*-->\n/)
  const end = readme.indexOf('<!-- commands:end -->')
  assert.ok(start !== null && end > 0, 'README has the commands markers')
  const block = readme.slice((start.index ?? 0) + start[0].length, end)
  assert.equal(block, `\n${commandReference().trim()}\n\n`, 'README is stale: run `npm run build && node scripts/gen-readme.js`')
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

test('README: every error code in the source is documented', () => {
  const codes = sourceErrorCodes()
  assert.ok(codes.size > 100, `found only ${codes.size} codes: the scan is broken`)
  const missing = [...codes].filter(c => !readme.includes('`' + c + '`')).sort()
  assert.deepEqual(missing, [], `README.md does not document: ${missing.join(', ')}`)
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
