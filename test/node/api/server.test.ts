import { test } from 'node:test'
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { StratmeshError } from '../../../src/protocol/errors.js'
import { ERROR_CODES, type ErrorCode } from '../../../src/protocol/error-codes.js'
import { fromErrorBody } from '../../../src/node/api/errors.js'
import { API_INFO_FILE, API_TOKEN_FILE, MAX_API_BODY_BYTES, createApiServer, type ApiServer } from '../../../src/node/api/server.js'
import type { PeerControl, PeerStatus, ResultsView, SubmitRequest, SubmitResult } from '../../../src/node/peer-types.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

/** A PeerControl that records calls and answers what the test sets. */
function fakeControl () {
  const calls: Array<{ op: string, args: unknown[] }> = []
  let stops = 0
  const control: PeerControl & { fail?: StratmeshError | Error } = {
    async status () {
      calls.push({ op: 'status', args: [] })
      if (control.fail !== undefined) throw control.fail
      return { self: { id: 'self' }, peers: [], jobs: [], conflicts: [], rejected: {} } as unknown as PeerStatus
    },
    async results (jobId, top) {
      calls.push({ op: 'results', args: [jobId, top] })
      if (control.fail !== undefined) throw control.fail
      return { job: { id: jobId ?? 'latest' }, done: false, leaderboard: [] } as unknown as ResultsView
    },
    async submit (req: SubmitRequest) {
      calls.push({ op: 'submit', args: [req] })
      if (control.fail !== undefined) throw control.fail
      return { jobId: 'abc', existing: false } as unknown as SubmitResult
    },
    async stop () { stops++ },
  }
  return { control, calls, stops: () => stops }
}

interface Reply { status: number, body: any } // eslint-disable-line @typescript-eslint/no-explicit-any

/** A raw request, so tests can send any Host header and any body (fetch forbids setting Host). */
async function send (port: number, opts: { method?: string, path: string, token?: string, host?: string, body?: string | Buffer, type?: string }): Promise<Reply> {
  return await new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: opts.host ?? `127.0.0.1:${port}` }
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
    if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json'
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers }, res => {
      const chunks: Buffer[] = []
      res.on('data', c => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({ status: res.statusCode ?? 0, body: text === '' ? undefined : JSON.parse(text) })
      })
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

async function startServer (t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await tempDir()
  const fake = fakeControl()
  const server: ApiServer = createApiServer({ control: fake.control, dataDir: dir.path, port: 0 })
  await server.start()
  t.after(async () => { await server.stop() })
  const token = (await readFile(join(dir.path, API_TOKEN_FILE), 'utf8')).trim()
  return { dir, fake, server, token, port: server.port }
}

const STRATEGY = '/abs/strategy.ts'

test('start writes api.json and a 0600 token; stop removes both', async t => {
  const { dir, server, token } = await startServer(t)
  const info = JSON.parse(await readFile(join(dir.path, API_INFO_FILE), 'utf8'))
  assert.equal(info.port, server.port)
  assert.equal(info.pid, process.pid)
  assert.equal(typeof info.startedAt, 'number')
  assert.ok(token.length >= 40, 'the token has at least 256 bits in base64url')
  assert.equal((await stat(join(dir.path, API_TOKEN_FILE))).mode & 0o777, 0o600)
  assert.equal((await stat(join(dir.path, API_INFO_FILE))).mode & 0o777, 0o600)
  assert.deepEqual((await readdir(dir.path)).sort(), [API_INFO_FILE, API_TOKEN_FILE].sort(), 'no temp file left behind')
  await server.stop()
  assert.deepEqual(await readdir(dir.path), [])
  await assert.rejects(send(server.port, { path: '/v1/status', token }), 'nothing listens after stop')
})

test('every route needs the bearer token: 401 without one or with a wrong one', async t => {
  const { port, token, fake } = await startServer(t)
  for (const given of [undefined, 'wrong', token + 'x', token.slice(0, -1)]) {
    const r = await send(port, { path: '/v1/status', ...(given === undefined ? {} : { token: given }) })
    assert.equal(r.status, 401)
    assert.equal(r.body.error.code, 'API_UNAUTHORIZED')
  }
  const stop = await send(port, { method: 'POST', path: '/v1/stop' })
  assert.equal(stop.status, 401)
  assert.equal(fake.stops(), 0)
  assert.equal(fake.calls.length, 0, 'the control was never reached')
  const ok = await send(port, { path: '/v1/status', token })
  assert.equal(ok.status, 200)
  assert.equal(ok.body.self.id, 'self')
})

