/**
 * Joining a long-lived mesh: one peer holds a history of finished small jobs (each on its own
 * dataset, so each has its own blob), and a fresh peer joins it over 127.0.0.1 (--no-mdns,
 * --bootstrap). Measured per run: the time until the joiner's ledger holds every commit, the
 * blobs and bytes it fetched of the old jobs, the checks it ran, and the time until it is ready
 * to work: a new job is submitted on the old peer once the joiner is synced, and the joiner's
 * first claim of an epoch-1 unit of it (which needs checked inputs committed by the other peer) is
 * when it works. The history is made once and kept, so several revisions can be measured on it.
 *
 * Run: node --import tsx bench/join.bench.ts [historyDir] [runs] [peerRepo]
 * peerRepo (default: this checkout) is the built checkout whose `bin/peer.js` the peers run, so the
 * same history and script measure another revision (docs/BENCHMARKS.md, "Joining a long-lived mesh").
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { connectToPeer } from '../src/node/api/index.js'
import { syntheticCandles } from '../src/engine/data/synthetic.js'
import type { Candles } from '../src/protocol/types.js'
import { until, type PollOptions } from './poll-until.js'
import { median } from './median.js'

const HERE = fileURLToPath(new URL('..', import.meta.url))
const HISTORY = resolve(process.argv[2] ?? join(tmpdir(), 'stratmesh-join-history'))
const RUNS = Number(process.argv[3] ?? 3)
const PEER_REPO = resolve(process.argv[4] ?? HERE)
const JOBS = Number(process.env.JOIN_BENCH_JOBS ?? 100)
const SECRET = 'join bench mesh secret'
const STRATEGY = join(HERE, 'strategies', 'sma-cross.ts')
/** A small job: two units, the second waiting for the first (so every commit has an input). */
const OLD_JOB = { islands: 1, population: 4, generations: 1, epochs: 2, minTrades: 1 }
const OLD_BARS = 600
/** The job submitted once the joiner is synced: epoch 1 needs the other peer's epoch-0 commits. */
const NEW_JOB = { islands: 8, population: 8, generations: 2, epochs: 3, minTrades: 1, seed: 777 }
const NEW_BARS = 3000
const WAIT_MS = Number(process.env.JOIN_BENCH_WAIT_MS ?? 15 * 60_000)

type PeerClient = Awaited<ReturnType<typeof connectToPeer>>

interface RunningPeer { child: ChildProcess, dataDir: string, lines: Array<{ at: number, text: string }>, api: () => Promise<PeerClient> }

function csvOf (c: Candles): string {
  const lines = ['timestamp,open,high,low,close,volume']
  for (let i = 0; i < c.length; i++) lines.push(`${c.time[i]},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`)
  return lines.join('\n') + '\n'
}

/** How this bench polls its peers: long runs, so a long deadline; JOIN_BENCH_TRACE=1 shows what it waits for. */
const POLL: PollOptions = { timeoutMs: WAIT_MS, everyMs: 200, trace: process.env.JOIN_BENCH_TRACE === '1' }

function startPeer (name: string, dataDir: string, bootstrap: string[] = []): RunningPeer {
  const args = [join(PEER_REPO, 'bin', 'peer.js'), 'start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dataDir,
    '--name', name, '--cpus', '1', '--cache-mb', '64', ...(bootstrap.length > 0 ? ['--bootstrap', ...bootstrap] : [])]
  const env: NodeJS.ProcessEnv = { ...process.env, STRATMESH_SECRET: SECRET }
  delete env.STRATMESH_DATA_DIR
  const child = spawn(process.execPath, args, { cwd: PEER_REPO, stdio: ['ignore', 'pipe', 'pipe'], env })
  const lines: RunningPeer['lines'] = []
  const take = (s: string): void => { for (const text of s.split('\n')) if (text !== '') lines.push({ at: performance.now(), text }) }
  child.stdout?.setEncoding('utf8').on('data', take)
  child.stderr?.setEncoding('utf8').on('data', take)
  const api = async (): Promise<PeerClient> => await until(`${name}'s API`, async () => await connectToPeer(dataDir), POLL)
  return { child, dataDir, lines, api }
}

