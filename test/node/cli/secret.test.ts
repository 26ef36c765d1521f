/**
 * The mesh secret never appears on a command line: `peer start` takes it from STRATMESH_SECRET,
 * from `--secret-file`, or from a prompt on a terminal that does not echo it. Two real peers, one
 * given the secret each way, form one mesh, and no process of theirs (peer or evaluator) shows the
 * secret in /proc/<pid>/cmdline, which every local user can read.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, spawnSync } from 'node:child_process'
import { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { connectToPeer } from '../../../src/node/api/client.js'
import { promptSecret, type SecretTerminal } from '../../../src/node/cli/secret-prompt.js'
import { StratmeshError } from '../../../src/protocol/errors.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'
import { CLI_SECRET, groupPids, PEER_START_TIMEOUT_MS, REPO_ROOT, runCli, waitFullMesh, withCliMesh } from '../../helpers/cli-peer.js'

const ON_LINUX = process.platform === 'linux'

async function cmdline (pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ')
}

test('a peer given the secret by STRATMESH_SECRET and one by --secret-file join one mesh; no process shows the secret in its command line', { skip: ON_LINUX ? false : '/proc/<pid>/cmdline is Linux', timeout: 120_000 }, async t => {
  await withCliMesh(t, async mesh => {
    const viaEnv = await mesh.add({ name: 'env' })
    const viaFile = await mesh.add({ name: 'file', secretVia: 'file', bootstrap: [await viaEnv.address()] })
    await waitFullMesh([viaEnv, viaFile])
    for (const p of [viaEnv, viaFile]) {
      assert.equal((await readFile(join(p.dataDir, 'mesh.secret'), 'utf8')).trim(), CLI_SECRET, `${p.name} keeps the secret it was given`)
      const pid = p.pid
      assert.ok(pid !== undefined)
      assert.ok((await cmdline(pid)).includes(' start '), `${p.name}: this is the peer's command line`)
      const pids = await groupPids(pid)
      assert.ok(pids.length >= 2, `${p.name}: the peer and its evaluators (${pids.join(', ')})`)
      for (const q of pids) assert.ok(!(await cmdline(q)).includes(CLI_SECRET), `${p.name}: pid ${q} shows no secret: ${await cmdline(q)}`)
    }
    assert.ok((await cmdline(viaFile.pid ?? 0)).includes('--secret-file'))
  })
})

/** A terminal for promptSecret: records what is written and the raw mode it is left in. */
function fakeTerminal (): SecretTerminal & { written: string, raw: boolean, type: (s: string) => void } {
  const input = Object.assign(new EventEmitter(), {
    isRaw: false,
    setRawMode (mode: boolean) { input.isRaw = mode; return input },
    setEncoding () { return input },
    resume () { return input },
    pause () { return input },
  })
  const term = {
    input: input as unknown as SecretTerminal['input'],
    output: { write: (s: string) => { term.written += s; return true } },
    written: '',
    get raw () { return input.isRaw },
    type: (s: string) => { input.emit('data', s) },
  }
  return term
}

test('the prompt reads a line in raw mode without echoing it, handles backspace and keys, and Ctrl-C cancels', async () => {
  const term = fakeTerminal()
  const answer = promptSecret('mesh secret: ', term)
  assert.equal(term.raw, true, 'raw mode while asking: the terminal does not echo')
  term.type('my mesh')
  term.type(' secretX\u007f\u001b[D')
  term.type('!\r')
  assert.equal(await answer, 'my mesh secret!')
  assert.equal(term.written, 'mesh secret: \n', 'nothing typed was written back')
  assert.equal(term.raw, false, 'the terminal is restored')

  const cancelled = fakeTerminal()
  const asked = promptSecret('mesh secret: ', cancelled)
  cancelled.type('half\u0003')
  await assert.rejects(asked, (err: unknown) => err instanceof StratmeshError && err.code === 'SECRET_PROMPT_CANCELLED')
  assert.equal(cancelled.raw, false)
})

/** util-linux `script` runs a command on a pseudo-terminal, as a user's shell would. */
const HAS_SCRIPT = ON_LINUX && spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0

test('on a terminal with no secret stored, peer start asks for it without echoing; the answer is kept and is on no command line', { skip: HAS_SCRIPT ? false : 'needs util-linux script for a pseudo-terminal', timeout: 120_000 }, async t => {
  const dir = await tempDir()
  const dataDir = join(dir.path, 'data')
  const secret = 'typed at the prompt, not on a command line'
  const command = [process.execPath, join(REPO_ROOT, 'bin', 'peer.js'), 'start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--cpus', '1', '--data-dir', dataDir]
  const env: NodeJS.ProcessEnv = { ...process.env, STRATMESH_DEBUG: '' }
  delete env.STRATMESH_SECRET
  delete env.STRATMESH_DATA_DIR
  const quoted = command.map(a => `'${a.replaceAll("'", "'\\''")}'`).join(' ')
  const child = spawn('script', ['-qfec', quoted, '/dev/null'], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] })
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (s: string) => { out += s })
  child.stderr.setEncoding('utf8').on('data', (s: string) => { out += s })
  const closed = new Promise(resolve => { child.once('close', resolve) })
  let peerPid: number | undefined
  t.after(async () => {
    // The peer runs in the session `script` made for it: end it by its own pid.
    if (peerPid !== undefined) { try { process.kill(peerPid, 'SIGKILL') } catch {} }
    child.kill('SIGKILL')
    await closed
  })
  await waitFor(() => out.includes('mesh secret ('), { timeoutMs: PEER_START_TIMEOUT_MS, intervalMs: 50, message: `the prompt, in:\n${out}` })
  child.stdin.write(`${secret}\r`)
  const client = await waitFor(async () => await connectToPeer(dataDir), { timeoutMs: PEER_START_TIMEOUT_MS, intervalMs: 100, message: `the peer to start, after:\n${out}` })
  peerPid = client.info.pid
  assert.equal((await readFile(join(dataDir, 'mesh.secret'), 'utf8')).trim(), secret)
  assert.ok(!out.includes(secret), `the secret was not echoed:\n${out}`)
  assert.ok(!(await cmdline(peerPid)).includes(secret))
  assert.ok(!/new mesh secret was generated/.test(out), 'a typed secret is not a new one')
  const stopped = await runCli(['stop', '--data-dir', dataDir])
  assert.equal(stopped.code, 0, stopped.stderr)
  await closed
  peerPid = undefined
})