test('a Host header other than 127.0.0.1 or localhost is refused (DNS rebinding)', async t => {
  const { port, token } = await startServer(t)
  for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1.evil.example', '10.0.0.1']) {
    const r = await send(port, { path: '/v1/status', token, host })
    assert.equal(r.status, 403, host)
    assert.equal(r.body.error.code, 'API_BAD_HOST')
  }
  for (const host of [`localhost:${port}`, '127.0.0.1', 'LOCALHOST']) {
    assert.equal((await send(port, { path: '/v1/status', token, host })).status, 200, host)
  }
})

test('submit: a valid body reaches the control; bad fields are 400 naming the field', async t => {
  const { port, token, fake } = await startServer(t)
  const ok = await send(port, { method: 'POST', path: '/v1/jobs', token, body: JSON.stringify({ strategyPath: STRATEGY, data: 'default', islands: 2, fee: 0.001, objective: 'sortino' }) })
  assert.equal(ok.status, 200)
  assert.equal(ok.body.jobId, 'abc')
  assert.deepEqual(fake.calls[0], { op: 'submit', args: [{ strategyPath: STRATEGY, data: 'default', islands: 2, fee: 0.001, objective: 'sortino' }] })

  const cases: Array<[unknown, string]> = [
    [{ data: 'default' }, 'strategyPath'],
    [{ strategyPath: 'relative.ts', data: 'default' }, 'strategyPath'],
    [{ strategyPath: STRATEGY }, 'data'],
    [{ strategyPath: STRATEGY, data: 'prices.csv' }, 'data'],
    [{ strategyPath: STRATEGY, data: 'default', islands: 2.5 }, 'islands'],
    [{ strategyPath: STRATEGY, data: 'default', seed: '7' }, 'seed'],
    [{ strategyPath: STRATEGY, data: 'default', fee: 'x' }, 'fee'],
    [{ strategyPath: STRATEGY, data: 'default', objective: 'profit' }, 'objective'],
    [{ strategyPath: STRATEGY, data: 'default', colour: 'red' }, 'colour'],
    [{ strategyPath: STRATEGY, data: STRATEGY, basket: [STRATEGY, 'b.csv'] }, 'basket[1]'],
    [{ strategyPath: STRATEGY, data: STRATEGY, basket: STRATEGY }, 'basket'],
    [{ strategyPath: STRATEGY, data: 'default', aggregate: 'max' }, 'aggregate'],
    [[1, 2], '(body)'],
  ]
  for (const [body, field] of cases) {
    const r = await send(port, { method: 'POST', path: '/v1/jobs', token, body: JSON.stringify(body) })
    assert.equal(r.status, 400, JSON.stringify(body))
    assert.equal(r.body.error.code, 'API_BAD_REQUEST')
    assert.equal(r.body.error.details.field, field)
    assert.match(r.body.error.message, new RegExp(field.replace(/[()[\]]/g, '\\$&')))
  }
  const basket = { strategyPath: STRATEGY, data: '/d/a.csv', basket: ['/d/a.csv', '/d/b.csv'], aggregate: 'min' }
  assert.equal((await send(port, { method: 'POST', path: '/v1/jobs', token, body: JSON.stringify(basket) })).status, 200)
  assert.deepEqual(fake.calls[1], { op: 'submit', args: [basket] })
  fake.calls.pop()
  const notJson = await send(port, { method: 'POST', path: '/v1/jobs', token, body: '{nope' })
  assert.equal(notJson.status, 400)
  const form = await send(port, { method: 'POST', path: '/v1/jobs', token, body: 'a=b', type: 'application/x-www-form-urlencoded' })
  assert.equal(form.status, 415)
  assert.equal(fake.calls.length, 1, 'no bad request reached the control')
})

test('bodies over the cap are refused with 413', async t => {
  const { port, token, fake } = await startServer(t)
  const body = JSON.stringify({ strategyPath: STRATEGY, data: 'default', pad: 'x'.repeat(MAX_API_BODY_BYTES) })
  const r = await send(port, { method: 'POST', path: '/v1/jobs', token, body })
  assert.equal(r.status, 413)
  assert.equal(r.body.error.code, 'API_BODY_TOO_LARGE')
  assert.equal(fake.calls.length, 0)
})

