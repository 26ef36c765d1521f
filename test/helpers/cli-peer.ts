/**
 * Peers as the user runs them: `node bin/peer.js start` child processes on 127.0.0.1 (never mDNS),
 * each in its own process group so a test can freeze, kill or stop a peer together with its
 * evaluators, and the CLI's other commands run against them as child processes too.
 *
 * `cliMesh(t)` owns every process and data dir it starts: when the test ends (pass or fail) every
 * process group still alive is SIGKILLed by its pid and the dirs are removed; a process-exit hook
 * does the same should the test runner itself be cut short. Needs a current build (`npm run build`).
 *
 * Waits poll the peer's local API in this process (the CLI's own client), not through a child
 * process per question: a Node start every few hundred ms would crowd a 2-core machine. What a
 * test asserts about the user's view it asks through the CLI (`status --json`, `results --json`).
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { connectToPeer } from '../../src/node/api/client.js'
import type { PeerStatus, ResultsView, SubmitRequest } from '../../src/node/peer-types.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import type { LeaderboardRow, JobSpec } from '../../src/protocol/job-spec.js'
import { referenceInChild } from './reference-child.js'
import { waitFor } from './wait-for.js'
import { REPO_ROOT, runPeerCli, type CliRun } from './run-cli.js'
import { candlesCsv } from './candles-csv.js'
import { liveProcesses } from './process-table.js'

export { REPO_ROOT, type CliRun }

const PEER_BIN = join(REPO_ROOT, 'bin', 'peer.js')
if (!existsSync(join(REPO_ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('the CLI is not built: run `npm run build` before the cli-mesh tests')
export const STRATEGY = join(REPO_ROOT, 'strategies', 'sma-cross.ts')
export const CLI_SECRET = 'cli mesh test secret'
/** A CLI command that runs longer is hung; the test fails instead of waiting for ever. */
export const CLI_TIMEOUT_MS = 60_000
/** A peer that has not opened its local API by then did not start (2 shared cores, libp2p import). */
export const PEER_START_TIMEOUT_MS = 30_000
/** A graceful stop releases leases, syncs once and ends evaluators: seconds, not tens of seconds. */
export const PEER_STOP_TIMEOUT_MS = 20_000
/** SIGKILL ends a process at once; this only bounds the wait should the kernel take its time. */
const KILL_WAIT_MS = 10_000
/** How long exited() waits, after the exit, for the rest of a peer's output. */
const OUTPUT_DRAIN_MS = 2_000
/** Kept of each peer's output, for the failure report. */
const LOG_KEEP_CHARS = 64 * 1024
const LOG_KEEP_LINES = 2000

/** Runs `peer <args>` from the build as a child process; SIGKILLed if it outlives `timeoutMs`. */
export async function runCli (args: readonly string[], timeoutMs = CLI_TIMEOUT_MS, env: Record<string, string> = {}): Promise<CliRun> {
  return await runPeerCli(args, { timeoutMs, env: cliEnv(env) })
}

/** The environment of every child: none of the user's stratmesh settings leak into a test. */
function cliEnv (extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra }
  for (const k of ['STRATMESH_SECRET', 'STRATMESH_DATA_DIR', 'STRATMESH_DEBUG', 'DEBUG']) if (!(k in extra)) delete env[k]
  return env
}

