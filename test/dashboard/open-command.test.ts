import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { createApiServer } from '../../src/node/api/server.js'
import { OPEN_PAGE_FILE } from '../../src/node/cli/commands-open.js'
import type { PeerControl, PeerStatus, ResultsView, SubmitResult } from '../../src/node/peer-types.js'
import { tempDir } from '../helpers/temp-dir.js'
import { runPeerCli, type CliRun } from '../helpers/run-cli.js'

/** A CLI run that hangs is a bug; this bounds it so the test fails instead. */
const CLI_TIMEOUT_MS = 30_000

type Run = CliRun

/** Runs the built CLI as a child process (killed by the timeout if it hangs). */
async function peer (args: string[], env: Record<string, string> = {}): Promise<Run> {
  return await runPeerCli(args, { timeoutMs: CLI_TIMEOUT_MS, env: { ...process.env, STRATMESH_DEBUG: '', ...env } })
}

const control: PeerControl = {
  async status () { return {} as PeerStatus },
  async results () { return {} as ResultsView },
  async submit () { return {} as SubmitResult },
  async stop () {},
}

async function redeem (port: number, url: string): Promise<number> {
  const code = new URL(url).hash.replace('#code=', '')
  const res = await fetch(`http://127.0.0.1:${port}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
  return res.status
}

test('peer open: prints a working one-time link (--json: {url}); without a browser it still succeeds', async t => {
  const dir = await tempDir()
  const none = await peer(['open', '--data-dir', dir.path])
  assert.equal(none.code, 3, 'no peer running')
  assert.match(none.stderr, /^peer: PEER_NOT_RUNNING: /)

  const server = createApiServer({ control, dataDir: dir.path })
  await server.start()
  t.after(async () => { await server.stop() })
  const link = new RegExp(`^http://127\\.0\\.0\\.1:${server.port}/#code=[A-Za-z0-9_-]{43}$`)

  const [json, plain, noOpener] = await Promise.all([
    peer(['open', '--json', '--data-dir', dir.path]),
    peer(['open', '--no-browser', '--data-dir', dir.path]),
    // No opener on the PATH: the browser cannot start, the command still prints the link and succeeds.
    peer(['open', '--data-dir', dir.path], { PATH: join(dir.path, 'no-such-bin') }),
  ])
  assert.equal(json.code, 0, json.stderr)
  const { url } = JSON.parse(json.stdout)
  assert.deepEqual(Object.keys(JSON.parse(json.stdout)), ['url'])
  assert.match(url, link)
  assert.equal(plain.code, 0, plain.stderr)
  assert.match(plain.stdout.trim(), link)
  assert.equal(plain.stderr, '')
  assert.equal(noOpener.code, 0, noOpener.stderr)
  assert.match(noOpener.stdout.trim(), link)
  assert.match(noOpener.stderr, /could not start a browser \(.*\); open the address above/)

  // The page for the browser: private, and a redirect to a link of its own.
  const page = join(dir.path, OPEN_PAGE_FILE)
  assert.equal((await stat(page)).mode & 0o777, 0o600)
  const target = /url=([^"]+)"/.exec(await readFile(page, 'utf8'))?.[1] ?? ''
  assert.match(target, link)
  assert.notEqual(target, noOpener.stdout.trim())

  assert.equal(await redeem(server.port, url), 200)
  assert.equal(await redeem(server.port, url), 401, 'a link signs in once')
  assert.equal(await redeem(server.port, target), 200)
})
