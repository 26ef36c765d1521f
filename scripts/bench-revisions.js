#!/usr/bin/env node
// Runs one benchmark at two git revisions side by side, rounds interleaved (A B, B A, A B, ...),
// so a change is measured against what came before it under the same machine load. Each revision
// is checked out into a temporary git worktree that shares this checkout's node_modules; the
// worktrees are removed at the end, also on failure.
// Usage: node scripts/bench-revisions.js <revA> <revB> <bench file name> [rounds=5] [-- bench args]
// Prints each run's output under a `## <rev> round N` heading; read the figures from there.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const dash = process.argv.indexOf('--')
const args = dash < 0 ? process.argv.slice(2) : process.argv.slice(2, dash)
const benchArgs = dash < 0 ? [] : process.argv.slice(dash + 1)
const [revA, revB, bench, roundsText = '5'] = args
const rounds = Number(roundsText)
if (revA === undefined || revB === undefined || bench === undefined || !Number.isInteger(rounds) || rounds < 1 || rounds > 50) {
  console.error('usage: node scripts/bench-revisions.js <revA> <revB> <bench file name> [rounds 1-50] [-- bench args]')
  process.exit(2)
}

const git = (...a) => execFileSync('git', a, { cwd: root, encoding: 'utf8' }).trim()
const base = mkdtempSync(join(tmpdir(), 'stratmesh-bench-'))
const trees = []
try {
  for (const [i, rev] of [revA, revB].entries()) {
    const dir = join(base, `rev${i}`)
    git('worktree', 'add', '--detach', dir, git('rev-parse', '--verify', `${rev}^{commit}`))
    trees.push({ rev, dir })
    symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  }
  let failed = 0
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? trees : [...trees].reverse()
    for (const { rev, dir } of order) {
      console.log(`\n## ${rev} round ${round}\n`)
      const r = spawnSync(process.execPath, ['--import', 'tsx', join('bench', bench), ...benchArgs], { cwd: dir, stdio: 'inherit' })
      if (r.status !== 0) { failed++; console.error(`${bench} at ${rev} failed (exit ${r.status ?? r.signal})`) }
    }
  }
  process.exitCode = failed === 0 ? 0 : 1
} finally {
  for (const { dir } of trees) {
    try { git('worktree', 'remove', '--force', dir) } catch (err) { console.error(`could not remove worktree ${dir}: ${err.message}`) }
  }
  rmSync(base, { recursive: true, force: true })
}
