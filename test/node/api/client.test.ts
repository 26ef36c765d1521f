import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { isStratmeshError, StratmeshError } from '../../../src/protocol/errors.js'
import { connectToPeer } from '../../../src/node/api/client.js'
import { API_INFO_FILE, API_TOKEN_FILE, createApiServer } from '../../../src/node/api/server.js'
import type { PeerControl, PeerStatus, ResultsView, SubmitResult } from '../../../src/node/peer-types.js'
import { tempDir } from '../../helpers/temp-dir.js'

const notRunning = (dir: string) => (err: unknown): boolean =>
  isStratmeshError(err, 'PEER_NOT_RUNNING') && err.message.includes(dir) && err.message.includes('peer start')

async function writeInfo (dir: string, info: { port: number, pid: number }): Promise<void> {
  await writeFile(join(dir, API_INFO_FILE), JSON.stringify({ ...info, startedAt: 0 }))
  await writeFile(join(dir, API_TOKEN_FILE), 'token')
}

test('PEER_NOT_RUNNING when there is no api.json', async () => {
  const dir = await tempDir()
  await assert.rejects(connectToPeer(dir.path), notRunning(dir.path))
  await assert.rejects(connectToPeer(join(dir.path, 'missing')), notRunning(join(dir.path, 'missing')))
})

test('PEER_NOT_RUNNING when the recorded pid is dead', async () => {
  const dir = await tempDir()
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' })
  try {
    await once(child, 'exit')
  } finally {
    child.kill('SIGKILL')
  }
  await writeInfo(dir.path, { port: 1, pid: child.pid as number })
  await assert.rejects(connectToPeer(dir.path), notRunning(dir.path))
})

test('PEER_NOT_RUNNING when the port refuses the connection', async () => {
  const dir = await tempDir()
  const probe = createServer()
  await new Promise<void>(resolve => probe.listen(0, '127.0.0.1', resolve))
  const port = (probe.address() as { port: number }).port
  await new Promise<void>(resolve => probe.close(() => resolve()))
  await writeInfo(dir.path, { port, pid: process.pid })
  const client = await connectToPeer(dir.path)
  await assert.rejects(client.status(), notRunning(dir.path))
})

test('round trip through a real server: answers, and server errors keep their code', async t => {
  const dir = await tempDir()
  const control: PeerControl = {
    async status () { return { self: { id: 'me' }, peers: [], jobs: [], conflicts: [], rejected: {} } as unknown as PeerStatus },
    async results (jobId, top) {
      if (jobId === 'deadbeef') throw new StratmeshError('JOB_NOT_FOUND', 'no job deadbeef is known to this peer')
      return { job: { id: jobId }, done: true, leaderboard: [], top } as unknown as ResultsView
    },
    async submit (req) { return { jobId: 'j1', existing: false, req } as unknown as SubmitResult },
    async stop () {},
  }
  const server = createApiServer({ control, dataDir: dir.path })
  await server.start()
  t.after(async () => { await server.stop() })
  const client = await connectToPeer(dir.path)
  assert.equal(client.info.port, server.port)
  assert.equal((await client.status()).self.id, 'me')
  assert.deepEqual(await client.results('abcdef12', 3), { job: { id: 'abcdef12' }, done: true, leaderboard: [], top: 3 })
  await assert.rejects(client.results('deadbeef', 3), err => isStratmeshError(err, 'JOB_NOT_FOUND') && err.message.includes('deadbeef'))
  const submitted = await client.submit({ strategyPath: '/abs/s.ts', data: 'default', seed: 3 }) as unknown as { req: unknown }
  assert.deepEqual(submitted.req, { strategyPath: '/abs/s.ts', data: 'default', seed: 3 })
  await assert.rejects(client.submit({ strategyPath: 'rel.ts', data: 'default' }), err => isStratmeshError(err, 'API_BAD_REQUEST') && err.details?.field === 'strategyPath')

  // A token replaced under the client (the peer restarted): a clear error, not a crash.
  await writeFile(join(dir.path, API_TOKEN_FILE), 'stale')
  const stale = await connectToPeer(dir.path)
  await assert.rejects(stale.status(), err => isStratmeshError(err, 'API_UNAUTHORIZED'))
})
