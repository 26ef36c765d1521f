/**
 * Installing without cloning: the project is packed as `npm pack` packs it for a release (prepack
 * and prepare build it), the tarball is installed with `npm install -g` into an empty prefix, and
 * the installed `peer start --demo` runs from a directory outside the checkout with the Node that
 * runs this test, to a leaderboard and exit 0.
 *
 * The packing happens in a copy of the sources: packing rebuilds dist/, and other test files run
 * the checkout's dist/ at the same time.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs'
import { delimiter, dirname, join, relative, sep } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { REPO_ROOT } from '../helpers/run-cli.js'

/** Packing includes a full build (tsc and the dashboard), about half a minute on 2 busy cores. */
const PACK_TIMEOUT_MS = 300_000
/** About 140 packages from the npm cache; slower only when npm has to reach the registry. */
const INSTALL_TIMEOUT_MS = 300_000
/** The demo takes about half a minute on 2 busy cores; past this it is hung, not slow. */
const DEMO_TIMEOUT_MS = 300_000

/** Top-level entries of the checkout that are not sources: installed, built, or left by runs. */
const NOT_SOURCES = new Set(['.git', 'node_modules', 'dist', 'coverage', 'test-artifacts', '.stratmesh'])

/** npm's codes for a package it could not fetch: no cache entry and no registry to ask. */
const UNREACHABLE = /\b(ENOTCACHED|ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH)\b/

interface Run { readonly code: number | null, readonly stdout: string, readonly stderr: string }