async function stopPeer (p: RunningPeer): Promise<void> {
  if (p.child.exitCode !== null) return
  const exited = new Promise(resolve => p.child.once('exit', resolve))
  await (await p.api()).stop().catch(() => { p.child.kill('SIGKILL') })
  const timer = setTimeout(() => { p.child.kill('SIGKILL') }, 30_000)
  await exited
  clearTimeout(timer)
}

async function listenAddress (p: RunningPeer): Promise<string> {
  const api = await p.api()
  return await until('a listen address', async () => (await api.status()).self.listen.find(a => a.includes('127.0.0.1')), POLL)
}

/** Bytes under a folder (recursively). */
async function bytesUnder (dir: string): Promise<number> {
  let total = 0
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name)
    total += e.isDirectory() ? await bytesUnder(p) : (await stat(p)).size
  }
  return total
}

/** Blob files (and partial downloads) under a data dir whose hash is in `hashes`: count and bytes. */
async function blobsAmong (dataDir: string, hashes: ReadonlySet<string>): Promise<{ count: number, bytes: number }> {
  const root = join(dataDir, 'blobs')
  let count = 0
  let bytes = 0
  for (const dir of await readdir(root).catch(() => [] as string[])) {
    for (const f of await readdir(join(root, dir)).catch(() => [] as string[])) {
      if (!hashes.has(f.slice(0, 64))) continue
      count++
      bytes += (await stat(join(root, dir, f))).size
    }
  }
  return { count, bytes }
}

/** Makes the history once: a peer runs JOBS small jobs, each on its own data, then stops. */
async function makeHistory (): Promise<void> {
  if (existsSync(join(HISTORY, 'done.json'))) return
  await rm(HISTORY, { recursive: true, force: true })
  await mkdir(join(HISTORY, 'data'), { recursive: true })
  const started = performance.now()
  const a = startPeer('history', join(HISTORY, 'peer'))
  const api = await a.api()
  const blobs: string[] = []
  for (let k = 0; k < JOBS; k++) {
    const file = join(HISTORY, 'data', `candles-${k}.csv`)
    await writeFile(file, csvOf(syntheticCandles({ bars: OLD_BARS, seed: 1000 + k })))
    const r = await api.submit({ strategyPath: STRATEGY, data: file, seed: k + 1, ...OLD_JOB })
    blobs.push(r.dataset.hash, r.strategy.hash)
  }
  await until('every old job done', async () => {
    const s = await api.status()
    return s.jobs.length === JOBS && s.jobs.every(j => j.done) ? true : undefined
  }, { ...POLL, everyMs: 1000 })
  await stopPeer(a)
  const seconds = (performance.now() - started) / 1000
  const ledgerBytes = await bytesUnder(join(HISTORY, 'peer', 'ledger'))
  await writeFile(join(HISTORY, 'done.json'), JSON.stringify({ jobs: JOBS, blobs: [...new Set(blobs)], seconds, ledgerBytes }))
  console.log(`history: ${JOBS} jobs in ${seconds.toFixed(0)} s, ledger ${(ledgerBytes / 1024).toFixed(0)} KiB on disk`)
}

interface RunFigures { syncS: number, firstClaimS: number, readyS: number, blobs: number, blobBytes: number, checked: number, evaluations: number, blobsLater: number, checkedLater: number }

/** Polls the joiner until its ledger holds every old commit (counted, being checked, or left dormant). */
async function syncedAt (api: PeerClient, t0: number): Promise<number> {
  const units = JOBS * OLD_JOB.islands * OLD_JOB.epochs
  return await until('the joiner synced', async () => {
    const s = await api.status()
    const old = s.jobs.length >= JOBS
    const seen = s.jobs.reduce((n, j) => n + j.committed, 0) + s.checks.pending + ((s.checks as { dormant?: number }).dormant ?? 0)
    return old && seen >= units ? (performance.now() - t0) / 1000 : undefined
  }, { ...POLL, everyMs: 100 })
}

