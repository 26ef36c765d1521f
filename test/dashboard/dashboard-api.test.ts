import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request, type IncomingMessage } from 'node:http'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StratmeshError } from '../../src/protocol/errors.js'
import { API_TOKEN_FILE, MAX_DETAIL_RESPONSE_BYTES, createApiServer } from '../../src/node/api/server.js'
import { MAX_EVENT_CLIENTS } from '../../src/node/api/events.js'
import { LOGIN_CODE_TTL_MS } from '../../src/node/dashboard/auth.js'
import type { BoardView, DashboardControl, JobProgressView, RowDetailView } from '../../src/node/dashboard/types.js'
import type { PeerControl, PeerStatus, ResultsView, SubmitResult } from '../../src/node/peer-types.js'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'

const ROW = '0123456789abcdef'

function fakes () {
  const calls: string[] = []
  let statusCount = 0
  let huge = false
  const control: PeerControl = {
    async status () { statusCount++; return { self: { id: 'self', n: statusCount }, peers: [], jobs: [], conflicts: [], rejected: {} } as unknown as PeerStatus },
    async results () { calls.push('results'); return { job: { id: 'j' }, done: true, leaderboard: [] } as unknown as ResultsView },
    async submit () { calls.push('submit'); return { jobId: 'j' } as unknown as SubmitResult },
    async stop () { calls.push('stop') },
  }
  const dashboard: DashboardControl = {
    async board (jobId, top) { calls.push(`board ${jobId} ${top}`); return { job: { id: 'j' }, done: true, rows: [] } as unknown as BoardView },
    async progress (jobId) { calls.push(`progress ${jobId}`); return { id: 'j', history: [] } as unknown as JobProgressView },
    async rowDetail (jobId, rowId) {
      calls.push(`detail ${jobId} ${rowId}`)
      if (rowId !== ROW) throw new StratmeshError('ROW_NOT_FOUND', `job j has no leaderboard row ${rowId}`)
      return { jobId, pad: huge ? 'x'.repeat(MAX_DETAIL_RESPONSE_BYTES) : '' } as unknown as RowDetailView
    },
  }
  return { control, dashboard, calls, makeHuge: () => { huge = true } }
}

interface Reply { status: number, headers: IncomingMessage['headers'], text: string, body: any } // eslint-disable-line @typescript-eslint/no-explicit-any

async function send (port: number, opts: { method?: string, path: string, token?: string, host?: string, origin?: string, body?: string, type?: string }): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: opts.host ?? `127.0.0.1:${port}` }
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
    if (opts.origin !== undefined) headers.origin = opts.origin
    if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json'
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        let body: unknown
        try { body = JSON.parse(text) } catch { body = undefined }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body })
      })
    })
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out')))
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Opens an event stream and collects what arrives until close() or the server ends it. */
function openStream (port: number, token: string): Promise<{ status: number, text: () => string, ended: Promise<void>, close: () => void }> {
  return new Promise((resolve, reject) => {
    let text = ''
    const req = request({ host: '127.0.0.1', port, path: '/v1/events', headers: { host: `127.0.0.1:${port}`, authorization: `Bearer ${token}` } }, res => {
      res.setEncoding('utf8')
      res.on('data', (c: string) => { text += c })
      const ended = new Promise<void>(r => { res.on('close', () => r()) })
      resolve({ status: res.statusCode ?? 0, text: () => text, ended, close: () => req.destroy() })
    })
    req.on('error', reject)
    req.end()
  })
}

