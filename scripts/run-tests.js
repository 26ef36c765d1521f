#!/usr/bin/env node
// Runs every test file under test/ with node's test runner (TypeScript through tsx).
// The files are listed here, not globbed by --test, so a run can be narrowed to paths with a substring.
// Usage: node scripts/run-tests.js [substring…]   (only files whose path contains a substring)
//
// The runner takes one file at a time on a 2-core machine (its concurrency is the cores less one).
// The LAN scenarios (test/lan) spend most of their minutes waiting (a host asleep for 90 s, clocks
// skewed, links delayed) and make their own network namespaces, so they run as a second lane
// beside the other files: one file at a time in each lane. Their output is held and printed when
// they end, so the two lanes' reports do not interleave. STRATMESH_TEST_LANES=1 runs one lane.
// A few other files that mostly wait (below) run in that lane too.
import { readdirSync, statSync } from 'node:fs'
import { join, relative, sep } from 'node:path'
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

const lanPrefix = `test${sep}lan${sep}`
// Files outside test/lan that also mostly wait (peers frozen for three lease TTLs, a sleeper woken
// to find its job cancelled) join that lane.
const waiting = [`test${sep}cli-mesh${sep}faults.test.ts`, `test${sep}cli-mesh${sep}job-control.test.ts`]
const inWaitingLane = f => f.startsWith(lanPrefix) || waiting.includes(f)
const lan = files.filter(inWaitingLane)
const rest = files.filter(f => !inWaitingLane(f))
const lanes = process.env.STRATMESH_TEST_LANES === '1' || lan.length === 0 || rest.length === 0 ? [{ files, live: true }] : [{ files: rest, live: true }, { files: lan, live: false }]

const children = []
const forward = sig => { for (const c of children) c.kill(sig) }
process.on('SIGINT', forward)
process.on('SIGTERM', forward)

/** Runs one lane; resolves with its exit code and its output (kept to read its totals). */
function runLane ({ files: laneFiles, live }) {
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec', ...laneFiles]
  const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  children.push(child)
  const out = []
  child.stdout.on('data', chunk => { out.push(chunk); if (live) process.stdout.write(chunk) })
  child.stderr.on('data', chunk => { if (live) process.stderr.write(chunk); else out.push(chunk) })
  return new Promise(resolve => {
    child.on('exit', (code, signal) => { resolve({ code: code ?? (signal ? 1 : 0), text: Buffer.concat(out).toString('utf8'), live }) })
  })
}

/** A lane's count from its runner's closing lines (`ℹ pass 12`). */
function total (text, what) {
  const m = [...text.matchAll(new RegExp(`^ℹ ${what} (\\d+)$`, 'gm'))].at(-1)
  return m === undefined ? 0 : Number(m[1])
}

const results = await Promise.all(lanes.map(runLane))
for (const r of results) if (!r.live) process.stdout.write(`\n--- ${lan.length} files that mostly wait: the LAN scenarios and peers asleep (run beside the others) ---\n${r.text}`)
if (results.length > 1) {
  const passed = results.reduce((n, r) => n + total(r.text, 'pass'), 0)
  const failed = results.reduce((n, r) => n + total(r.text, 'fail'), 0)
  process.stdout.write(`\ntests: ${passed} passed, ${failed} failed\n`)
}
process.exit(results.some(r => r.code !== 0) ? 1 : 0)
