/**
 * The network of a test LAN: N hosts, each a network namespace with one veth into a bridge that
 * lives in a namespace of its own, a private /24 between them, and a multicast route in each host
 * so mDNS works. A host may instead hang on a slow, lossy link: two TAP devices and a relay
 * process between them (delay-link.ts). Nothing here touches the machine's real interfaces: every
 * link is created inside namespaces whose names start with the run's prefix, and every `ip` call
 * names its namespace.
 */
import { execFile, execFileSync, spawn } from 'node:child_process'
import { accessSync, constants, statSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { promisify } from 'node:util'
import { startDelayLink, type DelayLink, type LinkShape } from './delay-link.js'

const run = promisify(execFile)

/** One `ip`/`nft` call; these return in milliseconds, a hung one must not hang the test. */
export const NET_COMMAND_TIMEOUT_MS = 10_000
/** Linux limits interface names to 15 bytes; namespace names are ours, but we keep them short too. */
const MAX_PREFIX_CHARS = 10
/** Private /24 used inside the namespaces; it exists nowhere else, so any /24 is safe. */
export const LAN_SUBNET = '10.201.7'
/** Every prefix is `smt<pid>-`: the pid tells a stale namespace (its run is dead) from a live one. */
export const PREFIX_PATTERN = /^smt(\d+)-/

export class LanSetupError extends Error {
  readonly code = 'LAN_SETUP_FAILED'
}

export async function sh (cmd: string, args: readonly string[]): Promise<string> {
  try {
    const { stdout } = await run(cmd, args, { timeout: NET_COMMAND_TIMEOUT_MS })
    return stdout
  } catch (err) {
    const e = err as { stderr?: string, message: string }
    throw new LanSetupError(`${cmd} ${args.join(' ')} failed: ${(e.stderr ?? '').trim() || e.message}`, { cause: err })
  }
}

/** Synchronous twin of sh for exit and signal handlers, where nothing asynchronous runs. */
function shSync (cmd: string, args: readonly string[]): string {
  try {
    return execFileSync(cmd, args, { timeout: NET_COMMAND_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] }).toString()
  } catch {
    return ''
  }
}

export interface HostNet {
  readonly index: number
  /** Namespace name, e.g. smt1234-h0. */
  readonly ns: string
  /** The host's address on the LAN. */
  readonly ip: string
  /** The interface inside the host. */
  readonly dev: string
  /** The host's port on the bridge, inside the bridge namespace. */
  readonly bridgePort: string
  /** Set when the host is joined by a delay link instead of a veth. */
  readonly shape?: LinkShape
}

export interface LanNet {
  readonly prefix: string
  readonly bridgeNs: string
  readonly hosts: readonly HostNet[]
  /** The relay of each host joined by a delay link, by host index; stopped by destroyLanNet. */
  readonly links: ReadonlyMap<number, DelayLink>
}

export function runPrefix (pid = process.pid): string {
  const p = `smt${pid}-`
  if (p.length > MAX_PREFIX_CHARS + 1) throw new LanSetupError(`prefix ${p} is too long`)
  return p
}

/**
 * The first of `commands` that is on no directory of PATH, or undefined. The harness starts its
 * tools by name (`ip netns exec NS nft` too), so PATH is where they must be.
 */
export function missingCommand (...commands: string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(d => d !== '')
  const runnable = (path: string): boolean => {
    try {
      accessSync(path, constants.X_OK)
      return statSync(path).isFile()
    } catch {
      return false
    }
  }
  return commands.find(c => !dirs.some(d => runnable(join(d, c))))
}

/**
 * Why a LAN cannot be built here, or undefined when it can: the check creates and deletes one
 * namespace (root, iproute2, a kernel with namespaces), which is exactly what the harness needs.
 */
