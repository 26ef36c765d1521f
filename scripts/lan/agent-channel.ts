/**
 * The channel to a host's agent: a process inside the host's namespace that queries the peer's
 * local API for the harness (status, results, submit), one JSON line per request and answer.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { agentArgv, REPO_ROOT } from './peer-launch.js'

/** A query answers from memory; a frozen or dead peer must not hang the caller. */
export const QUERY_TIMEOUT_MS = 15_000

interface Pending { resolve: (v: unknown) => void, reject: (e: Error) => void, timer: NodeJS.Timeout }

export class LanQueryError extends Error {
  readonly code: string
  constructor (code: string, message: string) {
    super(message)
    this.code = code
  }
}

export class AgentChannel {
  private readonly name: string
  private readonly ns: string
  private agent: ChildProcess | undefined
  private nextId = 1
  private readonly pending = new Map<number, Pending>()

  /** `name` prefixes error messages; `ns` is the namespace the agent runs in. */
  constructor (name: string, ns: string) {
    this.name = name
    this.ns = ns
  }

  /** Sends `request` (its id added) and resolves with the agent's value; starts the agent if needed. */
  async query (op: string, request: Record<string, unknown>, timeoutMs = QUERY_TIMEOUT_MS): Promise<unknown> {
    const agent = this.ensureAgent()
    const id = this.nextId++
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        reject(new LanQueryError('QUERY_TIMEOUT', `${this.name}: no answer to ${op} within ${timeoutMs} ms`))
      }, timeoutMs)
      this.pending.set(id, { resolve, reject, timer })
      agent.stdin?.write(JSON.stringify({ id, op, ...request }) + '\n')
    })
  }

  close (): void {
    const a = this.agent
    if (a === undefined) return
    a.stdin?.end()
    // The agent exits when its stdin closes; this is for one stuck in a query.
    setTimeout(() => { try { a.kill('SIGKILL') } catch {} }, 2_000).unref()
  }

  killSync (): void {
    try { this.agent?.kill('SIGKILL') } catch {}
  }

  private ensureAgent (): ChildProcess {
    if (this.agent !== undefined) return this.agent
    const agent = spawn('ip', ['netns', 'exec', this.ns, ...agentArgv()], { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'inherit'] })
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
}
