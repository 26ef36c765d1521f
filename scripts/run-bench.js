#!/usr/bin/env node
// Runs the benchmarks in bench/ one after another (never in parallel: they measure the machine).
// Usage: node scripts/run-bench.js [substring…]   (only bench files whose name contains a substring)
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const filters = process.argv.slice(2)
const files = readdirSync(join(root, 'bench'))
  .filter(f => f.endsWith('.bench.ts'))
  .filter(f => filters.length === 0 || filters.some(s => f.includes(s)))
  .sort()
if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(' ')}`)
  process.exit(1)
}
let failed = 0
for (const f of files) {
  console.log(`\n## ${f}\n`)
  const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', f)], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) { failed++; console.error(`${f} failed (exit ${r.status ?? r.signal})`) }
}
process.exit(failed === 0 ? 0 : 1)
