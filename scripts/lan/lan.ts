/**
 * A test LAN: hosts (network namespaces on one bridge), one peer per host with its own data dir
 * and real mDNS, a log per peer, and the faults a real network of laptops has: sleep (SIGSTOP /
 * SIGCONT of the peer's whole process group), crash (SIGKILL) and restart on the same data dir,
 * an unplugged cable, packet loss, and a slow lossy link (delay-link.ts: the kernel here has no
 * netem). destroy() stops every process by pid (the links' relays too) and deletes every
 * namespace; it also runs on process exit and on SIGINT/SIGTERM, and a new LAN first sweeps away
 * namespaces left by a run that was killed.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { rmSync } from 'node:fs'
import { mkdtemp, mkdir, open, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import type { PeerStatus, ResultsView, SubmitRequest, SubmitResult } from '../../src/node/peer-types.js'
import { createLanNet, destroyLanNet, destroyLanNetSync, plugIn, runPrefix, setPacketLoss, sweepStale, tcpReachable, tcpRoundTripMs, unplug, type HostNet, type LanNet } from './netns.js'
import type { LinkCounts, LinkShape } from './delay-link.js'
import { agentArgv, defaultLaunch, peerArgv, queryVia, REPO_ROOT, type PeerLaunch } from './peer-launch.js'

/** A peer starts in about a second; on a loaded 2-core box with tsx compiling, give it more. */
export const PEER_START_TIMEOUT_MS = 30_000
/** A graceful stop releases leases and syncs once; past this the group is killed. */
export const PEER_STOP_TIMEOUT_MS = 10_000
/** A query answers from memory; a frozen or dead peer must not hang the caller. */
export const QUERY_TIMEOUT_MS = 15_000
/** The mesh secret of every peer of a LAN unless the LAN or the start says otherwise. */
export const DEFAULT_LAN_SECRET = 'stratmesh lan test secret'
/** How long a killed process may take to be reaped. */
const EXIT_WAIT_MS = 5_000

export interface LanOptions {
  /** Mesh secret every peer gets unless start() is given another. */
  readonly secret?: string
  /** Evaluators per peer (1: the box has 2 shared cores). */
  readonly cpus?: number
  readonly leaseTtlMs?: number
  readonly launch?: PeerLaunch
  /** Keep the run directory (data dirs and logs) after destroy. */
  readonly keep?: boolean
  /** DEBUG for every peer (e.g. 'stratmesh:*,libp2p:mdns*'); its lines go to the peer's log. */
  readonly debug?: string
  /** Where harness events go (default: nowhere). */
  readonly log?: (line: string) => void
  /** Joins one host to the bridge by a slow, lossy link (delay and loss each way) instead of a veth. */
  readonly delayed?: DelayedHost
}

export interface DelayedHost extends LinkShape {
  /** Index of the host. */
  readonly host: number
}

export interface StartOptions {
  readonly secret?: string
  readonly clockOffsetMs?: number
  /** Test only (runner launch): the peer pretends to run this engine version. */
  readonly engineVersion?: string
}

export interface LanHost {
  readonly index: number
  readonly name: string
  readonly net: HostNet
  readonly dataDir: string
  readonly logPath: string
  /** Pid of the running peer (its process group leader), undefined when none runs. */
  readonly pid: number | undefined
  readonly frozen: boolean
  /** Starts the peer and resolves once its local API answers. */
  start (opts?: StartOptions): Promise<void>
  /** Graceful stop (SIGTERM), killing the group if it does not end in time. */
  stop (): Promise<void>
  /** A crash: SIGKILL to the peer and its evaluators. The data dir stays for a restart. */
  kill (): Promise<void>
  /** The machine sleeps: every process of the peer is stopped where it is. */
  freeze (): void
  thaw (): void
  /** The cable is pulled: the host's bridge port goes down. */
  unplug (): Promise<void>
  plugIn (): Promise<void>
  setPacketLoss (percent: number): Promise<void>
  /** Whether a TCP connection from this host to `other` gets through right now. */
  reaches (other: LanHost): Promise<boolean>
  /** The TCP round trip from this host to `other`, in ms (the smallest of a few echoes). */
  roundTripMs (other: LanHost): Promise<number>
  /** Frames forwarded and dropped by this host's delay link (LAN_NO_DELAY_LINK when it has none). */
  linkCounts (): Promise<LinkCounts>
  status (): Promise<PeerStatus>
  results (job?: string, top?: number): Promise<ResultsView>
  submit (req: SubmitRequest): Promise<SubmitResult>
  /** The peer's log so far (all its runs on this data dir). */
  readLog (): Promise<string>
}

