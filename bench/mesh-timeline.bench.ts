/**
 * Where a 2-peer mesh's time goes between epochs, without root or a LAN: two peers in this process
 * on loopback (one evaluator each, no mDNS), the same 16-unit job as bench/lan-throughput.bench.ts,
 * and each peer's log lines stamped as they are written. Prints, per job, 1 peer's and 2 peers'
 * seconds and the timing bench/mesh-log-timing.ts reads from the logs (input committed -> next unit
 * claimed, checks, speculation); with MESH_TIMELINE=1 every stamped line of the last 2-peer job.
 *
 *   npm run build && node --import tsx bench/mesh-timeline.bench.ts
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { createPeer, type Peer } from '../src/node/peer.js'
import { syntheticCandles } from '../src/engine/data/synthetic.js'
import { candlesCsv } from '../test/helpers/candles-csv.js'
import { describeTiming, jobTiming } from './mesh-log-timing.js'
import { until } from './poll-until.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 3)
const GA = { islands: 4, epochs: 4, population: 48, generations: 60 }
const BARS = 100_000
const STRATEGY = fileURLToPath(new URL('../strategies/sma-cross.ts', import.meta.url))
const SECRET = 'stratmesh bench mesh secret'

interface Stamped { peer: Peer | null, lines: string[] }

async function startPeer (dir: string, name: string, sink: Stamped, bootstrap: string[] = []): Promise<Peer> {
  const log = (line: string): void => { sink.lines.push(`${new Date(performance.timeOrigin + performance.now()).toISOString()} ${line}`) }
  const peer = await createPeer({ dataDir: join(dir, name), name, cpus: 1, cacheMb: 64, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, mdns: false, secret: SECRET, log })
  await peer.start()
  sink.peer = peer
  return peer
}

async function timeJob (submitter: Peer, logs: Stamped[], csv: string, seed: number): Promise<string> {
  for (const l of logs) l.lines.length = 0
  const sub = await submitter.submit({ strategyPath: STRATEGY, data: csv, ...GA, seed, minTrades: 1 })
  const t0 = performance.now()
  await until('the job', async () => (await submitter.results(sub.jobId, 1)).done || undefined, { timeoutMs: 600_000, everyMs: 20 })
  const seconds = (performance.now() - t0) / 1000
  const short = sub.jobId.slice(0, 12)
  const byOther = logs.length > 1 ? logs[1].lines.filter(l => l.includes('committed island') && l.includes(short)).length : 0
  const timing = jobTiming(logs.map(l => l.lines.join('\n')), sub.jobId, GA.islands)
  return `${logs.length} peer(s): ${seconds.toFixed(2)} s = ${(GA.islands * GA.epochs / seconds).toFixed(2)} units/s; second peer committed ${byOther}; ${describeTiming(timing)}`
}

const dir = await mkdtemp(join(tmpdir(), 'stratmesh-bench-timeline-'))
const csv = join(dir, 'candles.csv')
await writeFile(csv, candlesCsv(syntheticCandles({ bars: BARS })))
console.log(`mesh timeline: 2 in-process peers on loopback, 16 units of ${GA.population} x ${GA.generations} on ${BARS} bars; load average ${loadavg().map(x => x.toFixed(1)).join(' ')}`)
const a: Stamped = { peer: null, lines: [] }
const b: Stamped = { peer: null, lines: [] }
try {
  const pa = await startPeer(dir, 'a', a)
  await timeJob(pa, [a], csv, 1) // warm-up: dataset, evaluator
  const pb = await startPeer(dir, 'b', b, [pa.listenAddresses()[0]])
  await until('the peers to connect', async () => (await pa.status()).peers.some(p => p.id === pb.id && p.connected) || undefined, { timeoutMs: 30_000, everyMs: 20 })
  await timeJob(pa, [a, b], csv, 2) // warm-up of b
  for (let r = 0; r < RUNS; r++) {
    console.log(await timeJob(pa, [a, b], csv, 100 + r))
  }
  if (process.env.MESH_TIMELINE === '1') console.log([...a.lines.map(l => `a ${l}`), ...b.lines.map(l => `b ${l}`)].sort((x, y) => x.slice(2).localeCompare(y.slice(2))).join('\n'))
  await pb.stop()
  for (let r = 0; r < RUNS; r++) console.log(await timeJob(pa, [a], csv, 200 + r))
  if (process.env.MESH_TIMELINE === '1') console.log(a.lines.map(l => `a ${l}`).join('\n'))
} finally {
  await a.peer?.stop()
  await b.peer?.stop()
  await rm(dir, { recursive: true, force: true })
}
process.exit(0)