async function startServer (t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await tempDir()
  const f = fakes()
  let now = 1_700_000_000_000
  const server = createApiServer({ control: f.control, dashboard: f.dashboard, dataDir: dir.path, clock: () => now })
  await server.start()
  t.after(async () => { await server.stop() })
  const token = (await readFile(join(dir.path, API_TOKEN_FILE), 'utf8')).trim()
  const signIn = async (): Promise<string> => {
    const code = new URL(server.dashboardUrl()).hash.replace(/^#code=/, '')
    const r = await send(server.port, { method: 'POST', path: '/v1/session', body: JSON.stringify({ code }) })
    assert.equal(r.status, 200, r.text)
    return r.body.token as string
  }
  return { f, server, token, port: server.port, signIn, advance: (ms: number) => { now += ms } }
}

test('the page and its files need no token, carry a strict CSP, and only listed files are served', async t => {
  const { port } = await startServer(t)
  const page = await send(port, { path: '/' })
  assert.equal(page.status, 200)
  assert.match(String(page.headers['content-type']), /^text\/html/)
  assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/)
  assert.equal(page.headers['x-frame-options'], 'DENY')
  for (const src of page.text.matchAll(/(?:src|href)="([^"]+)"/g)) {
    if (src[1].startsWith('http')) continue
    const r = await send(port, { path: src[1] })
    assert.equal(r.status, 200, src[1])
  }
  assert.doesNotMatch(page.text, /<script>|https?:\/\/(?!www\.tradingview\.com)/, 'no inline script, nothing from another host')
  const lib = await send(port, { path: '/dashboard/vendor/lightweight-charts.js' })
  assert.equal(lib.status, 200)
  assert.match(String(lib.headers['content-type']), /^text\/javascript/)
  assert.ok(lib.text.length > 50_000)
  assert.match((await send(port, { path: '/dashboard/vendor/LICENSE.txt' })).text, /Apache License/)
  for (const path of ['/dashboard/../api.token', '/dashboard/%2e%2e/api.token', '/dashboard/nope.js', '/api.token']) {
    const r = await send(port, { path })
    assert.ok(r.status === 404 || r.status === 401, `${path}: ${r.status}`)
    assert.ok(!r.text.includes('Bearer'))
  }
  assert.equal((await send(port, { path: '/', host: 'evil.example' })).status, 403, 'the Host check covers the page too')
  assert.equal((await send(port, { path: '/', host: `rebind.example:${port}` })).status, 403)
})

test('every data route needs a token; a dashboard session reads but may not submit, stop or mint links', async t => {
  const { port, token, signIn, f } = await startServer(t)
  for (const path of ['/v1/board', '/v1/progress', `/v1/detail?job=ab&row=${ROW}`, '/v1/events', '/v1/status']) {
    const r = await send(port, { path })
    assert.equal(r.status, 401, path)
    assert.equal(r.body.error.code, 'API_UNAUTHORIZED')
    assert.equal((await send(port, { path, token: 'not-a-session' })).status, 401, path)
  }
  const session = await signIn()
  assert.notEqual(session, token)
  assert.equal((await send(port, { path: '/v1/status', token: session })).status, 200)
  assert.equal((await send(port, { path: '/v1/board?job=abcd1234&top=5', token: session })).status, 200)
  assert.equal(f.calls.at(-1), 'board abcd1234 5')
  assert.equal((await send(port, { path: '/v1/progress?job=abcd1234', token: session })).status, 200)
  for (const [path, body] of [['/v1/stop', undefined], ['/v1/jobs', '{}'], ['/v1/dashboard/link', undefined]] as const) {
    const r = await send(port, { method: 'POST', path, token: session, ...(body === undefined ? {} : { body }) })
    assert.equal(r.status, 403, path)
    assert.equal(r.body.error.code, 'API_FORBIDDEN')
  }
  assert.ok(!f.calls.includes('stop') && !f.calls.includes('submit'))
  const link = await send(port, { method: 'POST', path: '/v1/dashboard/link', token })
  assert.equal(link.status, 200)
  assert.match(link.body.url, new RegExp(`^http://127\\.0\\.0\\.1:${port}/#code=[A-Za-z0-9_-]{43}$`))
})

