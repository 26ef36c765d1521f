/**
 * Mesh throughput on the test LAN (network namespaces, real sockets, mDNS; needs root on Linux):
 * the same CPU-bound job on 1 host vs 2 hosts, one evaluator each, as units per second from
 * submit to done. Three hosts stay up throughout, as a mesh a user keeps does: h0 and h1 are one
 * mesh, h2 with another secret is a mesh of its own (1 host). Jobs alternate between the two
 * meshes (2 then 1 host, then 1 then 2…) so drift in the machine's load hits both alike; the
 * median of RUNS is reported, with the ratio (goal >= 1.8x on 2 idle cores). (The first version
 * stopped h1 for the 1-host jobs, so every 2-host job ran on a peer that had just started.)
 * Control, in the same run: the same units computed in one plain process vs two at once, with no
 * mesh, pool or network: how far this machine scales from one busy core to two at all.
 *
 * BENCH_SIZE=large runs units of a realistic size instead (64 genomes x 10 generations on 1M
 * bars, several seconds each). For each 2-host job it prints where the time between epochs went
 * (bench/mesh-log-timing.ts): input committed -> next unit claimed, the checks' latency, and the
 * units started speculatively while their inputs were being checked.
 *
 *   node --import tsx bench/lan-throughput.bench.ts
 */
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { performance } from 'node:perf_hooks'
import { createLan, DEFAULT_LAN_SECRET, type LanHost } from '../scripts/lan/lan.js'
import { lanUnavailableReason } from '../scripts/lan/netns.js'
import { syntheticCandles } from '../src/engine/data/synthetic.js'
import { importCandles } from '../src/engine/data/import-candles.js'
import { createJobSpec, evalSetupFor } from '../src/engine/job-setup.js'
import { runUnit } from '../src/engine/ga.js'
import { evaluateGenome } from '../src/engine/evaluate.js'
import { createStrategyContext } from '../src/engine/strategy-context.js'
import { compileStrategy } from '../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../src/node/evaluators/strategy-module.js'
import { sha256Hex } from '../src/protocol/canonical.js'
import { candlesCsv } from '../test/helpers/candles-csv.js'
import { ENGINE_FIXTURE } from '../test/helpers/job-spec-fixture.js'
import { describeTiming, jobTiming, type JobTiming } from './mesh-log-timing.js'
import { until } from './poll-until.js'
import { median } from './median.js'

const LARGE = process.env.BENCH_SIZE === 'large'
/**
 * Timed jobs per configuration; the median is reported. Large: 3, so the run fits in about ten
 * minutes (a 1-host job of 16 units of ~5 s takes a minute and a half; 5 per side and a full-size
 * warm-up took over an hour on a loaded box).
 */
const RUNS = Number(process.env.BENCH_RUNS ?? (LARGE ? 3 : 5))
const BARS = LARGE ? 1_000_000 : 100_000
/**
 * 16 units of about half a second each here (large: several seconds): 4 islands keep two hosts
 * busy through every epoch.
 */
const GA = { ...(LARGE ? { islands: 4, epochs: 4, population: 64, generations: 10 } : { islands: 4, epochs: 4, population: 48, generations: 60 }), ...epochsOverride() }
/**
 * BENCH_EPOCHS makes the timed jobs longer: every job pays its start (fresh evaluators and
 * checkers, the look-ahead sample, the first unit's cold caches) once, and 16 units are too few
 * to tell that from the steady rate between epochs.
 */
function epochsOverride (): { epochs?: number } {
  const epochs = Number(process.env.BENCH_EPOCHS)
  return Number.isInteger(epochs) && epochs > 0 ? { epochs } : {}
}
/** Units one plain process computes in the control (large: fewer, each is seconds). */
const CONTROL_UNITS = LARGE ? 4 : 8
/**
 * The untimed first job only has both hosts fetch and decode the dataset and start their
 * evaluators: 2 units are enough, whatever the timed jobs' size.
 */
