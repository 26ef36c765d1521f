/**
 * `peer start` with a bad input: one line naming the option, exit 2, and nothing written: no data
 * dir created, no identity or secret stored. The secret is never taken from the command line.
 */
import { test as nodeTest, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { existsSync } from 'node:fs'
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../../helpers/temp-dir.js'
import { REPO_ROOT, runPeerCli, type CliRun } from '../../helpers/run-cli.js'

/** A CLI run that hangs is a bug; this bounds it so the test fails instead. */
const CLI_TIMEOUT_MS = 60_000
const SECRET = 'a mesh secret long enough'
/** The built CLI: a dozen starts through tsx would take minutes on 2 shared cores. */
const BUILT = existsSync(join(REPO_ROOT, 'dist', 'node', 'cli', 'main.js'))

function test (name: string, fn: (t: TestContext) => Promise<void>): void {
  nodeTest(name, { skip: BUILT ? false : 'the CLI is not built (npm run build)' }, fn)
}

/** `peer start` from the build, never a TTY on stdin, with no stratmesh settings from this process. */
async function start (args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const base: NodeJS.ProcessEnv = { ...process.env, STRATMESH_DEBUG: '' }
  delete base.STRATMESH_SECRET
  delete base.STRATMESH_DATA_DIR
  return await runPeerCli(['start', '--no-mdns', '--cpus', '1', ...args], { timeoutMs: CLI_TIMEOUT_MS, env: { ...base, ...env } })
}

function oneLine (r: CliRun, code: string): string {
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`)
  assert.match(lines[0], new RegExp(`^peer: ${code}: `))
  return lines[0]
}

async function exists (path: string): Promise<boolean> {
  return await stat(path).then(() => true, () => false)
}

test('--secret is refused with one line naming the safe ways, without echoing the value; nothing is written', async () => {
  const dir = await tempDir()
  const dataDir = join(dir.path, 'data')
  const runs = await Promise.all([
    start(['--data-dir', dataDir, '--secret', SECRET]),
    start(['--data-dir', dataDir, `--secret=${SECRET}`]),
    start(['--data-dir', dataDir, '--secret']),
  ])
  for (const r of runs) {
    assert.equal(r.code, 2, r.stderr)
    assert.equal(r.stdout, '')
    const line = oneLine(r, 'SECRET_ON_COMMAND_LINE')
    for (const named of ['--secret ', 'STRATMESH_SECRET', '--secret-file', 'prompt']) assert.ok(line.includes(named), `${named} in: ${line}`)
    assert.ok(!line.includes(SECRET), 'the secret is not repeated')
  }
  assert.equal(await exists(dataDir), false, 'no data dir was created')
  const help = await runPeerCli(['start', '--help'], { timeoutMs: CLI_TIMEOUT_MS, env: process.env })
  assert.ok(help.stdout.includes('--secret-file'))
  assert.ok(!/--secret[ ,<[]/.test(help.stdout), 'help does not offer --secret')
})

test('a --data-dir that is a file, or lies inside one, is refused naming where it came from; the file is untouched', async () => {
  const dir = await tempDir()
  const file = join(dir.path, 'not-a-dir')
  await writeFile(file, 'mine\n')
  const [asFile, inside, fromEnv] = await Promise.all([
    start(['--data-dir', file, '--listen', '/ip4/127.0.0.1/tcp/0']),
    start(['--data-dir', join(file, 'data'), '--listen', '/ip4/127.0.0.1/tcp/0']),
    start(['--listen', '/ip4/127.0.0.1/tcp/0'], { STRATMESH_DATA_DIR: file }),
  ])
  for (const [r, named] of [[asFile, '--data-dir'], [inside, '--data-dir'], [fromEnv, 'STRATMESH_DATA_DIR']] as const) {
    assert.equal(r.code, 2, r.stderr)
    const line = oneLine(r, 'OPTION_INVALID')
    assert.ok(line.startsWith(`peer: OPTION_INVALID: ${named} `), line)
    assert.ok(line.includes(file), line)
  }
  assert.equal(await readFile(file, 'utf8'), 'mine\n')
  assert.deepEqual(await readdir(dir.path), ['not-a-dir'], 'nothing else was written')
})

test('a bad --listen (not a multiaddr, a port out of range, not tcp) is refused naming the option; no data dir is created', async () => {
  const dir = await tempDir()
  const dataDir = join(dir.path, 'data')
  const bad = ['nonsense', '/ip4/127.0.0.1/tcp/70000', '/ip4/127.0.0.1/tcp/-1', '/ip4/127.0.0.1/udp/4001', '/ip4/300.0.0.1/tcp/1']
  const runs = await Promise.all(bad.map(async addr => await start(['--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--listen', addr], { STRATMESH_SECRET: SECRET })))
  runs.forEach((r, i) => {
    assert.equal(r.code, 2, `${bad[i]}: ${r.stderr}`)
    const line = oneLine(r, 'OPTION_INVALID')
    assert.ok(line.includes('--listen') && line.includes(bad[i]), line)
  })
  assert.equal(await exists(dataDir), false)
})

test('--secret-file: a missing, loose, oversized or short file is refused with exit 2 and nothing written', async () => {
  const dir = await tempDir()
  const dataDir = join(dir.path, 'data')
  const loose = join(dir.path, 'loose.secret')
  await writeFile(loose, SECRET)
  // chmod after writing: the umask would narrow a mode given to writeFile.
  await chmod(loose, 0o644)
  const groupWritable = join(dir.path, 'group-writable.secret')
  await writeFile(groupWritable, SECRET)
  await chmod(groupWritable, 0o620)
  const big = join(dir.path, 'big.secret')
  await writeFile(big, 'x'.repeat(5000), { mode: 0o600 })
  const short = join(dir.path, 'short.secret')
  await writeFile(short, 'abc\n', { mode: 0o600 })
  const cases: Array<[string, string]> = [
    [join(dir.path, 'missing.secret'), 'SECRET_FILE_UNREADABLE'],
    [dir.path, 'SECRET_FILE_UNREADABLE'],
    [big, 'SECRET_FILE_UNREADABLE'],
    [short, 'SECRET_TOO_SHORT'],
    ...(process.platform === 'win32' ? [] : [[loose, 'SECRET_FILE_EXPOSED'], [groupWritable, 'SECRET_FILE_EXPOSED']] as Array<[string, string]>),
  ]
  const runs = await Promise.all(cases.map(async ([path]) => await start(['--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0', '--secret-file', path])))
  runs.forEach((r, i) => {
    const [path, code] = cases[i]
    assert.equal(r.code, 2, `${path}: ${r.stderr}`)
    const line = oneLine(r, code)
    assert.ok(line.includes(`--secret-file ${path}`), line)
    assert.ok(!line.includes(SECRET), 'the secret is not shown')
  })
  assert.match(runs[cases.findIndex(c => c[0] === loose)]?.stderr ?? 'mode 644 chmod 600', /mode 644.*chmod 600/)
  const envShort = await start(['--data-dir', dataDir, '--listen', '/ip4/127.0.0.1/tcp/0'], { STRATMESH_SECRET: 'abc' })
  assert.equal(envShort.code, 2)
  assert.ok(oneLine(envShort, 'SECRET_TOO_SHORT').includes('STRATMESH_SECRET'))
  assert.equal(await exists(dataDir), false)
})

test('a start that fails after its checks (the port is taken) removes the data dir it created, and only that', async t => {
  const dir = await tempDir()
  const taken = createServer()
  await new Promise<void>(resolve => { taken.listen(0, '127.0.0.1', resolve) })
  t.after(() => { taken.close() })
  const port = (taken.address() as { port: number }).port
  const fresh = join(dir.path, 'new', 'data')
  const r = await start(['--data-dir', fresh, '--listen', `/ip4/127.0.0.1/tcp/${port}`], { STRATMESH_SECRET: SECRET })
  assert.notEqual(r.code, 0, 'the start failed')
  assert.equal(r.stderr.trimEnd().split('\n').filter(l => l.startsWith('peer: ')).length, 1, r.stderr)
  assert.equal(await exists(join(dir.path, 'new')), false, 'the directories this start made are gone')
  // A data dir that was there before stays, with what was in it.
  const kept = join(dir.path, 'kept')
  await mkdir(kept)
  await writeFile(join(kept, 'note'), 'mine')
  const again = await start(['--data-dir', kept, '--listen', `/ip4/127.0.0.1/tcp/${port}`], { STRATMESH_SECRET: SECRET })
  assert.notEqual(again.code, 0)
  assert.equal(await readFile(join(kept, 'note'), 'utf8'), 'mine')
})