export async function lanUnavailableReason (): Promise<string | undefined> {
  if (process.platform !== 'linux') return `network namespaces need Linux (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'network namespaces need root (run the LAN tests as root or in CI)'
  if (missingCommand('ip') !== undefined) return 'iproute2 is not installed (no `ip` on PATH): the LAN is built with `ip netns`'
  const probe = `${runPrefix()}probe`
  try {
    await sh('ip', ['netns', 'add', probe])
  } catch (err) {
    return `cannot create a network namespace: ${(err as Error).message}`
  }
  await sh('ip', ['netns', 'del', probe]).catch(() => {})
  return undefined
}

export async function listNamespaces (): Promise<string[]> {
  const out = await sh('ip', ['netns', 'list'])
  return out.split('\n').map(l => l.trim().split(/\s+/)[0]).filter(n => n !== undefined && n !== '')
}

/** Pids of every process whose network namespace is `ns`. */
export async function namespacePids (ns: string): Promise<number[]> {
  const out = await sh('ip', ['netns', 'pids', ns]).catch(() => '')
  return out.split('\n').map(s => Number(s.trim())).filter(n => Number.isInteger(n) && n > 0)
}

function pidAlive (pid: number): boolean {
  try { process.kill(pid, 0); return true } catch (err) { return (err as NodeJS.ErrnoException).code === 'EPERM' }
}

/**
 * Removes namespaces of our prefix whose run is gone (a test killed with SIGKILL cannot clean up),
 * killing the processes left inside them first. Returns the names removed.
 */
export async function sweepStale (): Promise<string[]> {
  const removed: string[] = []
  for (const ns of await listNamespaces()) {
    const m = PREFIX_PATTERN.exec(ns)
    if (m === null) continue
    const owner = Number(m[1])
    if (owner === process.pid || pidAlive(owner)) continue
    for (const pid of await namespacePids(ns)) { try { process.kill(pid, 'SIGKILL') } catch {} }
    await sh('ip', ['netns', 'del', ns]).catch(() => {})
    removed.push(ns)
  }
  return removed
}

/**
 * Builds the LAN. `shapes` joins the hosts it names (by index) through a delay link: the relay
 * runs in the bridge's namespace, creates both TAP devices there, and one of them is moved into
 * the host's namespace and renamed to the host's interface, so the host looks as if on a veth.
 */
export async function createLanNet (n: number, prefix = runPrefix(), shapes: ReadonlyMap<number, LinkShape> = new Map(), log?: (line: string) => void): Promise<LanNet> {
  const bridgeNs = `${prefix}br`
  const hosts: HostNet[] = []
  for (const i of shapes.keys()) if (!Number.isInteger(i) || i < 0 || i >= n) throw new LanSetupError(`no host ${i} to give a delay link (hosts 0..${n - 1})`)
  for (let i = 0; i < n; i++) {
    const shape = shapes.get(i)
    hosts.push({ index: i, ns: `${prefix}h${i}`, ip: `${LAN_SUBNET}.${i + 10}`, dev: 'eth0', bridgePort: `p${i}`, ...(shape === undefined ? {} : { shape }) })
  }
  const links = new Map<number, DelayLink>()
  const net: LanNet = { prefix, bridgeNs, hosts, links }
  try {
    await sh('ip', ['netns', 'add', bridgeNs])
    const inBr = (...args: string[]): Promise<string> => sh('ip', ['-n', bridgeNs, ...args])
    await inBr('link', 'set', 'lo', 'up')
    await inBr('link', 'add', 'br0', 'type', 'bridge')
    // Snooping would hide multicast from ports that never sent an IGMP join; mDNS needs it everywhere.
    await inBr('link', 'set', 'br0', 'type', 'bridge', 'mcast_snooping', '0')
    await inBr('link', 'set', 'br0', 'up')
    for (const h of hosts) {
      await sh('ip', ['netns', 'add', h.ns])
      if (h.shape === undefined) {
        // Both ends are created inside namespaces, so no name ever appears in the root namespace.
        await sh('ip', ['-n', h.ns, 'link', 'add', h.dev, 'type', 'veth', 'peer', 'name', h.bridgePort, 'netns', bridgeNs])
      } else {
        const hostTap = `t${h.index}`
        links.set(h.index, await startDelayLink({ ns: bridgeNs, hostTap, bridgeTap: h.bridgePort, ...h.shape, ...(log === undefined ? {} : { log }) }))
        await inBr('link', 'set', hostTap, 'netns', h.ns)
        await sh('ip', ['-n', h.ns, 'link', 'set', hostTap, 'name', h.dev])
      }
      await inBr('link', 'set', h.bridgePort, 'master', 'br0')
      await inBr('link', 'set', h.bridgePort, 'up')
      await sh('ip', ['-n', h.ns, 'link', 'set', 'lo', 'up'])
      await sh('ip', ['-n', h.ns, 'addr', 'add', `${h.ip}/24`, 'dev', h.dev])
      await sh('ip', ['-n', h.ns, 'link', 'set', h.dev, 'up'])
      await addMulticastRoute(h)
    }
  } catch (err) {
    await destroyLanNet(net)
    throw err
  }
  return net
}

/** Without this route a multicast send has no way out and mDNS fails without a word. */
export async function addMulticastRoute (h: HostNet): Promise<void> {
  await sh('ip', ['-n', h.ns, 'route', 'replace', '224.0.0.0/4', 'dev', h.dev])
}

/** Unplugs the host's cable: its bridge port goes down, the host keeps its address and routes. */
export async function unplug (net: LanNet, h: HostNet): Promise<void> {
  await sh('ip', ['-n', net.bridgeNs, 'link', 'set', h.bridgePort, 'down'])
}

export async function plugIn (net: LanNet, h: HostNet): Promise<void> {
  await sh('ip', ['-n', net.bridgeNs, 'link', 'set', h.bridgePort, 'up'])
  await addMulticastRoute(h)
}

const NFT_TABLE = 'smtloss'

/** Why setPacketLoss cannot run here (given a LAN), or undefined when it can. */
export function packetLossUnavailableReason (): string | undefined {
  if (missingCommand('nft') !== undefined) return 'nftables is not installed (no `nft` on PATH): packet loss is injected with nft'
  return undefined
}

/**
 * Drops `percent` % of the packets the host receives and sends (nftables in the host's own
 * namespace; the kernel here has no netem). 0 removes the rules.
 */
export async function setPacketLoss (h: HostNet, percent: number): Promise<void> {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) throw new LanSetupError(`packet loss must be 0..100 %, not ${percent}`)
  const nft = (...args: string[]): Promise<string> => sh('ip', ['netns', 'exec', h.ns, 'nft', ...args])
  await nft('delete', 'table', 'inet', NFT_TABLE).catch(() => {})
  if (percent === 0) return
  await nft('add', 'table', 'inet', NFT_TABLE)
  for (const [chain, hook] of [['in', 'input'], ['out', 'output']]) {
    await nft('add', 'chain', 'inet', NFT_TABLE, chain, `{ type filter hook ${hook} priority 0; }`)
    // Loopback stays intact: the local API and the evaluators' pipes are not the network under test.
    // numgen yields 0..99, so "lt 100" is out of its range: total loss is a plain drop.
    const sample = percent === 100 ? [] : ['numgen', 'random', 'mod', '100', 'lt', String(percent)]
    await nft('add', 'rule', 'inet', NFT_TABLE, chain, hook === 'input' ? 'iifname' : 'oifname', '!=', 'lo', ...sample, 'drop')
  }
}

/** Stops the delay links, kills whatever still runs inside our namespaces and deletes them. Never throws. */
export async function destroyLanNet (net: LanNet): Promise<void> {
  await Promise.all([...net.links.values()].map(async l => { await l.stop().catch(() => {}) }))
  const all = [...net.hosts.map(h => h.ns), net.bridgeNs]
  for (const ns of all) {
    for (const pid of await namespacePids(ns)) { try { process.kill(pid, 'SIGKILL') } catch {} }
  }
  for (const ns of all) await sh('ip', ['netns', 'del', ns]).catch(() => {})
}

/** The same, synchronously, for process 'exit' and signal handlers. */
export function destroyLanNetSync (net: LanNet): void {
  for (const l of net.links.values()) l.killSync()
  const all = [...net.hosts.map(h => h.ns), net.bridgeNs]
  for (const ns of all) {
    for (const s of shSync('ip', ['netns', 'pids', ns]).split('\n')) {
      const pid = Number(s.trim())
      if (Number.isInteger(pid) && pid > 0) { try { process.kill(pid, 'SIGKILL') } catch {} }
    }
  }
  for (const ns of all) shSync('ip', ['netns', 'del', ns])
}

/** A probe connection's bound: on a bridge a connection takes well under a millisecond. */
export const PROBE_TIMEOUT_MS = 2_000
const PROBE_PORT = 7099

/**
 * True when a TCP connection from `from` to `to` succeeds (a one-shot server in `to`, a client in
 * `from`, both node: there is no ping here). Both processes are bounded in time and killed by pid.
 */
export async function tcpReachable (from: HostNet, to: HostNet): Promise<boolean> {
  const serverCode = `const s=require('net').createServer(c=>{c.end('ok')});s.listen(${PROBE_PORT},'${to.ip}',()=>process.stdout.write('up\\n'));setTimeout(()=>process.exit(0),${PROBE_TIMEOUT_MS * 2}).unref()`
  const server = spawn('ip', ['netns', 'exec', to.ns, process.execPath, '-e', serverCode], { stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    const up = await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => { resolve(false) }, PROBE_TIMEOUT_MS * 2)
      server.stdout.once('data', () => { clearTimeout(timer); resolve(true) })
      server.once('exit', () => { clearTimeout(timer); resolve(false) })
    })
    if (!up) throw new LanSetupError(`the probe server in ${to.ns} did not start`)
    const clientCode = `const c=require('net').connect(${PROBE_PORT},'${to.ip}');c.setTimeout(${PROBE_TIMEOUT_MS},()=>process.exit(2));c.on('data',()=>process.exit(0));c.on('error',()=>process.exit(1))`
    return await new Promise<boolean>(resolve => {
      execFile('ip', ['netns', 'exec', from.ns, process.execPath, '-e', clientCode], { timeout: PROBE_TIMEOUT_MS * 2 }, err => { resolve(err === null) })
    })
  } finally {
    try { server.kill('SIGKILL') } catch {}
  }
}

/** Echoes per round-trip probe; the smallest is reported (a retransmission only adds). */
const RTT_ECHOES = 5

/**
 * The TCP round trip from `from` to `to` in ms: the smallest of a few one-byte echoes over one
 * connection (after the handshake, so ARP and connection set-up are not counted). Processes are
 * bounded in time and killed by pid, as for tcpReachable.
 */
export async function tcpRoundTripMs (from: HostNet, to: HostNet, timeoutMs = 10_000): Promise<number> {
  const serverCode = `const s=require('net').createServer(c=>{c.setNoDelay(true);c.pipe(c)});s.listen(${PROBE_PORT},'${to.ip}',()=>process.stdout.write('up\\n'));setTimeout(()=>process.exit(0),${timeoutMs * 2}).unref()`
  const server = spawn('ip', ['netns', 'exec', to.ns, process.execPath, '-e', serverCode], { stdio: ['ignore', 'pipe', 'ignore'] })
  try {
    const up = await new Promise<boolean>(resolve => {
      const timer = setTimeout(() => { resolve(false) }, PROBE_TIMEOUT_MS * 2)
      server.stdout.once('data', () => { clearTimeout(timer); resolve(true) })
      server.once('exit', () => { clearTimeout(timer); resolve(false) })
    })
    if (!up) throw new LanSetupError(`the echo server in ${to.ns} did not start`)
    const clientCode = `const c=require('net').connect(${PROBE_PORT},'${to.ip}');c.setNoDelay(true);const rtts=[];let t=0;` +
      'const ping=()=>{t=performance.now();c.write("x")};' +
      `c.on('connect',ping);c.on('data',()=>{rtts.push(performance.now()-t);if(rtts.length<${RTT_ECHOES})ping();else{process.stdout.write(String(Math.min(...rtts)));process.exit(0)}});` +
      `c.on('error',e=>{process.stderr.write(e.message);process.exit(1)});setTimeout(()=>process.exit(2),${timeoutMs}).unref()`
    return await new Promise<number>((resolve, reject) => {
      execFile('ip', ['netns', 'exec', from.ns, process.execPath, '-e', clientCode], { timeout: timeoutMs * 2 }, (err, stdout, stderr) => {
        if (err !== null) reject(new LanSetupError(`round-trip probe ${from.ns} -> ${to.ns} failed: ${stderr.trim() || err.message}`, { cause: err }))
        else resolve(Number(stdout))
      })
    })
  } finally {
    try { server.kill('SIGKILL') } catch {}
  }
}
