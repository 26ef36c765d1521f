/**
 * The CLI's side of the local API: finds the running peer through `<dataDir>/api.json` and
 * `api.token`, and offers the PeerControl operations over HTTP. Every way of "there is no peer"
 * (no file, a dead pid, a refused connection) is the same error, PEER_NOT_RUNNING.
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { fromErrorBody } from './errors.js'
import { API_HOST, API_INFO_FILE, API_TOKEN_FILE, type ApiInfo } from './server.js'
import type { BacktestControl, BacktestRequest, BacktestResult, PeerControl, PeerStatus, ResultsView, SubmitRequest, SubmitResult } from '../peer-types.js'
import type { ForgetResult, JobControl, JobControlResult, JobListView } from '../peer-types.js'

/** Status, results and stop answer from memory; a peer this slow is stuck. */
export const API_REQUEST_TIMEOUT_MS = 30_000
/** Submitting loads the strategy in an evaluator and imports the candles (maybe gigabytes of CSV). */
export const API_SUBMIT_TIMEOUT_MS = 10 * 60_000
/** A backtest imports candles as a submit does, then runs one evaluation (bounded by the evaluator's own time limit, ten minutes by default). */
export const API_BACKTEST_TIMEOUT_MS = 2 * API_SUBMIT_TIMEOUT_MS

export interface PeerClient extends PeerControl, BacktestControl, JobControl {
  readonly info: ApiInfo
  readonly dataDir: string
  /** The dashboard's address with a fresh one-time sign-in code (for `peer open`). */
  dashboardLink (): Promise<{ url: string }>
}

export function peerNotRunning (dataDir: string, why: string, cause?: unknown): StratmeshError {
  return new StratmeshError('PEER_NOT_RUNNING', `no peer is running with data dir ${dataDir} (start one with \`peer start\`)`, {
    ...(cause === undefined ? {} : { cause }),
    details: { dataDir, why },
  })
}

/** True when a process with this pid exists (EPERM: it does, it belongs to someone else). */
export function pidAlive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function parseInfo (text: string): ApiInfo | undefined {
  try {
    const v = JSON.parse(text) as Partial<ApiInfo>
    if (!Number.isInteger(v.port) || !Number.isInteger(v.pid) || (v.port as number) <= 0 || (v.pid as number) <= 0) return undefined
    return { port: v.port as number, pid: v.pid as number, startedAt: typeof v.startedAt === 'number' ? v.startedAt : 0 }
  } catch {
    return undefined
  }
}

