#!/usr/bin/env node
// Writes the README's generated sections between their markers: the command reference from the
// CLI's own option table, and the error-code tables from the error-code registry (dist/, so run
// `npm run build` first). `--check` exits 1 when README is stale.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const readmePath = fileURLToPath(new URL('../README.md', import.meta.url))
const { commandReference } = await import('../dist/node/cli/options.js')
const { dataCodeReference, errorCodeReference } = await import('../dist/node/cli/error-reference.js')

/** Each section: its marker name and its text. */
const SECTIONS = [
  ['commands', commandReference()],
  ['data-codes', dataCodeReference()],
  ['error-codes', errorCodeReference()],
]

const readme = readFileSync(readmePath, 'utf8')
let next = readme
for (const [name, text] of SECTIONS) {
  const start = next.match(new RegExp(`<!-- ${name}:start[^>]*-->\\n`))
  const end = next.indexOf(`<!-- ${name}:end -->`)
  if (start === null || end < 0) {
    console.error(`README.md: the ${name} markers are missing`)
    process.exit(1)
  }
  next = `${next.slice(0, start.index + start[0].length)}\n${text.trim()}\n\n${next.slice(end)}`
}
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md: a generated section is stale; run `npm run build && node scripts/gen-readme.js`')
    process.exit(1)
  }
} else {
  writeFileSync(readmePath, next)
}