const WARM_UP_GA = { ...GA, islands: 2, epochs: 1 }
/** A job must finish within this: 16 units of seconds each on one host. */
const JOB_TIMEOUT_MS = LARGE ? 1_200_000 : 300_000
const STRATEGY = fileURLToPath(new URL('../strategies/sma-cross.ts', import.meta.url))

/** The box is shared: the load says how far to trust a run. */
function loadAverage (): string {
  return loadavg().map(x => x.toFixed(1)).join(' ')
}

async function connected (a: LanHost, b: LanHost): Promise<void> {
  const idB = (await b.status()).self.id
  const idA = (await a.status()).self.id
  await until(`${a.name} and ${b.name} connected`, async () =>
    ((await a.status()).peers.some(p => p.id === idB && p.connected) && (await b.status()).peers.some(p => p.id === idA && p.connected)) || undefined, { timeoutMs: 60_000, everyMs: 100 })
}

/** Lines of a peer's log that record a claim or a commit of `jobId`. */
async function logged (h: LanHost, jobId: string, what: 'claimed unit' | 'committed island'): Promise<number> {
  const short = jobId.slice(0, 12)
  return (await h.readLog()).split('\n').filter(l => l.includes(what) && l.includes(short)).length
}

interface Timed { seconds: number, byH1: number, claims: number, timing: JobTiming }

/** Submits a job with `seed` on the mesh's first host and times it from the submit's answer to done there. */
async function timeJob (mesh: readonly LanHost[], csvPath: string, seed: number, ga = GA): Promise<Timed> {
  const h0 = mesh[0]
  const sub = await h0.submit({ strategyPath: STRATEGY, data: csvPath, ...ga, seed, minTrades: 1 })
  const t0 = performance.now()
  await until(`job ${sub.jobId.slice(0, 12)} done`, async () => (await h0.results(sub.jobId, 1)).done || undefined, { timeoutMs: JOB_TIMEOUT_MS, everyMs: 100 })
  const seconds = (performance.now() - t0) / 1000
  const logs = await Promise.all(mesh.map(async h => await h.readLog()))
  // A unit claimed twice (a claim that lost, or a lease that lapsed) is work done twice.
  let claims = 0
  for (const h of mesh) claims += await logged(h, sub.jobId, 'claimed unit')
  const timing = jobTiming(logs, sub.jobId, ga.islands)
  return { seconds, byH1: mesh.length > 1 ? await logged(mesh[1], sub.jobId, 'committed island') : 0, claims, timing }
}

/** Child mode of the control: computes CONTROL_UNITS epoch-0 units in this process; prints seconds. */
async function plainChild (csvPath: string): Promise<void> {
  const source = await readFile(STRATEGY, 'utf8')
  const candles = importCandles(await readFile(csvPath), 'candles.csv').candles
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: sha256Hex(source), name: 'sma-cross' }, dataset: { hash: 'e'.repeat(64), name: 'control', bars: candles.length }, ga: { ...GA, islands: CONTROL_UNITS + 1, epochs: 1 }, minTrades: 1 })
  const def = instantiateStrategy(compileStrategy(source, 'sma-cross.ts'), 'sma-cross.ts')
  const ctx = createStrategyContext(candles)
  const setup = evalSetupFor(spec, candles)
  const env = { def, evaluate: (p: Record<string, number | string>) => evaluateGenome(def, ctx, p, setup) }
  runUnit({ spec, island: CONTROL_UNITS, epoch: 0, previous: null, migrants: null }, env) // warm-up, untimed
  const t0 = performance.now()
  for (let i = 0; i < CONTROL_UNITS; i++) runUnit({ spec, island: i, epoch: 0, previous: null, migrants: null }, env)
  process.stdout.write(String((performance.now() - t0) / 1000))
}

async function plainRun (csvPath: string): Promise<number> {
  const self = fileURLToPath(import.meta.url)
  return await new Promise((resolve, reject) => {
    execFile(process.execPath, [...process.execArgv, self, '--plain', csvPath], { timeout: JOB_TIMEOUT_MS }, (err, stdout) => {
      if (err !== null) reject(err)
      else resolve(Number(stdout.trim()))
    })
  })
}

