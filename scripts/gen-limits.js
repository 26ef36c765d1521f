#!/usr/bin/env node
// Generates docs/LIMITS.md from the source: every exported UPPER_CASE numeric constant with the
// doc comment above it. The limits then cannot drift from the code; a test checks the file is
// current. Usage: node scripts/gen-limits.js [--check]
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const out = join(root, 'docs', 'LIMITS.md')

function walk (dir) {
  return readdirSync(dir).sort().flatMap(name => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? walk(p) : name.endsWith('.ts') ? [p] : []
  })
}

// A value made of numbers, arithmetic, and other constants: a limit, not a string or an object.
const NUMERIC = /^[\d_.*+\-/() eE]+$|^[\d_.*+\-/() eE]*[A-Z_][A-Z0-9_]*[\d_.*+\-/() eE]*$/

function commentAbove (lines, i) {
  const text = []
  let j = i - 1
  if (j >= 0 && /^\s*\/\*\*.*\*\/\s*$/.test(lines[j])) return lines[j].replace(/^\s*\/\*\*\s?/, '').replace(/\s*\*\/\s*$/, '')
  if (j < 0 || !/^\s*\*\/\s*$/.test(lines[j])) return ''
  for (j--; j >= 0 && !/^\s*\/\*\*/.test(lines[j]); j--) text.unshift(lines[j].replace(/^\s*\*\s?/, ''))
  return text.join(' ').replace(/\s+/g, ' ').trim()
}

const sections = new Map()
for (const file of walk(join(root, 'src'))) {
  const lines = readFileSync(file, 'utf8').split('\n')
  lines.forEach((line, i) => {
    const m = /^export const ([A-Z][A-Z0-9_]*)(?:: [A-Za-z]+)? = (.+?)\s*$/.exec(line)
    if (m === null) return
    const value = m[2]
    if (!NUMERIC.test(value)) return
    const rel = relative(root, file)
    const list = sections.get(rel) ?? []
    // A constant right below another shares its comment (MIN_x / MAX_x pairs).
    const shared = i > 0 && /^export const /.test(lines[i - 1]) ? list.at(-1)?.why : undefined
    list.push({ name: m[1], value, why: commentAbove(lines, i) || shared || '(no comment: add one)' })
    sections.set(rel, list)
  })
}

let md = '# Limits\n\nEvery limit in stratmesh is a named constant in the source with a comment saying why it has\nits value. This file is generated from them by `node scripts/gen-limits.js`; a test fails when it\nis out of date. Do not edit it by hand.\n'
for (const [file, list] of sections) {
  md += `\n## ${file}\n\n| constant | value | why |\n| --- | --- | --- |\n`
  for (const c of list) md += `| \`${c.name}\` | \`${c.value.replace(/\|/g, '\\|')}\` | ${c.why.replace(/\|/g, '\\|')} |\n`
}

if (process.argv.includes('--check')) {
  let current = ''
  try { current = readFileSync(out, 'utf8') } catch {}
  if (current !== md) {
    console.error('docs/LIMITS.md is out of date: run node scripts/gen-limits.js')
    process.exit(1)
  }
} else {
  writeFileSync(out, md)
  console.log(`wrote ${relative(root, out)} (${[...sections.values()].reduce((n, l) => n + l.length, 0)} limits)`)
}
