/**
 * One evaluator child as the pool sees it: started, asked one thing at a time, watched, killed.
 * The watchdog gives each step (from a request, or from one progress message to the next) at most
 * evalTimeoutMs; past that the child is SIGKILLed. A child that dies fails its pending request with
 * EVAL_TIMEOUT, EVAL_OUT_OF_MEMORY or EVAL_CRASHED, naming the genome it was evaluating, if any.
 */
import { fork, type ChildProcess } from 'node:child_process'
import { performance } from 'node:perf_hooks'
import type { Logger } from '@libp2p/interface'
import { StratmeshError } from '../../protocol/errors.js'
import type { EvaluatorLaunch } from './launch.js'
import { ISOLATE_OUT_OF_MEMORY_LINE } from './isolate-host.js'
import { parseChildMessage, type ChildMessage, type MemoryMessage, type ParentMessage } from './messages.js'

/** How long a child may take to start and say ready: loading Node and the engine takes well under a second; 30 s covers a loaded laptop. */
export const EVALUATOR_START_TIMEOUT_MS = 30_000
/** Stderr kept per child, to recognise V8's out-of-memory report (a few lines) among other output. */
export const STDERR_TAIL_CHARS = 8192

const OUT_OF_MEMORY_RE = new RegExp(`heap out of memory|Reached heap limit|Allocation failed - JavaScript heap|${ISOLATE_OUT_OF_MEMORY_LINE}`, 'i')

export type EvaluatorState = 'starting' | 'idle' | 'busy' | 'stopping' | 'dead'
/** A request without its id; the process numbers its requests. */
export type EvaluatorRequest = ParentMessage extends infer M ? M extends ParentMessage ? Omit<M, 'id'> : never : never

export interface EvaluatorProcessOptions {
  readonly launch: EvaluatorLaunch
  readonly evalTimeoutMs: number
  readonly log?: Logger
}

interface Pending {
  readonly id: number
  readonly resolve: (m: ChildMessage) => void
  readonly reject: (err: StratmeshError) => void
  readonly onProgress?: (index: number, paramsKey: string, repeat: boolean) => void
}

export class EvaluatorProcess {
  readonly pid: number
  /** The job loaded in the child last; a child runs one strategy in its lifetime. */
  job: string | null = null
  /** Whether any strategy code has been loaded (and could have changed the child's realm). */
  used = false
  /**
   * The strategy, engine and candles the child holds (job-loader.ts), when it can take another job
   * of them; null while it holds none or cannot.
   */
  realm: string | null = null
  state: EvaluatorState = 'starting'
  /** The child's latest memory report (it sends one every MEMORY_REPORT_MS), and when it came (performance.now()). */
  memory: { readonly report: MemoryMessage, readonly at: number } | null = null
  readonly ready: Promise<void>
  readonly exited: Promise<void>
  private readonly child: ChildProcess
  private readonly opts: EvaluatorProcessOptions
  private pending: Pending | null = null
  private nextId = 1
  private timer: NodeJS.Timeout | null = null
  private lastKey: string | null = null
  private stderrTail = ''
  private cause: 'timeout' | 'stopped' | 'bad-message' | null = null