/** `promise`, or a rejection naming `what` once `ms` have passed. */
async function within<T> (promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => { reject(new Error(`timed out after ${ms} ms waiting for ${what}`)) }, ms) })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Parses a command's JSON stdout, failing with its stderr when it did not succeed. */
export function jsonOf<T> (r: CliRun, what: string): T {
  assert.equal(r.code, 0, `${what} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

/**
 * A peer's top 10 of a job as `peer results --json` prints it. With `waitMs`, `--wait`: the CLI
 * polls the peer every second until every unit is committed, bounded by that timeout.
 */
export async function resultsViaCli (p: CliPeer, jobId: string, waitMs?: number): Promise<ResultsView> {
  const wait = waitMs === undefined ? [] : ['--wait']
  return jsonOf<ResultsView>(await p.cli(['results', jobId, '--json', ...wait, '--top', '10'], waitMs), `${p.name} results${wait.length === 0 ? '' : ' --wait'}`)
}

/** PIDs of the live processes in a process group. */
export async function groupPids (pgid: number): Promise<number[]> {
  return liveProcesses().filter(r => r.pgid === pgid).map(r => r.pid)
}

/** Those of `pids` that are still live processes. */
export async function livePids (pids: readonly number[]): Promise<number[]> {
  const live = new Set(liveProcesses().map(r => r.pid))
  return pids.filter(p => live.has(p))
}

export interface CliPeerOptions {
  readonly name: string
  readonly bootstrap?: readonly string[]
  readonly secret?: string
  /** How `peer start` gets the secret: STRATMESH_SECRET (default) or `--secret-file` (a 0600 file beside the data dir). */
  readonly secretVia?: 'env' | 'file'
  /** Seconds, as `--lease-ttl` takes it. */
  readonly leaseTtl?: number
  readonly cpus?: number
  /** `--cache-mb` (default: none, the peer's memory plan decides). */
  readonly cacheMb?: number
  /** Extra environment for `peer start` (e.g. DEBUG for libp2p's loggers). */
  readonly env?: Record<string, string>
}

export interface CliPeer {
  readonly name: string
  readonly dataDir: string
  /** The running process's pid, which is also its process group id; undefined when not running. */
  readonly pid: number | undefined
  /** Everything the process wrote to stdout and stderr (the tail). */
  log (): string
  /** Lines written since `since` (ms since the epoch), with when this process read each one. */
  linesSince (since: number): Array<{ readonly at: number, readonly text: string }>
  /** Starts `peer start` (again, on the same data dir after a stop or kill) and waits for its API. */
  start (): Promise<void>
  /** Its listen multiaddr with /p2p/ id, as `peer status --json` reports it. */
  address (): Promise<string>
  /** `peer <args> --data-dir <its dir>`. */
  cli (args: readonly string[], timeoutMs?: number): Promise<CliRun>
  /** Asked through the local API in this process (for waits; see the file comment). */
  status (): Promise<PeerStatus>
  results (jobId?: string, top?: number): Promise<ResultsView>
  /** Sends a signal to the whole process group (the peer and its evaluators). */
  signalGroup (sig: NodeJS.Signals): void
  /** Sends a signal to the peer process only. */
  signal (sig: NodeJS.Signals): void
  /** SIGKILLs the whole group and waits for every process of it to be gone. */
  kill (): Promise<void>
  /** How the current process ended; rejects if it has not within `timeoutMs` (default PEER_STOP_TIMEOUT_MS). */
  exited (timeoutMs?: number): Promise<{ code: number | null, signal: NodeJS.Signals | null }>
}

export interface CliMesh {
  readonly peers: CliPeer[]
  /** Creates a peer with a fresh data dir and starts it. */
  add (options: CliPeerOptions): Promise<CliPeer>
  /** Every peer's log tail, for a failure report. */
  tails (chars?: number): string
}

const liveGroups = new Set<number>()
process.on('exit', () => { for (const pgid of liveGroups) { try { process.kill(-pgid, 'SIGKILL') } catch {} } })

/** A set of CLI peers torn down when `t` ends; on failure their logs are printed. */
export function cliMesh (t: TestContext): CliMesh {
  const peers: CliPeerImpl[] = []
  const dirs: string[] = []
  const mesh: CliMesh = {
    peers,
    async add (options) {
      const dataDir = await mkdtemp(join(tmpdir(), `stratmesh-cli-${options.name}-`))
      const p = new CliPeerImpl(dataDir, options)
      dirs.push(dataDir, p.secretFile)
      peers.push(p)
      await p.start()
      return p
    },
    tails (chars = 4000) {
      return peers.map(p => `--- ${p.name} (${p.dataDir}) ---\n${p.log().slice(-chars)}`).join('\n')
    },
  }
  t.after(async () => {
    const killed = await Promise.allSettled(peers.map(async p => { await p.kill() }))
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
    const failed = killed.find(r => r.status === 'rejected')
    if (failed !== undefined) throw failed.reason
  })
  return mesh
}

/**
 * Runs `fn` with a fresh mesh; on failure prints every peer's log tail (what a multi-process
 * failure needs to explain itself) before the error propagates; always with STRATMESH_CLI_MESH_VERBOSE=1.
 */
export async function withCliMesh (t: TestContext, fn: (mesh: CliMesh) => Promise<void>): Promise<void> {
  const mesh = cliMesh(t)
  try {
    await fn(mesh)
  } catch (err) {
    process.stderr.write(`\n${mesh.tails()}\n`)
    throw err
  }
  if (process.env.STRATMESH_CLI_MESH_VERBOSE === '1') process.stderr.write(`\n${mesh.tails()}\n`)
}

class CliPeerImpl implements CliPeer {
  readonly name: string
  readonly dataDir: string
  private readonly options: CliPeerOptions
  private child: ChildProcess | undefined
  private exit: Promise<{ code: number | null, signal: NodeJS.Signals | null }> = Promise.resolve({ code: null, signal: null })
  /** Settles once the child's output pipes have closed (after 'exit', its last lines may still be in them). */
  private outputClosed: Promise<void> = Promise.resolve()
  private output = ''
  private partial = ''
  private readonly lines: Array<{ readonly at: number, readonly text: string }> = []

  constructor (dataDir: string, options: CliPeerOptions) {
    this.name = options.name
    this.dataDir = dataDir
    this.options = options
  }

  /** Where `secretVia: 'file'` keeps the secret: beside the data dir, removed with it. */
  get secretFile (): string { return `${this.dataDir}.secret` }

  get pid (): number | undefined {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined
  }

  log (): string { return this.output }

  linesSince (since: number): Array<{ readonly at: number, readonly text: string }> {
    return this.lines.filter(l => l.at >= since)
  }

  private append (text: string): void {
    this.output = (this.output + text).slice(-LOG_KEEP_CHARS)
    const parts = (this.partial + text).split('\n')
    this.partial = parts.pop() ?? ''
    const at = Date.now()
    for (const line of parts) this.lines.push({ at, text: line })
    if (this.lines.length > LOG_KEEP_LINES) this.lines.splice(0, this.lines.length - LOG_KEEP_LINES)
  }

  async start (): Promise<void> {
    if (this.pid !== undefined) throw new Error(`${this.name} is already running (pid ${this.pid})`)
    const o = this.options
    const args = [PEER_BIN, 'start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', this.dataDir, '--name', o.name,
      '--cpus', String(o.cpus ?? 1)]
    // Never on the command line, where every local user could read it.
    const secret = o.secret ?? CLI_SECRET
    const secretEnv: Record<string, string> = {}
    if (o.secretVia === 'file') {
      await writeFile(this.secretFile, secret, { mode: 0o600 })
      args.push('--secret-file', this.secretFile)
    } else {
      secretEnv.STRATMESH_SECRET = secret
    }
    if (o.leaseTtl !== undefined) args.push('--lease-ttl', String(o.leaseTtl))
    if (o.cacheMb !== undefined) args.push('--cache-mb', String(o.cacheMb))
    if (o.bootstrap !== undefined && o.bootstrap.length > 0) args.push('--bootstrap', ...o.bootstrap)
    this.append(`[test] ${new Date().toISOString()} peer ${args.slice(1).join(' ')}\n`)
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: cliEnv({ ...secretEnv, ...o.env }) })
    if (child.pid === undefined) throw new Error(`${this.name}: could not spawn peer start`)
    const pid = child.pid
    liveGroups.add(pid)
    this.child = child
    child.stdout?.setEncoding('utf8').on('data', (s: string) => { this.append(s) })
    child.stderr?.setEncoding('utf8').on('data', (s: string) => { this.append(s) })
    this.outputClosed = new Promise(resolve => { child.once('close', () => { resolve() }) })
    this.exit = new Promise(resolve => {
      child.once('exit', (code, signal) => {
        this.append(`[test] ${new Date().toISOString()} exited code ${code} signal ${signal}\n`)
        resolve({ code, signal })
      })
    })
    await waitFor(async () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${this.name} exited during start:\n${this.output.slice(-2000)}`)
      const client = await connectToPeer(this.dataDir)
      return client.info.pid === pid && (await client.status()).self.listen.length > 0
    }, { timeoutMs: PEER_START_TIMEOUT_MS, intervalMs: 100, message: `${this.name} to answer on its local API` }).catch(err => {
      throw new Error(`${(err as Error).message}\n${this.output.slice(-2000)}`, { cause: err })
    })
  }

  async address (): Promise<string> {
    const s = jsonOf<PeerStatus>(await this.cli(['status', '--json']), `${this.name} status`)
    const a = s.self.listen.find(l => l.startsWith('/ip4/127.0.0.1/tcp/'))
    assert.ok(a !== undefined && a.includes('/p2p/'), `${this.name} listens on 127.0.0.1 with its peer id: ${s.self.listen.join(' ')}`)
    return a
  }

  async cli (args: readonly string[], timeoutMs?: number): Promise<CliRun> {
    return await runCli([...args, '--data-dir', this.dataDir], timeoutMs)
  }

  async status (): Promise<PeerStatus> { return await (await connectToPeer(this.dataDir)).status() }
  async results (jobId?: string, top = 10): Promise<ResultsView> { return await (await connectToPeer(this.dataDir)).results(jobId, top) }

  signalGroup (sig: NodeJS.Signals): void {
    const pid = this.pid
    if (pid === undefined) throw new Error(`${this.name} is not running`)
    process.kill(-pid, sig)
  }

  signal (sig: NodeJS.Signals): void {
    const pid = this.pid
    if (pid === undefined) throw new Error(`${this.name} is not running`)
    process.kill(pid, sig)
  }

  async kill (): Promise<void> {
    const pid = this.child?.pid
    if (pid === undefined || !liveGroups.has(pid)) return
    // Once the peer has exited, its group id is ours to signal only while processes of it live.
    const exited = this.child?.exitCode !== null || this.child?.signalCode !== null
    if (exited && (await groupPids(pid)).length === 0) { liveGroups.delete(pid); return }
    // The group, not just the peer: evaluators and the reaper must go too, even from a frozen peer.
    try { process.kill(-pid, 'SIGKILL') } catch {}
    await within(this.exit, KILL_WAIT_MS, `${this.name} to die`)
    await waitFor(async () => (await groupPids(pid)).length === 0, { timeoutMs: KILL_WAIT_MS, intervalMs: 50, message: `every process of ${this.name}'s group to end` })
    liveGroups.delete(pid)
  }

  async exited (timeoutMs = PEER_STOP_TIMEOUT_MS): Promise<{ code: number | null, signal: NodeJS.Signals | null }> {
    const r = await within(this.exit, timeoutMs, `${this.name} to exit`)
    // Its last lines ("peer stopped") may still be in the pipes: read them, for a bounded moment
    // (a process of its group still holding the pipes open must not hang the test here).
    await Promise.race([this.outputClosed, new Promise(resolve => setTimeout(resolve, OUTPUT_DRAIN_MS))])
    const pid = this.child?.pid
    if (pid !== undefined && (await groupPids(pid)).length === 0) liveGroups.delete(pid)
    return r
  }
}

