import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { VENDOR_LICENSE, VENDOR_SCRIPT } from '../../src/node/dashboard/assets.js'
import { tempDir } from '../helpers/temp-dir.js'

const root = fileURLToPath(new URL('../..', import.meta.url))

test('the build copies the page and the vendored chart library with its licence, and the page loads nothing from elsewhere', async () => {
  const out = await tempDir()
  const r = spawnSync(process.execPath, ['scripts/build-dashboard.js', out.path], { cwd: root, encoding: 'utf8' })
  assert.equal(r.status, 0, r.stderr)
  const dir = join(out.path, 'dashboard')
  assert.deepEqual(readdirSync(dir).filter(n => n.endsWith('.html')), ['index.html'])
  assert.match(readFileSync(join(dir, 'vendor', VENDOR_LICENSE), 'utf8'), /Apache License\s+Version 2\.0/)
  assert.match(readFileSync(join(dir, 'vendor', VENDOR_SCRIPT), 'utf8').slice(0, 300), /TradingView Lightweight Charts/)
  const html = readFileSync(join(dir, 'index.html'), 'utf8')
  const sources = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map(m => m[1])
  assert.ok(sources.length >= 3)
  for (const src of sources) assert.match(src, /^\/dashboard\//, `${src} is served by the peer`)
  for (const src of sources.filter(s => !s.includes('/vendor/'))) assert.ok(existsSync(join(dir, src.replace('/dashboard/', ''))), src)
  // Every module the page imports is copied too.
  for (const file of readdirSync(dir).filter(n => n.endsWith('.js'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/from '\.\/([a-z0-9-]+\.js)'/g)) assert.ok(existsSync(join(dir, m[1])), `${file} imports ${m[1]}`)
  }
})