test('sign-in codes work once and expire; a foreign Origin is refused; form posts cannot sign in', async t => {
  const { port, server, advance } = await startServer(t)
  const code = (): string => new URL(server.dashboardUrl()).hash.replace('#code=', '')
  const post = async (c: string, extra: { origin?: string, type?: string } = {}): Promise<Reply> => await send(port, { method: 'POST', path: '/v1/session', body: JSON.stringify({ code: c }), ...extra })
  const once = code()
  assert.equal((await post(once)).status, 200)
  const again = await post(once)
  assert.equal(again.status, 401)
  assert.equal(again.body.error.code, 'API_LOGIN_INVALID')
  assert.match(again.body.error.message, /peer open/)
  const late = code()
  advance(LOGIN_CODE_TTL_MS + 1)
  assert.equal((await post(late)).status, 401, 'expired')
  assert.equal((await post(code(), { origin: 'http://evil.example' })).body.error.code, 'API_BAD_ORIGIN')
  assert.equal((await post(code(), { origin: `http://localhost:${port}` })).status, 200, 'our own page by either name')
  assert.equal((await post(code(), { type: 'text/plain' })).status, 415, 'a simple cross-site post is not JSON')
  const bad = await send(port, { method: 'POST', path: '/v1/session', body: JSON.stringify({ code: 'short' }) })
  assert.equal(bad.body.error.details.field, 'code')
  assert.equal((await send(port, { path: '/v1/session' })).status, 405)
})

test('detail: the query is checked by field, an unknown row is 404 ROW_NOT_FOUND, an oversized answer is refused', async t => {
  const { port, token, f } = await startServer(t)
  const ok = await send(port, { path: `/v1/detail?job=abcdef12&row=${ROW}`, token })
  assert.equal(ok.status, 200)
  for (const [q, field] of [[`row=${ROW}`, 'job'], ['job=abcdef12', 'row'], ['job=abcdef12&row=xyz', 'row'], [`job=../x&row=${ROW}`, 'job']]) {
    const r = await send(port, { path: `/v1/detail?${q}`, token })
    assert.equal(r.status, 400, q)
    assert.equal(r.body.error.details.field, field)
  }
  const missing = await send(port, { path: '/v1/detail?job=abcdef12&row=ffffffffffffffff', token })
  assert.equal(missing.status, 404)
  assert.equal(missing.body.error.code, 'ROW_NOT_FOUND')
  f.makeHuge()
  const huge = await send(port, { path: `/v1/detail?job=abcdef12&row=${ROW}`, token })
  assert.equal(huge.status, 500)
  assert.equal(huge.body.error.code, 'API_RESPONSE_TOO_LARGE')
})

test('events: status as server-sent events, a bounded number of streams, all ended by stop', async t => {
  const { port, token, server, signIn } = await startServer(t)
  const session = await signIn()
  const streams = await Promise.all(Array.from({ length: MAX_EVENT_CLIENTS }, async (_, i) => await openStream(port, i === 0 ? session : token)))
  for (const s of streams) assert.equal(s.status, 200)
  await waitFor(() => streams[0].text().includes('event: status\ndata: {'), { message: 'a status event' })
  const first = JSON.parse(/data: (.*)\n/.exec(streams[0].text())?.[1] ?? 'null')
  assert.equal(first.self.id, 'self')
  await waitFor(() => (streams[0].text().match(/event: status/g) ?? []).length >= 2, { message: 'a second push when status changes', timeoutMs: 5000 })
  const extra = await send(port, { path: '/v1/events', token })
  assert.equal(extra.status, 503)
  assert.equal(extra.body.error.code, 'API_BUSY')
  streams[1].close()
  await waitFor(async () => (await openStream(port, token).then(s => { streams.push(s); return s.status })) === 200, { message: 'a closed stream frees its place' })
  const t0 = Date.now()
  await server.stop()
  await Promise.all(streams.map(async s => { await s.ended }))
  assert.ok(Date.now() - t0 < 3000, `stop ended every stream promptly (${Date.now() - t0} ms)`)
})