/** Waits until every peer sees every other one connected; returns the ms it took. */
export async function waitFullMesh (peers: readonly CliPeer[], timeoutMs = 20_000): Promise<number> {
  const start = Date.now()
  const ids = await Promise.all(peers.map(async p => (await p.status()).self.id))
  await waitFor(async () => {
    const views = await Promise.all(peers.map(async p => await p.status()))
    return views.every((v, i) => ids.every((id, j) => i === j || v.peers.some(q => q.id === id && q.connected)))
  }, { timeoutMs, intervalMs: 100, message: `a full mesh of ${peers.map(p => p.name).join(', ')}` })
  return Date.now() - start
}

/** Writes synthetic candles as CSV; returns the path. */
export async function writeCandlesCsv (dir: string, bars: number, fileName = 'candles.csv'): Promise<string> {
  const path = join(dir, fileName)
  await writeFile(path, candlesCsv(syntheticCandles({ bars })))
  return path
}

/** `peer submit` options for a request (the same job, asked through the CLI). */
export function submitArgs (req: SubmitRequest): string[] {
  const args = ['submit', req.strategyPath, '--data', req.data, '--json']
  const flags: Array<[keyof SubmitRequest, string]> = [['islands', '--islands'], ['population', '--population'], ['generations', '--generations'], ['epochs', '--epochs'], ['seed', '--seed'], ['minTrades', '--min-trades']]
  for (const [k, flag] of flags) if (req[k] !== undefined) args.push(flag, String(req[k]))
  return args
}

/**
 * Starts computing the single-machine leaderboard of a job on this CSV (the sma-cross strategy)
 * in a child process; the promise never rejects unhandled, so a test may await it much later.
 */
export function singleMachineLeaderboard (spec: JobSpec, csvPath: string, top = 10): Promise<LeaderboardRow[]> {
  const run = referenceInChild(spec, STRATEGY, csvPath, top)
  run.catch(() => {})
  return run
}