async function oneRun (hashes: ReadonlySet<string>): Promise<RunFigures> {
  const work = await mkdtemp(join(tmpdir(), 'stratmesh-join-run-'))
  await cp(join(HISTORY, 'peer'), join(work, 'old'), { recursive: true })
  const a = startPeer('old', join(work, 'old'))
  const b = { peer: null as RunningPeer | null }
  try {
    const addr = await listenAddress(a)
    const t0 = performance.now()
    b.peer = startPeer('joiner', join(work, 'joiner'), [addr])
    const bApi = await b.peer.api()
    const syncS = await syncedAt(bApi, t0)
    const file = join(work, 'new.csv')
    await writeFile(file, csvOf(syntheticCandles({ bars: NEW_BARS, seed: 4242 })))
    const submitted = await (await a.api()).submit({ strategyPath: STRATEGY, data: file, ...NEW_JOB })
    const tSubmit = performance.now()
    const joiner = b.peer
    const claimAt = (epochs: RegExp): number | undefined => joiner.lines.find(l => l.at >= tSubmit && l.text.includes(`of job ${submitted.jobId.slice(0, 12)}`) && epochs.test(l.text))?.at
    // An epoch-1 or later unit needs inputs the other peer committed, checked here first; -1 when the other peer did every such unit.
    const done = async (): Promise<boolean> => (await (await a.api()).results(submitted.jobId, 1)).done
    const at = await until('the joiner claimed a unit of a later epoch, or the job ended', async () => claimAt(/claimed unit .* epoch [1-9]/) ?? (await done() ? -1 : undefined), { ...POLL, everyMs: 100 })
    const first = claimAt(/claimed unit .* epoch 0 /) ?? -1
    const s = await bApi.status()
    const got = await blobsAmong(joiner.dataDir, hashes)
    // Thirty seconds on: does the joiner keep fetching and checking old jobs in the background?
    await new Promise(resolve => setTimeout(resolve, 30_000))
    const later = await bApi.status()
    const gotLater = await blobsAmong(joiner.dataDir, hashes)
    const since = (t: number): number => t < 0 ? -1 : (t - tSubmit) / 1000
    return { syncS, firstClaimS: since(first), readyS: since(at), blobs: got.count, blobBytes: got.bytes, checked: s.checks.checked, evaluations: s.checks.evaluations, blobsLater: gotLater.count, checkedLater: later.checks.checked }
  } finally {
    if (process.env.JOIN_BENCH_TRACE === '1') for (const p of [a, b.peer]) if (p !== null) console.error(p.lines.map(l => `${(l.at / 1000).toFixed(1)} ${l.text}`).join('\n'))
    if (b.peer !== null) await stopPeer(b.peer)
    await stopPeer(a)
    await rm(work, { recursive: true, force: true })
  }
}

async function main (): Promise<void> {
  await makeHistory()
  const history = JSON.parse(await readFile(join(HISTORY, 'done.json'), 'utf8')) as { blobs: string[], ledgerBytes: number }
  const hashes = new Set(history.blobs)
  const runs: RunFigures[] = []
  for (let r = 0; r < RUNS; r++) {
    const f = await oneRun(hashes)
    runs.push(f)
    console.log(`run ${r + 1}: synced ${f.syncS.toFixed(1)} s; first claim ${f.firstClaimS.toFixed(1)} s, first later-epoch claim ${f.readyS.toFixed(1)} s after the new job; old blobs fetched ${f.blobs} (${(f.blobBytes / 1024).toFixed(0)} KiB); ` +
      `checkpoints checked ${f.checked} (${f.evaluations} evaluations); 30 s later: ${f.blobsLater} old blobs, ${f.checkedLater} checked`)
  }
  if (runs.length === 0) return
  const m = (k: keyof RunFigures): number => median(runs.map(f => f[k]))
  console.log(`median of ${RUNS} (peers from ${PEER_REPO}): synced ${m('syncS').toFixed(1)} s, first claim ${m('firstClaimS').toFixed(1)} s, later-epoch claim ${m('readyS').toFixed(1)} s, ` +
    `${m('blobs')} old blobs (${(m('blobBytes') / 1024).toFixed(0)} KiB), ${m('checked')} checked (${m('evaluations')} evaluations); 30 s later ${m('blobsLater')} blobs, ${m('checkedLater')} checked`)
}

await main()
