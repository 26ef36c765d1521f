/**
 * Runs inside one host's namespace for the harness, so the harness (in the root namespace) can
 * reach the peer's local API, which listens on that namespace's own 127.0.0.1. It reads one JSON
 * request per line on stdin and answers one JSON line on stdout; it exits when stdin closes (the
 * harness died or tore down). Each request reconnects through the data dir, so the agent outlives
 * peer restarts.
 *
 * Requests: {id, op: 'status'|'results'|'submit'|'stop', dataDir, via: 'api'|'cli', job?, top?, submit?}
 * `via: 'api'` uses the API client in this process (fast); `via: 'cli'` runs `peer <op> --json`
 * from bin/peer.js (the user's path, once the CLI is built).
 */
import { execFile } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { connectToPeer } from '../../src/node/api/client.js'
import type { SubmitRequest } from '../../src/node/peer-types.js'

/** A CLI query answers from memory; more than this means the peer is stuck (or frozen). */
const CLI_TIMEOUT_MS = 20_000
const PEER_BIN = fileURLToPath(new URL('../../bin/peer.js', import.meta.url))

interface Request {
  id: number
  op: 'status' | 'results' | 'submit' | 'stop'
  dataDir: string
  via?: 'api' | 'cli'
  job?: string
  top?: number
  submit?: SubmitRequest
}

async function viaApi (r: Request): Promise<unknown> {
  const client = await connectToPeer(r.dataDir)
  switch (r.op) {
    case 'status': return await client.status()
    case 'results': return await client.results(r.job, r.top ?? 10)
    case 'submit': return await client.submit(r.submit as SubmitRequest)
    case 'stop': await client.stop(); return null
  }
}

async function viaCli (r: Request): Promise<unknown> {
  const args = [PEER_BIN, r.op]
  if (r.op === 'results' && r.job !== undefined) args.push(r.job)
  if (r.op === 'results') args.push('--top', String(r.top ?? 10))
  if (r.op === 'submit') {
    const s = r.submit as SubmitRequest
    args.push(s.strategyPath, '--data', s.data)
    const flags: Array<[keyof SubmitRequest, string]> = [['islands', '--islands'], ['population', '--population'], ['generations', '--generations'], ['epochs', '--epochs'], ['seed', '--seed'], ['minTrades', '--min-trades'], ['objective', '--objective'], ['fee', '--fee'], ['slippage', '--slippage'], ['oos', '--oos']]
    for (const [k, f] of flags) if (s[k] !== undefined) args.push(f, String(s[k]))
  }
  if (r.op !== 'stop') args.push('--json')
  args.push('--data-dir', r.dataDir)
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: CLI_TIMEOUT_MS }, (err, stdout, stderr) => {
      if (err !== null) { reject(Object.assign(new Error(`peer ${r.op}: ${stderr.trim() || err.message}`), { code: 'CLI_FAILED' })); return }
      try { resolve(r.op === 'stop' ? null : JSON.parse(stdout)) } catch (e) { reject(e) }
    })
  })
}

const rl = createInterface({ input: process.stdin })
rl.on('line', line => {
  let r: Request
  try { r = JSON.parse(line) as Request } catch { return }
  const work = r.via === 'cli' ? viaCli(r) : viaApi(r)
  work.then(
    value => { process.stdout.write(JSON.stringify({ id: r.id, ok: true, value }) + '\n') },
    (err: unknown) => {
      const e = err as { code?: string, message?: string }
      process.stdout.write(JSON.stringify({ id: r.id, ok: false, error: { code: e.code ?? 'ERROR', message: e.message ?? String(err) } }) + '\n')
    })
})
rl.on('close', () => { process.exit(0) })