test('results: query checked, errors map to statuses by code', async t => {
  const { port, token, fake } = await startServer(t)
  const ok = await send(port, { path: '/v1/results?job=abcdef12&top=5', token })
  assert.equal(ok.status, 200)
  assert.deepEqual(fake.calls.at(-1), { op: 'results', args: ['abcdef12', 5] })
  await send(port, { path: '/v1/results', token })
  assert.deepEqual(fake.calls.at(-1), { op: 'results', args: [undefined, 10] }, 'the latest job, default top')
  for (const q of ['top=0', 'top=x', 'top=100000', 'job=../etc']) {
    const r = await send(port, { path: `/v1/results?${q}`, token })
    assert.equal(r.status, 400, q)
    assert.ok(['top', 'job'].includes(r.body.error.details.field))
  }
  const mapping: Array<[Error, number, string]> = [
    [new StratmeshError('JOB_NOT_FOUND', 'no job abc'), 404, 'JOB_NOT_FOUND'],
    [new StratmeshError('JOB_INVALID', 'job islands must be…'), 400, 'JOB_INVALID'],
    [new StratmeshError('CSV_BAD_ROW', 'prices.csv line 3: …'), 400, 'CSV_BAD_ROW'],
    [new StratmeshError('STRATEGY_SYNTAX', 'bad'), 400, 'STRATEGY_SYNTAX'],
    [new StratmeshError('LOG_STORE_WRITE', 'disk full'), 500, 'LOG_STORE_WRITE'],
    [new Error('boom'), 500, 'INTERNAL'],
  ]
  for (const [err, status, code] of mapping) {
    fake.control.fail = err
    const r = await send(port, { path: '/v1/results?job=abc', token })
    assert.equal(r.status, status, code)
    assert.equal(r.body.error.code, code)
    assert.equal(typeof r.body.error.message, 'string')
  }
  assert.equal((await send(port, { path: '/v1/nope', token })).status, 404)
  assert.equal((await send(port, { method: 'POST', path: '/v1/status', token, body: '{}' })).status, 405)
})

test('POST /v1/stop answers, then calls control.stop; later requests are 503', async t => {
  const { port, token, fake } = await startServer(t)
  const r = await send(port, { method: 'POST', path: '/v1/stop', token })
  assert.equal(r.status, 202)
  await waitFor(() => fake.stops() === 1, { message: 'control.stop called' })
  const after = await send(port, { path: '/v1/status', token })
  assert.equal(after.status, 503)
  assert.equal(after.body.error.code, 'PEER_STOPPING')
})

test('the server listens on 127.0.0.1 only', () => {
  assert.throws(() => createApiServer({ control: fakeControl().control, dataDir: '/tmp', host: '0.0.0.0' as '127.0.0.1' }), (err: unknown) => err instanceof StratmeshError && err.code === 'API_BAD_OPTIONS')
})

test('the server answers each code with the registry\'s HTTP status', async t => {
  const { port, token, fake } = await startServer(t)
  const codes: ErrorCode[] = ['JOB_NOT_FOUND', 'ROW_NOT_FOUND', 'DETAIL_UNAVAILABLE', 'DETAIL_NOT_READY', 'PEER_STOPPING', 'API_BAD_REQUEST', 'DATASET_INVALID', 'DATASET_CORRUPT', 'DATA_DIR_LOCKED', 'EVAL_TIMEOUT']
  for (const code of codes) {
    fake.control.fail = new StratmeshError(code, 'm')
    const r = await send(port, { path: '/v1/status', token })
    assert.equal(r.status, ERROR_CODES[code].http, code)
    assert.equal(r.body.error.code, code)
  }
})

test('an error body with a code this version does not know keeps it in details', () => {
  const known = fromErrorBody({ error: { code: 'JOB_INVALID', message: 'm', details: { field: 'seed' } } }, 400)
  assert.equal(known.code, 'JOB_INVALID')
  assert.deepEqual(known.details, { field: 'seed' })
  const unknown = fromErrorBody({ error: { code: 'FUTURE_CODE', message: 'm', details: { field: 'x' } } }, 400)
  assert.equal(unknown.code, 'API_BAD_RESPONSE')
  assert.deepEqual(unknown.details, { field: 'x', remoteCode: 'FUTURE_CODE' })
  assert.match(unknown.message, /FUTURE_CODE: m/)
})
