/**
 * The README's main command: `peer start --demo` (run as `npm start -- --demo`) from the built
 * CLI, on the bundled strategy and data. It must show progress, print a leaderboard whose best
 * row made money in sample, stop by itself and exit 0.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { tempDir } from '../../helpers/temp-dir.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
/** The demo takes about half a minute on 2 busy cores; past this it is hung, not slow. */
const DEMO_TIMEOUT_MS = 300_000

test('peer start --demo: progress, then a leaderboard with a profitable in-sample best, then exit 0', { skip: existsSync(`${root}/dist/node/cli/main.js`) ? false : 'the CLI is not built (npm run build)', timeout: DEMO_TIMEOUT_MS + 10_000 }, async t => {
  const dir = await tempDir('stratmesh-demo-')
  const child = spawn(process.execPath, ['bin/peer.js', 'start', '--demo', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dir.path], {
    cwd: root,
    env: { ...process.env, STRATMESH_SECRET: '', STRATMESH_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  const started = Date.now()
  const code = await new Promise<number | null>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`the demo did not end within ${DEMO_TIMEOUT_MS} ms:\n${stdout.slice(-2000)}\n${stderr.slice(-2000)}`)) }, DEMO_TIMEOUT_MS)
    // 'close', not 'exit': at 'exit' the last lines ("peer stopped") may still be in the pipes.
    child.on('close', c => { clearTimeout(timer); resolve(c) })
  })
  const out = stdout + stderr
  assert.equal(code, 0, out.slice(-3000))
  t.diagnostic(`demo ran ${Date.now() - started} ms`)
  // Progress lines (plain mode: not a TTY) with the unit count going up.
  const progress = [...out.matchAll(/units (\d+)\/(\d+)/g)].map(m => Number(m[1]))
  assert.ok(progress.length > 0, 'progress is shown')
  assert.ok(progress.some(n => n > 0), 'units complete as it runs')
  // First machine: it says how other machines join.
  assert.match(out, /secret/i)
  // The leaderboard: header, ten rows, best first, in- and out-of-sample columns.
  const header = out.split('\n').findIndex(l => /^\s*#\s+fitness\s+DSR\s+plateau\s+IS sharpe.*OOS sharpe.*overfit/.test(l))
  assert.ok(header >= 0, `a leaderboard header in:\n${out.slice(-3000)}`)
  const rows = out.split('\n').slice(header + 2).filter(l => /^\s*\d+\s+-?\d/.test(l))
  assert.equal(rows.length, 10)
  const fitness = rows.map(l => Number(l.trim().split(/\s+/)[1]))
  assert.ok(fitness.every(Number.isFinite))
  assert.deepEqual([...fitness].sort((a, b) => b - a), fitness, 'ranked best first')
  assert.ok(fitness[0] > 0, `the best strategy of the demo makes money in sample (Sharpe ${fitness[0]})`)
  // The demo waits for the overfitting statistics: the header line has the trials and PBO, each row a DSR.
  assert.match(out, /^\d+ trials, PBO \d\.\d{3} over the top \d+ rows/m)
  const dsr = rows.map(l => Number(l.trim().split(/\s+/)[2]))
  assert.ok(dsr.every(x => x >= 0 && x <= 1), `a DSR on every row: ${dsr.join(' ')}`)
  assert.match(out, /peer stopped/)
})
