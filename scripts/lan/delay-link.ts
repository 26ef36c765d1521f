/**
 * A slow, lossy cable for one host of the test LAN (the kernel here has no netem): starts
 * scripts/lan/delay-link.py inside the bridge's namespace, where it creates two TAP devices and
 * forwards Ethernet frames between them after a fixed delay, dropping some. netns.ts then moves
 * one TAP into the host's namespace as its interface and puts the other on the bridge. The relay
 * is stopped by pid; its devices vanish with it (they are not persistent). It also ends by itself
 * when our end of its stdin closes (this process died) or its lifetime runs out.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { createInterface } from 'node:readline'

const SCRIPT = fileURLToPath(new URL('./delay-link.py', import.meta.url))
/** The relay is up in well under a second; python's start on a loaded box may take a few. */
const READY_TIMEOUT_MS = 10_000
/** SIGTERM is handled within one select round (at most a second); then SIGKILL. */
const STOP_TIMEOUT_MS = 3_000
/** How long to wait for the counters after asking for them (the relay answers at once). */
const COUNTS_TIMEOUT_MS = 3_000
/**
 * The relay's own bound on its life: longer than any LAN run, so it only matters when both the
 * harness's clean-up and the closed-stdin check failed.
 */
export const DELAY_LINK_LIFETIME_S = 3_600

export interface LinkShape {
  /** One-way delay added to every frame, each direction (a round trip gains twice this). */
  readonly delayMs: number
  /** Share of frames dropped, each direction independently, 0..100. */
  readonly lossPercent?: number
}

export interface LinkCounts {
  readonly forwarded: number
  readonly lost: number
  readonly overflow: number
  readonly write_errors: number
}

export interface DelayLink {
  readonly pid: number
  readonly shape: LinkShape
  /** Frames forwarded and dropped so far. */
  counts (): Promise<LinkCounts>
  /** Stops the relay (its TAP devices go with it); resolves with its final counters. Idempotent. */
  stop (): Promise<LinkCounts | undefined>
  /** For exit handlers: SIGKILL, nothing asynchronous. */
  killSync (): void
}

export class DelayLinkError extends Error {
  readonly code = 'LAN_DELAY_LINK_FAILED'
}

/** Why a delay link cannot run here, or undefined when it can. */
export function delayLinkUnavailableReason (): string | undefined {
  if (!existsSync('/dev/net/tun')) return 'there is no /dev/net/tun (TAP devices) on this machine'
  const py = spawnSync('python3', ['--version'], { timeout: 10_000 })
  if (py.status !== 0) return 'python3 is not installed (the delay link is a python script)'
  return undefined
}

export interface StartDelayLinkOptions extends LinkShape {
  /** Namespace the relay runs in and creates both devices in (the bridge's). */
  readonly ns: string
  readonly hostTap: string
  readonly bridgeTap: string
  readonly log?: (line: string) => void
}

export async function startDelayLink (o: StartDelayLinkOptions): Promise<DelayLink> {
  const loss = o.lossPercent ?? 0
  if (!(o.delayMs >= 0) || !(loss >= 0 && loss <= 100)) throw new DelayLinkError(`a link needs delay >= 0 and loss in 0..100, not ${o.delayMs} ms and ${loss} %`)
  const args = ['netns', 'exec', o.ns, 'python3', SCRIPT, '--host-tap', o.hostTap, '--bridge-tap', o.bridgeTap,
    '--delay-ms', String(o.delayMs), '--loss-percent', String(loss), '--lifetime-s', String(DELAY_LINK_LIFETIME_S)]
  // `ip netns exec` execs python itself, so the child's pid is the relay's.
  const child = spawn('ip', args, { stdio: ['pipe', 'pipe', 'pipe'] })
  const link = new Relay(child, { delayMs: o.delayMs, lossPercent: loss }, o.log ?? (() => {}))
  try {
    await link.ready()
  } catch (err) {
    await link.stop()
    throw err
  }
  return link
}

class Relay implements DelayLink {
  readonly shape: LinkShape
  private readonly child: ChildProcess
  private readonly log: (line: string) => void
  private readonly lines: string[] = []
  private readonly waiters = new Set<() => void>()
  private stderr = ''
  private readonly exited: Promise<void>
  private alive = true
  private final: LinkCounts | undefined
  private stopping: Promise<LinkCounts | undefined> | undefined

  constructor (child: ChildProcess, shape: LinkShape, log: (line: string) => void) {
    this.child = child
    this.shape = shape
    this.log = log
    child.stderr?.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-2000) })
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', line => { this.lines.push(line); this.notify() })
    this.exited = new Promise(resolve => {
      child.once('exit', () => { this.alive = false; this.notify(); resolve() })
      child.once('error', () => { this.alive = false; this.notify(); resolve() })
    })
  }

  get pid (): number { return this.child.pid ?? -1 }

  private notify (): void { for (const w of this.waiters) w() }

  /** Waits (bounded) for a line that `accept` takes; lines before it are dropped. */
  private async nextLine<T> (accept: (line: string) => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      while (this.lines.length > 0) {
        const got = accept(this.lines.shift() as string)
        if (got !== undefined) return got
      }
      if (!this.alive) throw new DelayLinkError(`the delay link exited before ${what}: ${this.stderr.trim() || 'no message'}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new DelayLinkError(`no ${what} from the delay link within ${timeoutMs} ms`)
      await new Promise<void>(resolve => {
        const done = (): void => { clearTimeout(timer); this.waiters.delete(done); resolve() }
        const timer = setTimeout(done, left)
        this.waiters.add(done)
      })
    }
  }

  async ready (): Promise<void> {
    await this.nextLine(l => l === 'ready' ? true : undefined, READY_TIMEOUT_MS, '"ready"')
  }

  async counts (): Promise<LinkCounts> {
    if (!this.alive) {
      if (this.final !== undefined) return this.final
      throw new DelayLinkError('the delay link is not running')
    }
    this.lines.length = 0
    this.child.kill('SIGUSR1')
    return await this.nextLine(parseCounts, COUNTS_TIMEOUT_MS, 'counters')
  }

  stop (): Promise<LinkCounts | undefined> {
    this.stopping ??= (async () => {
      if (this.alive) {
        this.child.kill('SIGTERM')
        let timer: NodeJS.Timeout | undefined
        const timedOut = await Promise.race([this.exited.then(() => false), new Promise<boolean>(resolve => { timer = setTimeout(() => { resolve(true) }, STOP_TIMEOUT_MS) })])
        clearTimeout(timer)
        if (timedOut) {
          this.log(`delay link ${this.pid} ignored SIGTERM; killing it`)
          this.child.kill('SIGKILL')
          await this.exited
        }
      }
      // The last line, when it ended by itself or on SIGTERM, has the final counters.
      for (const line of this.lines) this.final = parseCounts(line) ?? this.final
      this.child.stdin?.destroy()
      return this.final
    })()
    return this.stopping
  }

  killSync (): void {
    if (this.alive) { try { this.child.kill('SIGKILL') } catch {} }
  }
}

function parseCounts (line: string): LinkCounts | undefined {
  try {
    const v = JSON.parse(line) as Partial<LinkCounts>
    return typeof v.forwarded === 'number' ? v as LinkCounts : undefined
  } catch {
    return undefined
  }
}
