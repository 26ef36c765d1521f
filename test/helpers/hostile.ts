/**
 * Drives a hostile member (scripts/lan/hostile-member.ts) inside one host of a test LAN: it has
 * the mesh secret, finds the mesh by mDNS like any peer, and sends what a compromised machine
 * could. Each method is one command, answered or failed within a bound; stop() ends the process
 * by pid (its group), and the LAN's own teardown kills whatever still runs in the namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { DEFAULT_LAN_SECRET, type LanHost } from '../../scripts/lan/lan.js'
import { peerSecretEnv, REPO_ROOT, tsScriptArgv } from '../../scripts/lan/peer-launch.js'

/** tsx compiling the libp2p stack on a loaded 2-core box takes a while. */
const START_TIMEOUT_MS = 30_000
/** Most commands are one gossip publish; pulling a ledger is a few round trips. */
const COMMAND_TIMEOUT_MS = 30_000
const STOP_TIMEOUT_MS = 5_000

/** A fitness no honest unit of a test job reaches: a leaderboard row showing it is the garbage. */
export const GARBAGE_FITNESS = 1_000_000

export interface UnitRef { readonly jobId: string, readonly island: number, readonly epoch: number }
export interface LedgerSummary {
  readonly jobs: string[]
  readonly commits: Array<UnitRef & { author: string, hlc: [number, number], checkpointHash: string }>
}

export interface HostileMember {
  /** The libp2p peer id it connects with; entries signed with key 0 carry it as their author. */
  readonly peerId: string
  /** Its two author ids: key 0 (= peerId) and a second identity of the same member. */
  authors (): Promise<string[]>
  /** Waits until it is connected to these peers and they subscribe to the ledger topic. */
  waitMesh (peerIds: readonly string[], timeoutMs?: number): Promise<void>
  /** Reads the mesh's ledger from one peer (it needs the honest checkpoints to corrupt them). */
  pull (peerId: string): Promise<LedgerSummary>
  hello (key?: number): Promise<void>
  /** Commits `unit` with a wrong checkpoint: the honest one of `template` (default: the unit) with a garbage winner. */
  commitWrong (unit: UnitRef, opts?: { key?: number, template?: UnitRef }): Promise<{ author: string, seq: number, checkpointHash: string }>
  /** Signs two different entries at its next seq and gossips both. */
  equivocate (key?: number): Promise<{ author: string, seq: number }>
  /** Gossips an entry in `author`'s name with a signature that is not theirs. */
  forge (author: string): Promise<void>
  oversizedEntry (): Promise<void>
  oversizedGossip (): Promise<void>
  /** From now on, answers sync range requests with a frame over the size cap. */
  oversizedSync (): Promise<void>
  stop (): Promise<void>
}

export async function startHostile (host: LanHost, secret = DEFAULT_LAN_SECRET): Promise<HostileMember> {
  const child = spawn('ip', ['netns', 'exec', host.net.ns, ...tsScriptArgv('scripts/lan/hostile-member.ts')],
    { cwd: REPO_ROOT, detached: true, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...peerSecretEnv({ secret }) } })
  const driver = new Driver(child)
  try {
    await driver.ready()
  } catch (err) {
    await driver.stop()
    throw err
  }
  return driver
}

interface Pending { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }

class Driver implements HostileMember {
  peerId = ''
  private readonly child: ChildProcess
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private stderr = ''
  private onReady: ((id: string) => void) | undefined
  private readonly exited: Promise<void>

  constructor (child: ChildProcess) {
    this.child = child
    child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000) })
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', line => {
      let msg: { id?: number, ok?: boolean, value?: unknown, error?: string, ready?: boolean, peerId?: string }
      try { msg = JSON.parse(line) } catch { return }
      if (msg.ready === true) { this.onReady?.(msg.peerId as string); return }
      const p = this.pending.get(msg.id as number)
      if (p === undefined) return
      this.pending.delete(msg.id as number)
      clearTimeout(p.timer)
      if (msg.ok === true) p.resolve(msg.value)
      else p.reject(new Error(`hostile member: ${msg.error ?? 'failed'}`))
    })
    this.exited = new Promise(resolve => {
      child.once('exit', () => {
        for (const [id, p] of this.pending) { clearTimeout(p.timer); p.reject(new Error(`the hostile member exited: ${this.stderr.trim()}`)); this.pending.delete(id) }
        resolve()
      })
    })
  }

  async ready (): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    this.peerId = await new Promise<string>((resolve, reject) => {
      timer = setTimeout(() => { reject(new Error(`the hostile member did not start within ${START_TIMEOUT_MS} ms: ${this.stderr.trim()}`)) }, START_TIMEOUT_MS)
      this.onReady = resolve
      void this.exited.then(() => { reject(new Error(`the hostile member exited while starting: ${this.stderr.trim()}`)) })
    }).finally(() => { clearTimeout(timer) })
  }

  private async cmd<T> (op: string, args: Record<string, unknown> = {}, timeoutMs = COMMAND_TIMEOUT_MS): Promise<T> {
    const id = this.nextId++
    return await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.pending.delete(id); reject(new Error(`hostile member: no answer to ${op} within ${timeoutMs} ms`)) }, timeoutMs)
      this.pending.set(id, { resolve: v => { resolve(v as T) }, reject, timer })
      this.child.stdin?.write(JSON.stringify({ id, op, ...args }) + '\n')
    })
  }

  async authors (): Promise<string[]> { return (await this.cmd<{ authors: string[] }>('whoami')).authors }
  async waitMesh (peers: readonly string[], timeoutMs = 30_000): Promise<void> { await this.cmd('wait-mesh', { peers, timeoutMs }, timeoutMs + 5_000) }
  async pull (peer: string): Promise<LedgerSummary> { return await this.cmd('pull', { peer }) }
  async hello (key = 0): Promise<void> { await this.cmd('hello', { key }) }
  async commitWrong (unit: UnitRef, opts: { key?: number, template?: UnitRef } = {}): Promise<{ author: string, seq: number, checkpointHash: string }> {
    return await this.cmd('commit-wrong', { unit, key: opts.key ?? 0, fitness: GARBAGE_FITNESS, ...(opts.template === undefined ? {} : { template: opts.template }) })
  }

  async equivocate (key = 0): Promise<{ author: string, seq: number }> { return await this.cmd('equivocate', { key }) }
  async forge (author: string): Promise<void> { await this.cmd('forge', { as: author }) }
  async oversizedEntry (): Promise<void> { await this.cmd('oversized-entry') }
  async oversizedGossip (): Promise<void> { await this.cmd('oversized-gossip') }
  async oversizedSync (): Promise<void> { await this.cmd('oversized-sync') }

  async stop (): Promise<void> {
    const pid = this.child.pid
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return
    this.child.stdin?.end()
    let timer: NodeJS.Timeout | undefined
    const ended = await Promise.race([this.exited.then(() => true), new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(false) }, STOP_TIMEOUT_MS) })])
    clearTimeout(timer)
    if (!ended) {
      try { process.kill(-pid, 'SIGKILL') } catch {}
      await this.exited
    }
  }
}
