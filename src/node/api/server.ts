/**
 * The local API: how `peer status|results|submit|stop` and the dashboard page reach the running
 * peer. It listens on 127.0.0.1 only, and writes where it listens (`api.json`) and a bearer token
 * (`api.token`, mode 0600) into the data dir, so only the user who owns the data dir can drive it.
 * The dashboard's files are served without a token; its browser signs in with a one-time code for
 * a read-only session token (dashboard-auth.ts), and gets live status as server-sent events.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { readFile, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { bearerToken, generateToken, hostAllowed, tokenMatches } from './auth.js'
import { writePrivateFile } from '../private-file.js'
import { httpStatusFor, toErrorBody } from './errors.js'
import { createEventHub, type EventHub } from './events.js'
import { parseBacktestRequest, parseDetailQuery, parseJobQuery, parseResultsQuery, parseSessionRequest, parseSubmitRequest } from './requests.js'
import { isAssetPath, serveAsset, createDashboardAuth, LOGIN_CODE_TTL_MS, originAllowed, type DashboardAuth, type DashboardControl } from '../dashboard/index.js'
import type { BacktestControl, JobControl, PeerControl } from '../peer-types.js'
import { jobControlRoutes } from './job-routes.js'

export const API_INFO_FILE = 'api.json'
export const API_TOKEN_FILE = 'api.token'
/** The API is never reachable from another machine: the token is the only secret it has. */
export const API_HOST = '127.0.0.1'
/** A submit body is two paths and a dozen numbers; 64 KiB leaves room and bounds memory. */
export const MAX_API_BODY_BYTES = 64 * 1024
/**
 * Largest row detail sent to the dashboard. A detail within its point and trade limits is a few
 * hundred KB; this bound only matters if those limits are raised, and keeps one click from
 * sending the browser tens of megabytes.
 */
export const MAX_DETAIL_RESPONSE_BYTES = 4 * 1024 * 1024

/** What `api.json` holds. */
export interface ApiInfo {
  readonly port: number
  readonly pid: number
  readonly startedAt: number
}

export interface ApiServerOptions {
  readonly control: PeerControl
  /** Enables the dashboard's data routes (board, progress, detail); without it they are 404. */
  readonly dashboard?: DashboardControl
  /** Enables POST /v1/backtest (`peer backtest`); without it the route is 404. */
  readonly backtest?: BacktestControl
  /** Enables the job-control routes (job-routes.ts); without it they are 404. */
  readonly jobControl?: JobControl
  readonly dataDir: string
  /** 0 picks any free port (the usual case: the port is recorded in api.json). */
  readonly port?: number
  /** Only 127.0.0.1 is accepted; the option exists so the choice is visible at the call site. */
  readonly host?: typeof API_HOST
  readonly log?: (line: string) => void
  readonly clock?: () => number
}

export interface ApiServer {
  start (): Promise<void>
  stop (): Promise<void>
  /** The port listened on (after start). */
  readonly port: number
  /** The dashboard's address with a fresh one-time sign-in code in its fragment (after start). */
  dashboardUrl (ttlMs?: number): string
}

/** Who is asking: the API token's holder (the CLI) or a dashboard session (read-only). */
type Caller = 'owner' | 'viewer'

/** One request to a route, its address parsed. */
interface ApiCall {
  readonly req: IncomingMessage
  readonly res: ServerResponse
  readonly url: URL
}

interface Route {
  readonly method: 'GET' | 'POST'
  readonly handle: (call: ApiCall) => Promise<void>
}

function sendJson (res: ServerResponse, status: number, body: unknown, maxBytes?: number): void {
  const text = JSON.stringify(body)
  if (maxBytes !== undefined && Buffer.byteLength(text) > maxBytes) {
    throw new StratmeshError('API_RESPONSE_TOO_LARGE', `the response has ${Buffer.byteLength(text)} bytes; the limit is ${maxBytes}`)
  }
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}

function sendError (res: ServerResponse, err: unknown): void {
  const body = toErrorBody(err)
  sendJson(res, httpStatusFor(body.error.code), body)
}

/**
 * Reads the body up to the cap. Past the cap it keeps draining (so the client is still sent its
 * 413 rather than a reset connection) but stops keeping bytes; the server's request timeout bounds
 * how long a client may keep sending.
 */
async function readBody (req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  let tooLarge = false
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_API_BODY_BYTES) tooLarge = true
    else chunks.push(chunk)
  }
  if (tooLarge) throw new StratmeshError('API_BODY_TOO_LARGE', `request body has ${size} bytes; the limit is ${MAX_API_BODY_BYTES}`)
  return Buffer.concat(chunks).toString('utf8')
}

async function readJson (req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? ''
  // Requiring JSON also keeps out the "simple" form posts a browser sends without asking.
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    req.resume()
    throw new StratmeshError('API_BAD_CONTENT_TYPE', 'request body must be application/json')
  }
  const text = await readBody(req)
  try {
    return JSON.parse(text)
  } catch (err) {
    throw new StratmeshError('API_BAD_REQUEST', `request body is not JSON: ${(err as Error).message}`, { cause: err, details: { field: '(body)' } })
  }
}

