/**
 * The scale run: N peers in network namespaces on one machine (one evaluator and a small cache
 * each, mDNS, no bootstrap), one small job, and what it costs (docs/RELIABILITY.md, "Scale: 30
 * peers on one machine"). Root and Linux only, as the test LAN.
 *
 *   node --import tsx scripts/lan/scale.ts --peers 30 [--freeze 5 --kill 3] [--seed 1] [--json]
 *     [--idle-seconds 60] [--freeze-seconds 30] [--cache-mb 64] [--islands 4 --epochs 5
 *     --population 24 --generations 6 --bars 20000] [--start-concurrency 4] [--keep]
 *
 * Exit codes: 0 the run held (every live peer done, every unit counted once, no conflict, one
 * leaderboard equal to the 1-peer reference), 1 it did not (the figures are printed all the same),
 * 2 a bad option or no LAN here, 3 the run itself failed (a peer did not start, memory ran low).
 */
import { parseArgs } from 'node:util'
import { lanUnavailableReason } from './netns.js'
import { held, runScale, type ScaleReport } from './scale-run.js'
import { availableMemory } from './scale-probe.js'
import { formatReport } from './scale-format.js'

/** Stop before the machine does: 30 peers must fit in this box's memory with room to spare. */
const MIN_FREE_BYTES = 2 * 2 ** 30

function usage (message: string): never {
  process.stderr.write(`scale: ${message}\n`)
  process.exit(2)
}

function intOption (name: string, raw: string, min: number, max: number): number {
  const v = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) usage(`--${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  return v
}

const NUMERIC: Record<string, [string, number, number]> = {
  peers: ['5', 2, 60],
  freeze: ['0', 0, 60],
  kill: ['0', 0, 60],
  seed: ['1', 0, 2 ** 31 - 1],
  'idle-seconds': ['60', 1, 3600],
  'freeze-seconds': ['30', 1, 600],
  'cache-mb': ['64', 0, 4096],
  islands: ['4', 1, 64],
  epochs: ['5', 1, 64],
  population: ['24', 2, 1024],
  generations: ['6', 1, 1000],
  bars: ['20000', 1000, 2_000_000],
  'start-concurrency': ['4', 1, 60],
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      ...Object.fromEntries(Object.entries(NUMERIC).map(([k, [d]]) => [k, { type: 'string' as const, default: d }])),
      json: { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
  })
  const raw = values as Record<string, string | boolean | undefined>
  const n = (k: string): number => { const [, min, max] = NUMERIC[k]; return intOption(k, String(raw[k]), min, max) }
  const peers = n('peers')
  if (n('freeze') + n('kill') > peers - 1) usage(`--freeze plus --kill must leave h0 and be below --peers (${peers})`)
  const why = await lanUnavailableReason()
  if (why !== undefined) usage(`cannot build a test LAN here: ${why}`)
  const t0 = Date.now()
  const log = (line: string): void => { process.stderr.write(`[+${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`) }
  log(`seed ${n('seed')}; ${peers} peers; available memory ${Math.round(await availableMemory() / 2 ** 20)} MiB`)
  let report: ScaleReport
  try {
    report = await runScale({
      peers,
      freeze: n('freeze'),
      kill: n('kill'),
      seed: n('seed'),
      idleMs: n('idle-seconds') * 1000,
      freezeMs: n('freeze-seconds') * 1000,
      cacheMb: n('cache-mb'),
      job: { islands: n('islands'), epochs: n('epochs'), population: n('population'), generations: n('generations'), bars: n('bars') },
      startConcurrency: n('start-concurrency'),
      minFreeBytes: MIN_FREE_BYTES,
      keep: values.keep,
      log: line => { if (line.includes('faults') || line.includes('thawed') || !/^h\d+: (started|peer \d+ exited)/.test(line)) log(line) },
    })
  } catch (err) {
    process.stderr.write(`scale: the run failed: ${(err as Error).message}\n`)
    process.exit(3)
  }
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report))
  process.exit(held(report) ? 0 : 1)
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(3)
})