/** Reads where the local peer listens and its token; throws PEER_NOT_RUNNING when there is none. */
export async function connectToPeer (dataDir: string): Promise<PeerClient> {
  let infoText: string
  try {
    infoText = await readFile(join(dataDir, API_INFO_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw peerNotRunning(dataDir, `no ${API_INFO_FILE}`)
    throw new StratmeshError('API_INFO_UNREADABLE', `cannot read ${join(dataDir, API_INFO_FILE)}: ${(err as Error).message}`, { cause: err })
  }
  const info = parseInfo(infoText)
  // A torn or foreign api.json is treated like a stale one: the peer rewrites it on start.
  if (info === undefined) throw peerNotRunning(dataDir, `${API_INFO_FILE} is not valid`)
  if (!pidAlive(info.pid)) throw peerNotRunning(dataDir, `pid ${info.pid} is not running`)
  let token: string
  try {
    token = (await readFile(join(dataDir, API_TOKEN_FILE), 'utf8')).trim()
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw peerNotRunning(dataDir, `no ${API_TOKEN_FILE}`, err)
    if (code === 'EACCES') throw new StratmeshError('API_TOKEN_UNREADABLE', `cannot read ${join(dataDir, API_TOKEN_FILE)}: the peer on this data dir belongs to another user`, { cause: err })
    throw new StratmeshError('API_TOKEN_UNREADABLE', `cannot read ${join(dataDir, API_TOKEN_FILE)}: ${(err as Error).message}`, { cause: err })
  }
  return new HttpPeerClient(dataDir, info, token)
}

class HttpPeerClient implements PeerClient {
  readonly dataDir: string
  readonly info: ApiInfo
  private readonly token: string

  constructor (dataDir: string, info: ApiInfo, token: string) {
    this.dataDir = dataDir
    this.info = info
    this.token = token
  }

  async status (): Promise<PeerStatus> {
    return await this.request<PeerStatus>('GET', '/v1/status')
  }

  async results (jobId: string | undefined, top: number): Promise<ResultsView> {
    const q = new URLSearchParams({ top: String(top) })
    if (jobId !== undefined) q.set('job', jobId)
    return await this.request<ResultsView>('GET', `/v1/results?${q.toString()}`)
  }

  async submit (req: SubmitRequest): Promise<SubmitResult> {
    return await this.request<SubmitResult>('POST', '/v1/jobs', req, API_SUBMIT_TIMEOUT_MS)
  }

  async backtest (req: BacktestRequest): Promise<BacktestResult> {
    return await this.request<BacktestResult>('POST', '/v1/backtest', req, API_BACKTEST_TIMEOUT_MS)
  }

  async dashboardLink (): Promise<{ url: string }> {
    return await this.request<{ url: string }>('POST', '/v1/dashboard/link')
  }

  async jobs (): Promise<JobListView> {
    return await this.request<JobListView>('GET', '/v1/job-list')
  }

  async cancel (job: string): Promise<JobControlResult> {
    return await this.request<JobControlResult>('POST', '/v1/cancel', { job })
  }

  async priority (job: string, priority: number): Promise<JobControlResult> {
    return await this.request<JobControlResult>('POST', '/v1/priority', { job, priority })
  }

  async forget (job: string): Promise<ForgetResult> {
    return await this.request<ForgetResult>('POST', '/v1/forget', { job })
  }

  /** Asks the peer to stop; resolves once it accepted (the process exits a little later). */
  async stop (): Promise<void> {
    await this.request<unknown>('POST', '/v1/stop')
  }

  private async request<T> (method: string, path: string, body?: unknown, timeoutMs = API_REQUEST_TIMEOUT_MS): Promise<T> {
    const url = `http://${API_HOST}:${this.info.port}${path}`
    let res: Response
    try {
      res = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      })
    } catch (err) {
      const code = ((err as { cause?: { code?: string } }).cause?.code) ?? (err as NodeJS.ErrnoException).code
      if (code === 'ECONNREFUSED' || code === 'ECONNRESET') throw peerNotRunning(this.dataDir, `connection to port ${this.info.port}: ${code}`, err)
      if ((err as Error).name === 'TimeoutError') throw new StratmeshError('API_TIMEOUT', `the peer did not answer ${method} ${path} within ${timeoutMs / 1000} s`, { cause: err })
      throw new StratmeshError('API_REQUEST_FAILED', `cannot reach the peer on port ${this.info.port}: ${(err as Error).message}`, { cause: err })
    }
    const text = await res.text()
    let parsed: unknown
    try {
      parsed = text === '' ? undefined : JSON.parse(text)
    } catch (err) {
      throw new StratmeshError('API_BAD_RESPONSE', `the peer answered ${method} ${path} with something that is not JSON (HTTP ${res.status})`, { cause: err })
    }
    if (!res.ok) {
      const e = fromErrorBody(parsed, res.status)
      if (e.code === 'API_UNAUTHORIZED') {
        // The files were read from the data dir a moment ago: a mismatch means the peer restarted in between.
        throw new StratmeshError('API_UNAUTHORIZED', `the peer on port ${this.info.port} refused the token in ${join(this.dataDir, API_TOKEN_FILE)} (did it just restart? try again)`, { cause: e })
      }
      throw e
    }
    return parsed as T
  }
}