class LocalApiServer implements ApiServer {
  private readonly opts: ApiServerOptions
  private readonly infoPath: string
  private readonly tokenPath: string
  private server: Server | undefined
  private events: EventHub | undefined
  private readonly auth: DashboardAuth
  private token = ''
  private stopping = false
  private listenPort = 0
  private readonly routes: ReadonlyMap<string, Route>

  constructor (opts: ApiServerOptions) {
    if (opts.host !== undefined && opts.host !== API_HOST) {
      throw new StratmeshError('API_BAD_OPTIONS', `the local API listens on ${API_HOST} only, not ${String(opts.host)}`)
    }
    const port = opts.port ?? 0
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new StratmeshError('API_BAD_OPTIONS', `API port must be an integer in [0, 65535], got ${port}`)
    this.opts = opts
    this.routes = this.routeTable()
    this.infoPath = join(opts.dataDir, API_INFO_FILE)
    this.tokenPath = join(opts.dataDir, API_TOKEN_FILE)
    this.auth = createDashboardAuth(opts.clock ?? Date.now)
  }

  get port (): number { return this.listenPort }

  dashboardUrl (ttlMs = LOGIN_CODE_TTL_MS): string {
    if (this.server === undefined) throw new StratmeshError('API_NOT_STARTED', 'the local API is not running')
    return `http://${API_HOST}:${this.listenPort}/#code=${this.auth.mintCode(ttlMs)}`
  }