  constructor (opts: EvaluatorProcessOptions) {
    this.opts = opts
    const { launch } = opts
    this.child = fork(launch.modulePath, [...launch.args], {
      execArgv: [...launch.execArgv],
      env: launch.env,
      cwd: launch.cwd,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    })
    if (this.child.pid === undefined) throw new StratmeshError('EVAL_START_FAILED', 'could not start an evaluator process')
    this.pid = this.child.pid
    // Strategy output is not ours to show; drain it so a chatty strategy cannot block on a full pipe.
    this.child.stdout?.resume()
    this.child.stderr?.setEncoding('utf8')
    this.child.stderr?.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS)
    })
    this.exited = new Promise(resolve => { this.child.once('close', () => resolve()) })
    let settled = false
    this.ready = new Promise<void>((resolve, reject) => {
      const startTimer = setTimeout(() => { this.child.kill('SIGKILL') }, EVALUATOR_START_TIMEOUT_MS)
      const onReady = (m: unknown): void => {
        if ((m as { type?: unknown } | null)?.type !== 'ready') return
        this.child.off('message', onReady)
        clearTimeout(startTimer)
        if (settled) return
        settled = true
        if (this.state === 'starting') this.state = 'idle'
        resolve()
      }
      this.child.on('message', onReady)
      this.child.once('close', (code, signal) => {
        clearTimeout(startTimer)
        if (settled) return
        settled = true
        reject(new StratmeshError('EVAL_START_FAILED', `evaluator exited during start (${code ?? signal}): ${this.stderrTail.trim().slice(-500)}`, { details: { code, signal } }))
      })
    })
    this.ready.catch(() => { /* reported to whoever awaits ready */ })
    this.child.on('message', (m: unknown) => this.onMessage(m))
    this.child.on('close', (code, signal) => this.onClose(code, signal))
    this.child.on('error', err => this.opts.log?.error('evaluator %d: %s', this.pid, err.message))
  }

  /** Sends one request and resolves with the child's final answer (which may be an error message). */
  request (req: EvaluatorRequest, onProgress?: (index: number, paramsKey: string, repeat: boolean) => void): Promise<ChildMessage> {
    // Dead while idle (a strategy's leftover promise can crash it between requests): the caller retries elsewhere.
    if (this.state === 'dead' || this.state === 'stopping') return Promise.reject(new StratmeshError('EVAL_GONE', `evaluator ${this.pid} has exited`))
    if (this.state !== 'idle') return Promise.reject(new StratmeshError('EVAL_BUSY', `evaluator ${this.pid} is ${this.state}`))
    this.state = 'busy'
    this.lastKey = null
    const id = this.nextId++
    return new Promise<ChildMessage>((resolve, reject) => {
      this.pending = { id, resolve, reject, ...(onProgress === undefined ? {} : { onProgress }) }
      this.arm()
      this.child.send({ ...req, id } as ParentMessage, err => {
        // A closed channel means the child is dying; onClose fails the request.
        if (err !== null && err !== undefined) this.opts.log?.error('evaluator %d: send failed: %s', this.pid, err.message)
      })
    })
  }

  /** Kills the child (SIGKILL) and resolves when it has exited. */
  async kill (): Promise<void> {
    if (this.state !== 'dead') {
      this.cause ??= 'stopped'
      if (this.state !== 'busy') this.state = 'stopping'
      this.child.kill('SIGKILL')
    }
    await this.exited
  }

  private arm (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = setTimeout(() => {
      this.cause = 'timeout'
      this.opts.log?.error('evaluator %d: no progress for %d ms, killing it', this.pid, this.opts.evalTimeoutMs)
      this.child.kill('SIGKILL')
    }, this.opts.evalTimeoutMs)
  }

  private disarm (): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  private onMessage (raw: unknown): void {
    let m: ChildMessage
    try {
      m = parseChildMessage(raw)
    } catch (err) {
      // The child runs untrusted code: one that speaks nonsense is not trusted to go on.
      this.opts.log?.error('evaluator %d: %s; killing it', this.pid, (err as Error).message)
      this.cause ??= 'bad-message'
      this.child.kill('SIGKILL')
      return
    }
    if (m.type === 'memory') {
      this.memory = { report: m, at: performance.now() }
      return
    }
    const p = this.pending
    if (m.type === 'ready' || p === null || m.id !== p.id) return
    if (m.type === 'progress') {
      this.lastKey = m.paramsKey
      this.arm()
      p.onProgress?.(m.index, m.paramsKey, m.repeat === true)
      return
    }
    this.disarm()
    this.pending = null
    this.state = 'idle'
    p.resolve(m)
  }

  private onClose (code: number | null, signal: NodeJS.Signals | null): void {
    this.disarm()
    const wasStarting = this.state === 'starting'
    this.state = 'dead'
    const p = this.pending
    this.pending = null
    if (wasStarting || p === null) return
    p.reject(this.failure(code, signal))
  }

  private failure (code: number | null, signal: NodeJS.Signals | null): StratmeshError {
    const details = { paramsKey: this.lastKey, pid: this.pid, exitCode: code, signal }
    if (this.cause === 'stopped') return new StratmeshError('POOL_STOPPED', 'the evaluator pool was stopped', { details })
    if (this.cause === 'timeout') return new StratmeshError('EVAL_TIMEOUT', `no progress for ${this.opts.evalTimeoutMs} ms; evaluator killed`, { details })
    if (OUT_OF_MEMORY_RE.test(this.stderrTail)) return new StratmeshError('EVAL_OUT_OF_MEMORY', 'the evaluator ran out of memory', { details })
    const how = this.cause === 'bad-message' ? 'sent a malformed message' : `exited (${code ?? signal})`
    return new StratmeshError('EVAL_CRASHED', `the evaluator ${how}: ${this.stderrTail.trim().slice(-300)}`, { details })
  }
}