export interface Lan {
  readonly dir: string
  readonly net: LanNet
  readonly hosts: readonly LanHost[]
  readonly launch: PeerLaunch
  startAll (opts?: StartOptions): Promise<void>
  /** The last lines of every peer's log, for a failing test to print. */
  tails (lines?: number): Promise<string>
  /** Stops everything and removes the namespaces (and the run dir unless `keep`). Idempotent. */
  destroy (): Promise<void>
}

function peerEnv (debug: string | undefined): NodeJS.ProcessEnv {
  const env = { ...process.env }
  // The test's own secret is passed explicitly; one from the environment must not leak in.
  delete env.STRATMESH_SECRET
  const d = debug ?? process.env.STRATMESH_LAN_DEBUG
  if (d !== undefined && d !== '') env.DEBUG = d
  else delete env.DEBUG
  return env
}

const live = new Set<LanImpl>()
let hooksInstalled = false

/** Last-resort clean-up: runs synchronously when the process exits or is interrupted. */
function installHooks (): void {
  if (hooksInstalled) return
  hooksInstalled = true
  process.on('exit', () => { for (const lan of live) lan.destroySync() })
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(sig, () => {
      for (const lan of live) lan.destroySync()
      process.kill(process.pid, sig)
    })
  }
}

export async function createLan (n: number, options: LanOptions = {}): Promise<Lan> {
  installHooks()
  const log = options.log ?? (() => {})
  const swept = await sweepStale()
  if (swept.length > 0) log(`removed namespaces of dead runs: ${swept.join(' ')}`)
  const prefix = runPrefix()
  const dir = await mkdtemp(join(tmpdir(), prefix))
  let net: LanNet
  try {
    const shapes = new Map<number, LinkShape>()
    if (options.delayed !== undefined) {
      const { host, ...shape } = options.delayed
      shapes.set(host, shape)
    }
    net = await createLanNet(n, uniquePrefix(prefix), shapes, log)
  } catch (err) {
    await rm(dir, { recursive: true, force: true })
    throw err
  }
  const lan = new LanImpl(dir, net, options)
  live.add(lan)
  try {
    for (const h of lan.hostImpls) await mkdir(h.dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    await lan.destroy()
    throw err
  }
  return lan
}

let lanCounter = 0
/** Two LANs in one process get distinct namespace names: smt<pid>-, smt<pid>-1-… */
function uniquePrefix (prefix: string): string {
  const k = lanCounter++
  return k === 0 ? prefix : `${prefix}${k}-`
}

class LanImpl implements Lan {
  readonly dir: string
  readonly net: LanNet
  readonly launch: PeerLaunch
  readonly hostImpls: HostImpl[]
  readonly options: LanOptions
  private destroying: Promise<void> | undefined

  constructor (dir: string, net: LanNet, options: LanOptions) {
    this.dir = dir
    this.net = net
    this.options = options
    this.launch = options.launch ?? defaultLaunch(options.leaseTtlMs === undefined ? {} : { leaseTtlMs: options.leaseTtlMs })
    this.hostImpls = net.hosts.map(h => new HostImpl(this, h))
  }

  get hosts (): readonly LanHost[] { return this.hostImpls }

  log (line: string): void { (this.options.log ?? (() => {}))(line) }

  async startAll (opts?: StartOptions): Promise<void> {
    await Promise.all(this.hostImpls.map(async h => { await h.start(opts) }))
  }

  async tails (lines = 40): Promise<string> {
    const out: string[] = []
    for (const h of this.hostImpls) {
      const text = await h.readLog().catch(() => '')
      out.push(`----- ${h.name} (${h.net.ns}, ${h.net.ip}) ${h.logPath}`, ...text.split('\n').slice(-lines))
    }
    return out.join('\n')
  }

  destroy (): Promise<void> {
    this.destroying ??= (async () => {
      await Promise.all(this.hostImpls.map(async h => { await h.stop().catch(() => {}) }))
      for (const h of this.hostImpls) h.closeAgent()
      for (const [i, link] of this.net.links) {
        const counts = await link.stop().catch(() => undefined)
        this.log(`h${i}: delay link ${link.pid} stopped${counts === undefined ? '' : `: ${JSON.stringify(counts)}`}`)
      }
      await destroyLanNet(this.net)
      live.delete(this)
      if (this.options.keep !== true) await rm(this.dir, { recursive: true, force: true })
      else this.log(`kept ${this.dir}`)
    })()
    return this.destroying
  }

  /** For exit and signal handlers: kill by pid and delete the namespaces, nothing asynchronous. */
  destroySync (): void {
    for (const h of this.hostImpls) h.killSync()
    destroyLanNetSync(this.net)
    live.delete(this)
    if (this.options.keep !== true) rmSync(this.dir, { recursive: true, force: true })
  }
}

function groupAlive (pgid: number): boolean {
  try { process.kill(-pgid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

interface Pending { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }

export class LanQueryError extends Error {
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

class HostImpl implements LanHost {
  readonly index: number
  readonly name: string
  readonly net: HostNet
  readonly dataDir: string
  readonly logPath: string
  frozen = false
  private readonly lan: LanImpl
  private child: ChildProcess | undefined
  private exited: Promise<void> | undefined
  private agent: ChildProcess | undefined
  private nextId = 1
  private readonly pending = new Map<number, Pending>()

  constructor (lan: LanImpl, net: HostNet) {
    this.lan = lan
    this.net = net
    this.index = net.index
    this.name = `h${net.index}`
    this.dataDir = join(lan.dir, this.name, 'data')
    this.logPath = join(lan.dir, this.name, 'peer.log')
  }

  get pid (): number | undefined { return this.child?.pid }

  async start (opts: StartOptions = {}): Promise<void> {
    if (this.child !== undefined) throw new Error(`${this.name}: a peer is already running`)
    const o = this.lan.options
    const argv = peerArgv(this.lan.launch, {
      dataDir: this.dataDir,
      name: this.name,
      secret: opts.secret ?? o.secret ?? DEFAULT_LAN_SECRET,
      cpus: o.cpus ?? 1,
      ...(o.leaseTtlMs === undefined ? {} : { leaseTtlMs: o.leaseTtlMs }),
      ...(opts.clockOffsetMs === undefined ? {} : { clockOffsetMs: opts.clockOffsetMs }),
      ...(opts.engineVersion === undefined ? {} : { engineVersion: opts.engineVersion }),
    })
    const fh = await open(this.logPath, 'a')
    // `ip netns exec` execs the command itself, so the child's pid is the peer's; detached makes
    // it a process group leader, so signals to -pid reach its evaluators too.
    const child = spawn('ip', ['netns', 'exec', this.net.ns, ...argv], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', fh.fd, fh.fd], env: peerEnv(o.debug) })
    await fh.close()
    this.child = child
    this.frozen = false
    this.exited = new Promise(resolve => {
      child.once('exit', (code, signal) => {
        this.lan.log(`${this.name}: peer ${child.pid} exited (${signal ?? code})`)
        if (this.child === child) { this.child = undefined; this.frozen = false }
        resolve()
      })
    })
    this.lan.log(`${this.name}: started peer ${child.pid} in ${this.net.ns} (${this.net.ip})`)
    const deadline = Date.now() + PEER_START_TIMEOUT_MS
    for (;;) {
      if (this.child !== child) throw new Error(`${this.name}: the peer exited while starting; see ${this.logPath}`)
      try {
        const st = await this.status()
        if (st.self.listen.length > 0) return
      } catch (err) {
        if (Date.now() > deadline) {
          await this.kill()
          throw new Error(`${this.name}: the peer did not answer within ${PEER_START_TIMEOUT_MS} ms (${(err as Error).message}); see ${this.logPath}`, { cause: err })
        }
      }
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }

  private signalGroup (sig: NodeJS.Signals): void {
    const pid = this.child?.pid
    if (pid === undefined) return
    try { process.kill(-pid, sig) } catch {}
  }

  private async waitExit (ms: number): Promise<boolean> {
    if (this.exited === undefined) return true
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<false>(resolve => { timer = setTimeout(() => { resolve(false) }, ms) })
    const done = await Promise.race([this.exited.then(() => true as const), timeout])
    clearTimeout(timer)
    return done
  }

  async stop (): Promise<void> {
    if (this.child === undefined) return
    if (this.frozen) this.thaw()
    // Only the peer gets SIGTERM: it ends its own evaluators, which is part of what is tested.
    try { this.child.kill('SIGTERM') } catch {}
    if (await this.waitExit(PEER_STOP_TIMEOUT_MS)) return
    this.lan.log(`${this.name}: no graceful stop within ${PEER_STOP_TIMEOUT_MS} ms; killing`)
    await this.kill()
  }

  async kill (): Promise<void> {
    const pid = this.child?.pid
    if (pid === undefined) return
    this.signalGroup('SIGKILL')
    if (!await this.waitExit(EXIT_WAIT_MS)) throw new Error(`${this.name}: peer ${pid} survived SIGKILL for ${EXIT_WAIT_MS} ms`)
    // The leader is reaped first; its evaluators die with it but are reaped by init a moment later.
    const deadline = Date.now() + EXIT_WAIT_MS
    while (groupAlive(pid)) {
      if (Date.now() > deadline) throw new Error(`${this.name}: processes of group ${pid} survived SIGKILL for ${EXIT_WAIT_MS} ms`)
      await new Promise(resolve => setTimeout(resolve, 50))
    }
  }

  killSync (): void {
    this.signalGroup('SIGKILL')
    try { this.agent?.kill('SIGKILL') } catch {}
  }

  freeze (): void {
    if (this.child === undefined) throw new Error(`${this.name}: no peer to freeze`)
    this.signalGroup('SIGSTOP')
    this.frozen = true
    this.lan.log(`${this.name}: frozen`)
  }

  thaw (): void {
    this.signalGroup('SIGCONT')
    this.frozen = false
    this.lan.log(`${this.name}: thawed`)
  }

  async unplug (): Promise<void> { await unplug(this.lan.net, this.net); this.lan.log(`${this.name}: unplugged`) }
  async plugIn (): Promise<void> { await plugIn(this.lan.net, this.net); this.lan.log(`${this.name}: plugged in`) }
  async setPacketLoss (percent: number): Promise<void> { await setPacketLoss(this.net, percent) }

  async reaches (other: LanHost): Promise<boolean> { return await tcpReachable(this.net, other.net) }
  async roundTripMs (other: LanHost): Promise<number> { return await tcpRoundTripMs(this.net, other.net) }

  async linkCounts (): Promise<LinkCounts> {
    const link = this.lan.net.links.get(this.index)
    if (link === undefined) throw new LanQueryError('LAN_NO_DELAY_LINK', `${this.name} is not on a delay link`)
    return await link.counts()
  }

  async status (): Promise<PeerStatus> { return await this.query('status') as PeerStatus }
  async results (job?: string, top = 10): Promise<ResultsView> { return await this.query('results', { ...(job === undefined ? {} : { job }), top }) as ResultsView }
  async submit (req: SubmitRequest): Promise<SubmitResult> { return await this.query('submit', { submit: req }, 120_000) as SubmitResult }

  async readLog (): Promise<string> { return await readFile(this.logPath, 'utf8') }

  private ensureAgent (): ChildProcess {
    if (this.agent !== undefined) return this.agent
    const agent = spawn('ip', ['netns', 'exec', this.net.ns, ...agentArgv()], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
    this.agent = agent
    createInterface({ input: agent.stdout as NodeJS.ReadableStream }).on('line', line => {
      let msg: { id: number, ok: boolean, value?: unknown, error?: { code: string, message: string } }
      try { msg = JSON.parse(line) } catch { return }
      const p = this.pending.get(msg.id)
      if (p === undefined) return
      this.pending.delete(msg.id)
      clearTimeout(p.timer)
      if (msg.ok) p.resolve(msg.value)
      else p.reject(new LanQueryError(msg.error?.code ?? 'ERROR', `${this.name}: ${msg.error?.message ?? 'query failed'}`))
    })
    agent.once('exit', () => {
      if (this.agent === agent) this.agent = undefined
      for (const [id, p] of this.pending) { clearTimeout(p.timer); p.reject(new LanQueryError('AGENT_EXITED', `${this.name}: the host agent exited`)); this.pending.delete(id) }
    })
    return agent
  }

  closeAgent (): void {
    const a = this.agent
    if (a === undefined) return
    a.stdin?.end()
    // The agent exits when its stdin closes; this is for one stuck in a query.
    setTimeout(() => { try { a.kill('SIGKILL') } catch {} }, 2_000).unref()
  }

  private async query (op: string, extra: Record<string, unknown> = {}, timeoutMs = QUERY_TIMEOUT_MS): Promise<unknown> {
    const agent = this.ensureAgent()
    const id = this.nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new LanQueryError('QUERY_TIMEOUT', `${this.name}: no answer to ${op} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      agent.stdin?.write(JSON.stringify({ id, op, dataDir: this.dataDir, via: queryVia(this.lan.launch), ...extra }) + '\n')
    })
  }
}
