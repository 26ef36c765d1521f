/**
 * The single-machine reference run (reference-run.ts) in a child process, so a test can compute
 * it while its peers work instead of after them: the test's own event loop stays free to watch
 * the peers, and the run uses a core the peers leave idle while they start, sync or wait.
 *
 * As a script it reads `{ spec, strategyPath, csvPath, top }` as JSON on stdin and writes the
 * leaderboard as JSON on stdout.
 */
import { spawn } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { realpathSync } from 'node:fs'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { importCandles } from '../../src/engine/data/import-candles.js'
import type { JobSpec, LeaderboardRow } from '../../src/protocol/job-spec.js'
import { referenceLeaderboard } from './reference-run.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const SELF = fileURLToPath(import.meta.url)
/** Far above a test job's reference run; a run this long is stuck and is killed. */
export const REFERENCE_TIMEOUT_MS = 120_000

interface Request { readonly spec: JobSpec, readonly strategyPath: string, readonly csvPath: string, readonly top: number }

/** Starts the reference run of `spec` on the CSV in a child process; resolves with its leaderboard. */
export async function referenceInChild (spec: JobSpec, strategyPath: string, csvPath: string, top = 10): Promise<LeaderboardRow[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] })
  const timer = setTimeout(() => { child.kill('SIGKILL') }, REFERENCE_TIMEOUT_MS)
  // A test that ends first (it failed) must not leave the run behind.
  const onExit = (): void => { child.kill('SIGKILL') }
  process.once('exit', onExit)
  let out = ''
  let err = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { err += s })
  child.stdin.end(JSON.stringify({ spec, strategyPath, csvPath, top } satisfies Request))
  try {
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(resolve => { child.once('exit', (c, s) => { resolve([c, s]) }) })
    if (code !== 0) throw new Error(`the reference run exited with ${code ?? signal}: ${err.slice(-2000)}`)
    return JSON.parse(out) as LeaderboardRow[]
  } finally {
    clearTimeout(timer)
    process.off('exit', onExit)
  }
}

async function main (): Promise<void> {
  let text = ''
  for await (const chunk of process.stdin) text += String(chunk)
  const req = JSON.parse(text) as Request
  const candles = importCandles(await readFile(req.csvPath), 'candles.csv').candles
  process.stdout.write(JSON.stringify(await referenceLeaderboard(req.spec, req.strategyPath, candles, req.top)))
}

if (process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) await main()