async function main (): Promise<void> {
  const why = await lanUnavailableReason()
  if (why !== undefined) {
    console.log(`skipped: ${why}`)
    return
  }
  const dir = await mkdtemp(join(tmpdir(), 'stratmesh-bench-lan-'))
  const csvPath = join(dir, 'candles.csv')
  await writeFile(csvPath, candlesCsv(syntheticCandles({ bars: BARS })))
  const units = GA.islands * GA.epochs
  console.log(`mesh throughput: sma-cross on ${BARS} bars, ${GA.islands} islands x ${GA.epochs} epochs = ${units} units of ${GA.population} genomes x ${GA.generations} generations; 1 evaluator per host; median of ${RUNS} jobs per configuration; node ${process.version}; load average ${loadAverage()}`)
  const lan = await createLan(3, { launch: 'runner', keep: process.env.STRATMESH_LAN_KEEP === '1' })
  const [h0, h1, single] = lan.hosts
  const one: number[] = []
  const two: number[] = []
  const shares: number[] = []
  const gaps: number[] = []
  try {
    await Promise.all([h0.start(), h1.start(), single.start({ secret: `${DEFAULT_LAN_SECRET}, a mesh of one` })])
    await connected(h0, h1)
    // Untimed: every host fetches and decodes the dataset, starts its evaluators and warms up.
    await timeJob([h0, h1], csvPath, 1, WARM_UP_GA)
    await timeJob([single], csvPath, 1, WARM_UP_GA)
    let seed = 100
    for (let r = 0; r < RUNS; r++) {
      for (const hosts of r % 2 === 0 ? [2, 1] : [1, 2]) {
        const t = await timeJob(hosts === 2 ? [h0, h1] : [single], csvPath, seed++)
        ;(hosts === 1 ? one : two).push(t.seconds)
        if (hosts === 2) { shares.push(t.byH1); gaps.push(t.timing.inputToClaim.median) }
        console.log(`run ${r + 1}, ${hosts} host(s): ${t.seconds.toFixed(1)} s = ${(units / t.seconds).toFixed(2)} units/s${hosts === 2 ? `, h1 committed ${t.byH1} of ${units}; ${t.claims} claims; ${describeTiming(t.timing)}` : `; units claimed -> committed: median ${t.timing.units.median} ms, first ${t.timing.units.first} ms`}`)
      }
    }
  } finally {
    await lan.destroy()
  }
  const rate1 = units / median(one)
  const rate2 = units / median(two)
  const ratio = rate2 / rate1
  console.log(`1 host    ${rate1.toFixed(2)} units/s (median ${median(one).toFixed(1)} s per job; runs ${one.map(s => s.toFixed(1)).join(' ')})`)
  console.log(`2 hosts   ${rate2.toFixed(2)} units/s (median ${median(two).toFixed(1)} s per job; runs ${two.map(s => s.toFixed(1)).join(' ')}; h1 committed ${shares.join(', ')} of ${units})`)
  console.log(`ratio 2/1 ${ratio.toFixed(2)}x (goal >= 1.8x with 2 idle cores); input committed -> claimed on 2 hosts, per-job medians: ${gaps.join(' ')} ms`)

  // The machine's own ceiling, measured now: the same kind of units in plain processes.
  const alone = await plainRun(csvPath)
  const pair = await Promise.all([plainRun(csvPath), plainRun(csvPath)])
  const control = (2 * CONTROL_UNITS / Math.max(...pair)) / (CONTROL_UNITS / alone)
  console.log(`control: ${CONTROL_UNITS} units in 1 plain process ${alone.toFixed(1)} s; in each of 2 at once ${pair.map(s => s.toFixed(1)).join(' and ')} s: ${control.toFixed(2)}x (the machine's ceiling for the ratio)`)
  console.log(`mesh ratio / control ratio: ${(ratio / control * 100).toFixed(0)} % of what two plain processes get here; load average now ${loadAverage()}`)
  await rm(dir, { recursive: true, force: true })
}

if (process.argv[2] === '--plain') {
  await plainChild(process.argv[3] as string)
} else {
  await main()
  process.exit(0)
}
