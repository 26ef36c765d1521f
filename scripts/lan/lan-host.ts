/**
 * One host of the test LAN: its peer process (started in the host's namespace as a process group
 * leader, stopped, killed, frozen and thawed as a group), its network faults, and queries to the
 * peer through the host's agent.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { open, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PeerStatus, ResultsView, SubmitRequest, SubmitResult } from '../../src/node/peer-types.js'
import { plugIn, setPacketLoss, tcpReachable, tcpRoundTripMs, unplug, type HostNet, type LanNet } from './netns.js'
import type { LinkCounts } from './delay-link.js'
import { peerArgv, peerSecretEnv, queryVia, REPO_ROOT, type PeerLaunch } from './peer-launch.js'
import { AgentChannel, LanQueryError } from './agent-channel.js'
import type { LanHost, LanOptions, StartOptions } from './lan-types.js'

/** A peer starts in about a second; on a loaded 2-core box with tsx compiling, give it more. */
export const PEER_START_TIMEOUT_MS = 30_000
/** A graceful stop releases leases and syncs once; past this the group is killed. */
export const PEER_STOP_TIMEOUT_MS = 10_000
/** The mesh secret of every peer of a LAN unless the LAN or the start says otherwise. */
export const DEFAULT_LAN_SECRET = 'stratmesh lan test secret'
/** How long a killed process may take to be reaped. */
const EXIT_WAIT_MS = 5_000

/** What a host uses of its LAN. */
export interface HostContext {
  readonly dir: string
  readonly net: LanNet
  readonly launch: PeerLaunch
  readonly options: LanOptions
  log (line: string): void
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

function groupAlive (pgid: number): boolean {
  try { process.kill(-pgid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

export class HostImpl implements LanHost {
  readonly index: number
  readonly name: string
  readonly net: HostNet
  readonly dataDir: string
  readonly logPath: string
  frozen = false
  private readonly lan: HostContext
  private child: ChildProcess | undefined
  private exited: Promise<void> | undefined
  private readonly agent: AgentChannel

  constructor (lan: HostContext, net: HostNet) {
    this.lan = lan
    this.net = net
    this.index = net.index
    this.name = `h${net.index}`
    this.dataDir = join(lan.dir, this.name, 'data')
    this.logPath = join(lan.dir, this.name, 'peer.log')
    this.agent = new AgentChannel(this.name, net.ns)
  }

  get pid (): number | undefined { return this.child?.pid }

  async start (opts: StartOptions = {}): Promise<void> {
    if (this.child !== undefined) throw new Error(`${this.name}: a peer is already running`)
    const o = this.lan.options
    const spec = {
      dataDir: this.dataDir,
      name: this.name,
      secret: opts.secret ?? o.secret ?? DEFAULT_LAN_SECRET,
      cpus: o.cpus ?? 1,
      ...(o.cacheMb === undefined ? {} : { cacheMb: o.cacheMb }),
      ...(o.leaseTtlMs === undefined ? {} : { leaseTtlMs: o.leaseTtlMs }),
      ...(opts.clockOffsetMs === undefined ? {} : { clockOffsetMs: opts.clockOffsetMs }),
      ...(opts.engineBundleFile === undefined ? {} : { engineBundleFile: opts.engineBundleFile }),
    }
    const argv = peerArgv(this.lan.launch, spec)
    const fh = await open(this.logPath, 'a')
    // `ip netns exec` execs the command itself, so the child's pid is the peer's; detached makes
    // it a process group leader, so signals to -pid reach its evaluators too.
    const child = spawn('ip', ['netns', 'exec', this.net.ns, ...argv], { cwd: REPO_ROOT, detached: true, stdio: ['ignore', fh.fd, fh.fd], env: { ...peerEnv(o.debug), ...peerSecretEnv(spec) } })
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
    const startTimeoutMs = o.startTimeoutMs ?? PEER_START_TIMEOUT_MS
    const deadline = Date.now() + startTimeoutMs
    for (;;) {
      if (this.child !== child) throw new Error(`${this.name}: the peer exited while starting; see ${this.logPath}`)
      try {
        const st = await this.status()
        if (st.self.listen.length > 0) return
      } catch (err) {
        if (Date.now() > deadline) {
          await this.kill()
          throw new Error(`${this.name}: the peer did not answer within ${startTimeoutMs} ms (${(err as Error).message}); see ${this.logPath}`, { cause: err })
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
    this.agent.killSync()
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

  closeAgent (): void {
    this.agent.close()
  }

  private async query (op: string, extra: Record<string, unknown> = {}, timeoutMs?: number): Promise<unknown> {
    return await this.agent.query(op, { dataDir: this.dataDir, via: this.lan.options.queryVia ?? queryVia(this.lan.launch), ...extra }, timeoutMs)
  }
}
