import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'

const root = fileURLToPath(new URL('..', import.meta.url))

test('docs/LIMITS.md lists every limit in the source, each with its reason', () => {
  const r = spawnSync(process.execPath, ['scripts/gen-limits.js', '--check'], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  assert.doesNotMatch(readFileSync(join(root, 'docs', 'LIMITS.md'), 'utf8'), /no comment/, 'every limit has a comment saying why')
})
