#!/usr/bin/env node
// Runs every test file under test/ with node's test runner (TypeScript through tsx).
// The files are listed here, not globbed by --test, so a run can be narrowed to paths with a substring.
// Usage: node scripts/run-tests.js [substring…]   (only files whose path contains a substring)
import { readdirSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const filters = process.argv.slice(2)

function walk (dir) {
  const out = []
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) out.push(...walk(p))
    else if (name.endsWith('.test.ts')) out.push(relative(root, p))
  }
  return out
}

const files = walk(join(root, 'test')).filter(f => filters.length === 0 || filters.some(s => f.includes(s)))
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`)
  process.exit(1)
}
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...files]
const child = spawn(process.execPath, args, { cwd: root, stdio: 'inherit' })
const forward = sig => { child.kill(sig) }
process.on('SIGINT', forward)
process.on('SIGTERM', forward)
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
