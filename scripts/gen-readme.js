#!/usr/bin/env node
// Writes the command reference into README.md between the commands markers, from the CLI's own
// option table (dist/, so run `npm run build` first). `--check` exits 1 when README is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url))
const { commandReference } = await import('../dist/node/cli/options.js')

export const START = /<!-- commands:start[^>]*-->\n/
export const END = '<!-- commands:end -->'

const readme = readFileSync(readmePath, 'utf8')
const start = readme.match(START)
const end = readme.indexOf(END)
if (start === null || end < 0) {
  console.error('README.md: the commands markers are missing')
  process.exit(1)
}
const before = readme.slice(0, start.index + start[0].length)
const next = `${before}\n${commandReference().trim()}\n\n${readme.slice(end)}`
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md: the command reference is stale; run `node scripts/gen-readme.js`')
    process.exit(1)
  }
} else {
  writeFileSync(readmePath, next)
}