/** PATH with this test's Node first, so npm and the installed bin's `env node` run on it. */
function envWithThisNode (): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` }
}

async function run (file: string, args: readonly string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = envWithThisNode()): Promise<Run> {
  return await new Promise(resolve => {
    const child = execFile(file, args, { cwd, env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null
      resolve({ code, stdout, stderr: err !== null && code === null ? `${stderr}\n${err.message}` : stderr })
    })
    child.stdin?.end()
  })
}

/** The sources, without node_modules (linked back to the checkout's) or anything built. */
function copySources (to: string): void {
  cpSync(REPO_ROOT, to, {
    recursive: true,
    filter: from => {
      const rel = relative(REPO_ROOT, from)
      return !NOT_SOURCES.has(rel.split(sep)[0]) && rel !== join('bench', 'results')
    },
  })
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(to, 'node_modules'), 'dir')
}

interface PackedFile { readonly path: string }

/** What `npm pack --json` reports for one tarball. */
interface Packed { readonly filename: string, readonly files: readonly PackedFile[] }

function assertPackageContents (packed: Packed): void {
  const paths = packed.files.map(f => f.path)
  const outside = paths.filter(p => !/^(bin|dist|strategies)\//.test(p) && !/^(package\.json|README\.md|LICENSE(\.\w+)?)$/.test(p))
  assert.deepEqual(outside, [], 'only the built code, the command, the strategies and the docs are packed')
  assert.deepEqual(paths.filter(p => /\.map$|\.test\.|^dist\/(test|src)\//.test(p)), [], 'no source maps or tests')
  for (const needed of [
    'bin/peer.js', 'dist/node/cli/index.js', 'dist/node/evaluators/child.js', 'dist/engine-bundle.js',
    'dist/engine/strategy-api.js', 'dist/engine/strategy-api.d.ts', 'dist/dashboard/index.html',
    'dist/dashboard/vendor/lightweight-charts.standalone.production.js', 'strategies/rsi-reversion.ts',
  ]) assert.ok(paths.includes(needed), `${needed} is in the package`)
}

/** The demo's output: a leaderboard header, then ten ranked rows, then a clean stop. */
function assertLeaderboard (out: string): void {
  const lines = out.split('\n')
  const header = lines.findIndex(l => /^\s*#\s+fitness\s+DSR\s+plateau\s+IS sharpe.*OOS sharpe/.test(l))
  assert.ok(header >= 0, `a leaderboard header in:\n${out.slice(-3000)}`)
  const rows = lines.slice(header + 2).filter(l => /^\s*\d+\s+-?\d/.test(l))
  assert.equal(rows.length, 10, out.slice(-3000))
  const fitness = rows.map(l => Number(l.trim().split(/\s+/)[1]))
  assert.ok(fitness.every(Number.isFinite))
  assert.deepEqual([...fitness].sort((a, b) => b - a), fitness, 'ranked best first')
  assert.match(out, /peer stopped/)
}

/** Runs the installed `peer start --demo` through its bin link, as a user's shell would. */
async function runDemo (bin: string, cwd: string, dataDir: string): Promise<Run> {
  const child = spawn(bin, ['start', '--demo', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dataDir], {
    cwd,
    env: { ...envWithThisNode(), STRATMESH_SECRET: '', STRATMESH_DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (b: Buffer) => { stdout += b.toString() })
  child.stderr.on('data', (b: Buffer) => { stderr += b.toString() })
  return await new Promise(resolve => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); stderr += `\nkilled: the demo did not end within ${DEMO_TIMEOUT_MS} ms` }, DEMO_TIMEOUT_MS)
    // 'close', not 'exit': at 'exit' the last lines ("peer stopped") may still be in the pipes.
    child.on('close', code => { clearTimeout(timer); resolve({ code, stdout, stderr }) })
    child.on('error', err => { clearTimeout(timer); resolve({ code: null, stdout, stderr: `${stderr}\n${err.message}` }) })
  })
}

const skip = process.platform === 'win32' ? 'npm lays out a global install differently on Windows (prefix\\peer.cmd); this test covers Linux and macOS' : false

test('npm pack, npm install -g of the tarball into an empty prefix, then the installed peer start --demo prints a leaderboard and exits 0', {
  skip,
  timeout: PACK_TIMEOUT_MS + INSTALL_TIMEOUT_MS + DEMO_TIMEOUT_MS + 30_000,
}, async t => {
  const dir = await tempDir('stratmesh-package-')
  const [sources, tarballs, prefix, cwd, dataDir] = ['sources', 'tarballs', 'prefix', 'cwd', 'data'].map(name => join(dir.path, name))
  for (const d of [tarballs, prefix, cwd, dataDir]) mkdirSync(d)
  copySources(sources)

  const pack = await run('npm', ['pack', '--json', '--pack-destination', tarballs], sources, PACK_TIMEOUT_MS)
  if (pack.code === null && /ENOENT/.test(pack.stderr)) return t.skip(`npm is not on PATH: ${pack.stderr.trim().split('\n').pop() ?? ''}`)
  assert.equal(pack.code, 0, `npm pack failed:\n${pack.stderr.slice(-4000)}`)
  // The build's own output comes first on stdout; npm's report is the JSON array after it.
  const packed = (JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[/m))) as Packed[])[0]
  assertPackageContents(packed)

  const install = await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(tarballs, packed.filename)], cwd, INSTALL_TIMEOUT_MS)
  const unreachable = install.code !== 0 ? UNREACHABLE.exec(install.stderr) : null
  if (unreachable !== null) return t.skip(`npm could not fetch the dependencies (${unreachable[1]}): its cache lacks them and the registry cannot be reached`)
  assert.equal(install.code, 0, `npm install -g failed:\n${install.stderr.slice(-4000)}`)
  const installed = join(prefix, 'lib', 'node_modules', 'stratmesh')
  assert.ok(existsSync(join(installed, 'node_modules', 'esbuild')), 'esbuild is installed: strategies are compiled at run time')
  for (const dev of ['typescript', 'eslint', 'tsx']) assert.ok(!existsSync(join(installed, 'node_modules', dev)), `the development dependency ${dev} is not installed`)

  const demo = await runDemo(join(prefix, 'bin', 'peer'), cwd, dataDir)
  const out = demo.stdout + demo.stderr
  assert.equal(demo.code, 0, out.slice(-4000))
  assertLeaderboard(out)
  assert.deepEqual(readdirSync(cwd), [], 'the demo writes only into its data dir, nothing where it was run from')
})
