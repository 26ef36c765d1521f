/**
 * Memory of a real peer (`peer start` from the build, on 127.0.0.1, no mDNS) at 2, 4 and 10
 * evaluators (`--cpus`): the resident set of the peer process and of each evaluator as `peer
 * status` reports them (the evaluators' own reports), idle and while a job with small units keeps
 * every evaluator busy. Medians of SAMPLES samples, one every SAMPLE_MS; the load average is
 * printed beside each row, since other work on the machine changes the figures.
 *
 *   npm run build && node --import tsx bench/memory.bench.ts [cpus…] [--bars n]
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { connectToPeer, type PeerClient } from '../src/node/api/client.js'
import type { PeerMemoryView } from '../src/node/peer-types.js'
import { syntheticCandles } from '../src/engine/data/synthetic.js'
import { candlesCsv } from '../test/helpers/candles-csv.js'
import { until } from './poll-until.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SAMPLES = 5
const SAMPLE_MS = 2000
const barsArg = process.argv.indexOf('--bars')
/** Small data by default: 20 000 bars, 1 MB of columns. */
const BARS = barsArg > 0 ? Number(process.argv[barsArg + 1]) : 20_000
const MIB = 1024 * 1024

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? Number.NaN : s[Math.floor(s.length / 2)]
}
const mib = (bytes: number): string => (bytes / MIB).toFixed(0)
const sleep = async (ms: number): Promise<void> => { await new Promise(resolve => setTimeout(resolve, ms)) }

interface Sample { readonly peer: number, readonly evaluators: number[], readonly heaps: number[], readonly total: number }

function sampleOf (m: PeerMemoryView): Sample {
  const pooled = m.evaluators.filter(ev => ev.role === 'evaluator')
  return { peer: m.peerRssBytes, evaluators: pooled.map(ev => ev.rssBytes ?? 0), heaps: pooled.map(ev => (ev.isolateHeapBytes ?? 0) + (ev.isolateExternalBytes ?? 0)), total: m.totalRssBytes }
}

async function samples (client: PeerClient, keepGoing: () => Promise<boolean>): Promise<Sample[]> {
  const out: Sample[] = []
  while (out.length < SAMPLES && await keepGoing()) {
    const m = (await client.status()).memory
    if (m !== undefined) out.push(sampleOf(m))
    await sleep(SAMPLE_MS)
  }
  return out
}

function row (cpus: number, phase: string, s: readonly Sample[]): string {
  const ev = s.flatMap(x => x.evaluators)
  const heaps = s.flatMap(x => x.heaps)
  return `| ${cpus} | ${phase} | ${mib(median(s.map(x => x.peer)))} | ${mib(median(ev))} (${mib(Math.min(...ev))}-${mib(Math.max(...ev))}) | ${mib(median(heaps))} | ${mib(median(s.map(x => x.total)))} | ${s.length} | ${loadavg()[0].toFixed(1)} |`
}

async function measure (cpus: number, csv: string): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), `stratmesh-memory-${cpus}-`))
  const peer = spawn(process.execPath, [join(ROOT, 'bin', 'peer.js'), 'start', '--no-mdns', '--listen', '/ip4/127.0.0.1/tcp/0', '--data-dir', dataDir, '--cpus', String(cpus)], { cwd: ROOT, stdio: 'ignore', env: { ...process.env, STRATMESH_SECRET: 'memory bench secret' } })
  try {
    const client = await until('the peer to start', async () => await connectToPeer(dataDir))
    await until('every evaluator to report', async () => {
      const m = (await client.status()).memory
      return m !== undefined && m.evaluators.filter(ev => ev.role === 'evaluator' && ev.rssBytes !== null).length === cpus ? true : undefined
    })
    const idle = await samples(client, async () => true)
    // One island per evaluator, so every evaluator holds the job and runs units; enough epochs to outlast the samples (the peer is stopped mid-job).
    const { jobId } = await client.submit({ strategyPath: join(ROOT, 'strategies', 'sma-cross.ts'), data: csv, islands: cpus, epochs: 100, population: 32, generations: 40, seed: 1 })
    const running = async (): Promise<boolean> => (await client.status()).jobs.some(j => j.id === jobId && !j.done)
    await until('the job to start', async () => (await client.status()).memory?.evaluators.some(ev => (ev.isolateHeapBytes ?? 0) > 0) === true ? true : undefined)
    const busy = await samples(client, running)
    return [row(cpus, 'idle', idle), row(cpus, 'job', busy)]
  } finally {
    peer.kill('SIGTERM')
    await new Promise(resolve => peer.once('exit', resolve))
    await rm(dataDir, { recursive: true, force: true })
  }
}

const dir = await mkdtemp(join(tmpdir(), 'stratmesh-memory-data-'))
const csv = join(dir, 'candles.csv')
await writeFile(csv, candlesCsv(syntheticCandles({ bars: BARS })))
const counts = process.argv.slice(2).filter((a, i, all) => all[i - 1] !== '--bars').map(Number).filter(n => n > 0)
console.log(`${BARS} bars, sma-cross, population 32, 40 generations per unit`)
console.log('| evaluators | phase | peer RSS MiB | evaluator RSS MiB, median (min-max) | isolate heap + buffers MiB | peer + evaluators + checker MiB | samples | load |')
console.log('| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const cpus of counts.length > 0 ? counts : [2, 4, 10]) {
  for (const line of await measure(cpus, csv)) console.log(line)
}
await rm(dir, { recursive: true, force: true })