  async start (): Promise<void> {
    if (this.server !== undefined) return
    const server = createServer((req, res) => { void this.handle(req, res) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        reject(new StratmeshError('API_LISTEN_FAILED', `cannot listen on ${API_HOST}:${this.opts.port ?? 0}: ${err.code === 'EADDRINUSE' ? 'the port is in use' : err.message}`, { cause: err }))
      })
      server.listen(this.opts.port ?? 0, API_HOST, () => resolve())
    })
    this.server = server
    this.events = createEventHub({ snapshot: async () => await this.opts.control.status(), ...(this.opts.clock === undefined ? {} : { clock: this.opts.clock }), ...(this.opts.log === undefined ? {} : { log: this.opts.log }) })
    this.listenPort = (server.address() as AddressInfo).port
    this.token = generateToken()
    // The token first: whoever finds api.json can always read a matching token.
    const info: ApiInfo = { port: this.listenPort, pid: process.pid, startedAt: (this.opts.clock ?? Date.now)() }
    await writePrivateFile(this.tokenPath, this.token)
    await writePrivateFile(this.infoPath, JSON.stringify(info) + '\n')
  }

  async stop (): Promise<void> {
    const server = this.server
    if (server === undefined) return
    this.server = undefined
    this.stopping = true
    // Open event streams would keep close() waiting: end them first.
    this.events?.close()
    this.auth.clear()
    await this.removeFiles()
    await new Promise<void>(resolve => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  /** Only files that still say they are ours: a newer peer on this data dir may have replaced them. */
  private async removeFiles (): Promise<void> {
    try {
      const info = JSON.parse(await readFile(this.infoPath, 'utf8')) as Partial<ApiInfo>
      if (info.pid !== process.pid || info.port !== this.listenPort) return
    } catch {
      return
    }
    await unlink(this.infoPath).catch(() => {})
    await unlink(this.tokenPath).catch(() => {})
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      if (!hostAllowed(req.headers.host)) {
        req.resume()
        throw new StratmeshError('API_BAD_HOST', 'the local API answers only requests addressed to 127.0.0.1 or localhost')
      }
      const path = new URL(req.url ?? '/', `http://${API_HOST}`).pathname
      if ((req.method === 'GET' || req.method === 'HEAD') && isAssetPath(path)) {
        req.resume()
        await serveAsset(res, path, req.method)
        return
      }
      if (!originAllowed(req.headers.origin, this.listenPort)) {
        req.resume()
        throw new StratmeshError('API_BAD_ORIGIN', `the local API answers only its own dashboard page, not ${String(req.headers.origin)}`)
      }
      if (path === '/v1/session') {
        if (this.stopping) throw new StratmeshError('PEER_STOPPING', 'the peer is stopping')
        await this.signIn(req, res)
        return
      }
      const given = bearerToken(req.headers.authorization)
      let caller: Caller
      if (given !== undefined && tokenMatches(this.token, given)) caller = 'owner'
      else if (given !== undefined && this.auth.isSession(given)) caller = 'viewer'
      else {
        req.resume()
        throw new StratmeshError('API_UNAUTHORIZED', `missing or wrong API token (it is in ${this.tokenPath})`)
      }
      if (this.stopping) {
        req.resume()
        throw new StratmeshError('PEER_STOPPING', 'the peer is stopping')
      }
      await this.route(req, res, caller)
    } catch (err) {
      if (!(err instanceof StratmeshError)) this.opts.log?.(`api: ${req.method ?? '?'} ${req.url ?? '?'} failed: ${(err as Error).stack ?? String(err)}`)
      if (!res.headersSent) sendError(res, err)
      else res.destroy()
    }
  }

  /** POST /v1/session {code}: a one-time code from a dashboard link for a read-only session token. */
  private async signIn (req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      req.resume()
      res.setHeader('allow', 'POST')
      throw new StratmeshError('API_METHOD_NOT_ALLOWED', `/v1/session takes POST, not ${req.method ?? '?'}`)
    }
    const { code } = parseSessionRequest(await readJson(req))
    sendJson(res, 200, { token: this.auth.redeem(code) })
  }

  private async route (req: IncomingMessage, res: ServerResponse, caller: Caller): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${API_HOST}`)
    const route = this.routes.get(url.pathname)
    if (route === undefined) {
      req.resume()
      throw new StratmeshError('API_NOT_FOUND', `no such API route: ${url.pathname}`)
    }
    const method = req.method ?? 'GET'
    if (method !== route.method) {
      req.resume()
      res.setHeader('allow', route.method)
      throw new StratmeshError('API_METHOD_NOT_ALLOWED', `${url.pathname} takes ${route.method}, not ${method}`)
    }
    // Dashboard sessions read; only the API token's holder changes anything.
    if (route.method !== 'GET' && caller !== 'owner') {
      req.resume()
      throw new StratmeshError('API_FORBIDDEN', `${url.pathname} needs the API token; a dashboard session may only read`)
    }
    await route.handle({ req, res, url })
  }

  /** The routes behind the token (or a session), by path. */
  private routeTable (): ReadonlyMap<string, Route> {
    const { control } = this.opts
    return new Map<string, Route>([
      ['/v1/status', { method: 'GET', handle: async ({ req, res }) => {
        req.resume()
        sendJson(res, 200, await control.status())
      } }],
      ['/v1/results', { method: 'GET', handle: async ({ req, res, url }) => {
        req.resume()
        const q = parseResultsQuery(url.searchParams)
        sendJson(res, 200, await control.results(q.jobId, q.top))
      } }],
      ['/v1/jobs', { method: 'POST', handle: async ({ req, res }) => {
        const request = parseSubmitRequest(await readJson(req))
        sendJson(res, 200, await control.submit(request))
      } }],
      ['/v1/backtest', { method: 'POST', handle: async ({ req, res, url }) => {
        const backtest = this.opts.backtest
        if (backtest === undefined) {
          req.resume()
          throw new StratmeshError('API_NOT_FOUND', `no such API route: ${url.pathname}`)
        }
        // Metrics and a few names: the curves go to files the peer writes (work/backtest-files.ts).
        sendJson(res, 200, await backtest.backtest(parseBacktestRequest(await readJson(req))))
      } }],
      ['/v1/board', { method: 'GET', handle: async (call) => {
        call.req.resume()
        const q = parseResultsQuery(call.url.searchParams)
        sendJson(call.res, 200, await this.dashboardFor(call).board(q.jobId, q.top))
      } }],
      ['/v1/progress', { method: 'GET', handle: async (call) => {
        call.req.resume()
        sendJson(call.res, 200, await this.dashboardFor(call).progress(parseJobQuery(call.url.searchParams)))
      } }],
      ['/v1/detail', { method: 'GET', handle: async (call) => {
        call.req.resume()
        const q = parseDetailQuery(call.url.searchParams)
        sendJson(call.res, 200, await this.dashboardFor(call).rowDetail(q.jobId, q.rowId), MAX_DETAIL_RESPONSE_BYTES)
      } }],
      ['/v1/events', { method: 'GET', handle: async ({ req, res }) => {
        if (this.events === undefined) throw new StratmeshError('PEER_STOPPING', 'the peer is stopping')
        this.events.add(req, res)
      } }],
      ['/v1/dashboard/link', { method: 'POST', handle: async ({ req, res }) => {
        req.resume()
        sendJson(res, 200, { url: this.dashboardUrl() })
      } }],
      ['/v1/stop', { method: 'POST', handle: async ({ req, res }) => {
        req.resume()
        this.stopping = true
        // Answer first: stopping closes this server, and the caller wants to know it was heard.
        res.once('finish', () => {
          control.stop().catch(err => this.opts.log?.(`api: stop failed: ${(err as Error).message}`))
        })
        sendJson(res, 202, { stopping: true })
      } }],
      ...(this.opts.jobControl === undefined ? [] : jobControlRoutes(this.opts.jobControl, readJson, sendJson)),
    ])
  }

  /** The dashboard's data routes exist only when the peer gave the server its dashboard. */
  private dashboardFor ({ req, url }: ApiCall): DashboardControl {
    if (this.opts.dashboard === undefined) {
      req.resume()
      throw new StratmeshError('API_NOT_FOUND', `no such API route: ${url.pathname}`)
    }
    return this.opts.dashboard
  }
}

export function createApiServer (opts: ApiServerOptions): ApiServer {
  return new LocalApiServer(opts)
}
