/**
 * A test LAN: hosts (network namespaces on one bridge), one peer per host with its own data dir
 * and real mDNS, a log per peer, and the faults a real network of laptops has: sleep (SIGSTOP /
 * SIGCONT of the peer's whole process group), crash (SIGKILL) and restart on the same data dir,
 * an unplugged cable, packet loss, and a slow lossy link (delay-link.ts: the kernel here has no
 * netem). destroy() stops every process by pid (the links' relays too) and deletes every
 * namespace; it also runs on process exit and on SIGINT/SIGTERM, and a new LAN first sweeps away
 * namespaces left by a run that was killed.
 */
import { rmSync } from 'node:fs'
import { mkdtemp, mkdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLanNet, destroyLanNet, destroyLanNetSync, runPrefix, sweepStale, type LanNet } from './netns.js'
import type { LinkShape } from './delay-link.js'
import { defaultLaunch, type PeerLaunch } from './peer-launch.js'
import { HostImpl } from './lan-host.js'
import type { Lan, LanHost, LanOptions, StartOptions } from './lan-types.js'

export { DEFAULT_LAN_SECRET, PEER_START_TIMEOUT_MS, PEER_STOP_TIMEOUT_MS } from './lan-host.js'
export { LanQueryError, QUERY_TIMEOUT_MS } from './agent-channel.js'
export type { DelayedHost, Lan, LanHost, LanOptions, StartOptions } from './lan-types.js'

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
