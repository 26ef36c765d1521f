/**
 * A test LAN by hand: starts N hosts with a peer each, optionally submits the demo job, prints who
 * sees whom and the job's progress every few seconds, and tears everything down on Ctrl-C or
 * after --seconds. For looking at the mesh on a real (namespaced) network outside the tests.
 *
 *   node --import tsx scripts/lan/run-lan.ts [--hosts 3] [--demo]
 *     [--seconds 120] [--lease-ttl-ms 5000] [--launch cli|runner] [--keep]
 *     [--slow-host 1 --delay-ms 100 [--loss-percent 20]]
 *
 * --slow-host joins that host (0-based) to the LAN by a slow, lossy link: --delay-ms each way on
 * every frame, and --loss-percent of the frames dropped each way (as LAN scenario 6 does).
 */
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { createLan, type DelayedHost } from './lan.js'
import { lanUnavailableReason } from './netns.js'
import type { PeerLaunch } from './peer-launch.js'

/** The run ends by itself after this long unless told otherwise: nothing is left running by accident. */
const DEFAULT_SECONDS = 120
const REPORT_EVERY_MS = 3_000

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: '3' },
      demo: { type: 'boolean', default: false },
      seconds: { type: 'string', default: String(DEFAULT_SECONDS) },
      'lease-ttl-ms': { type: 'string' },
      launch: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'slow-host': { type: 'string' },
      'delay-ms': { type: 'string' },
      'loss-percent': { type: 'string' },
    },
  })
  const hosts = intOption('--hosts', values.hosts, 1, 16)
  const seconds = intOption('--seconds', values.seconds, 1, 24 * 3600)
  const ttl = values['lease-ttl-ms'] === undefined ? undefined : intOption('--lease-ttl-ms', values['lease-ttl-ms'], 500, 3_600_000)
  if (values.launch !== undefined && values.launch !== 'cli' && values.launch !== 'runner') usage(`--launch must be cli or runner, got ${values.launch}`)
  let delayed: DelayedHost | undefined
  if (values['slow-host'] !== undefined) {
    if (values['delay-ms'] === undefined) usage('--slow-host needs --delay-ms')
    delayed = {
      host: intOption('--slow-host', values['slow-host'], 0, hosts - 1),
      delayMs: intOption('--delay-ms', values['delay-ms'], 0, 10_000),
      ...(values['loss-percent'] === undefined ? {} : { lossPercent: intOption('--loss-percent', values['loss-percent'], 0, 100) }),
    }
  } else if (values['delay-ms'] !== undefined || values['loss-percent'] !== undefined) {
    usage('--delay-ms and --loss-percent shape the link of --slow-host: name the host too')
  }
  const why = await lanUnavailableReason()
  if (why !== undefined) {
    process.stderr.write(`cannot build a test LAN here: ${why}\n`)
    process.exit(2)
  }
  const t0 = Date.now()
  const lan = await createLan(hosts, {
    keep: values.keep,
    log: line => { process.stdout.write(`[+${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`) },
    ...(ttl === undefined ? {} : { leaseTtlMs: ttl }),
    ...(values.launch === undefined ? {} : { launch: values.launch as PeerLaunch }),
    ...(delayed === undefined ? {} : { delayed }),
  })
  let ending = false
  const end = async (): Promise<void> => {
    if (ending) return
    ending = true
    await lan.destroy()
    process.exit(0)
  }
  process.on('SIGINT', () => { void end() })
  try {
    process.stdout.write(`run dir ${lan.dir}; peers start with ${lan.launch}\n`)
    if (delayed !== undefined) process.stdout.write(`h${delayed.host} is on a slow link: ${delayed.delayMs} ms each way, ${delayed.lossPercent ?? 0} % of frames lost each way\n`)
    await lan.startAll()
    if (values.demo) {
      const strategyPath = fileURLToPath(new URL('../../strategies/sma-cross.ts', import.meta.url))
      const s = await lan.hosts[0].submit({ strategyPath, data: 'default' })
      process.stdout.write(`submitted demo job ${s.jobId}\n`)
    }
    const until = t0 + seconds * 1000
    while (!ending && Date.now() < until) {
      for (const h of lan.hosts) {
        const st = await h.status().catch(err => { process.stdout.write(`${h.name}: ${(err as Error).message}\n`) })
        if (st === undefined) continue
        const job = st.jobs.at(-1)
        const seen = st.peers.filter(p => !p.self).map(p => `${p.name}:${p.connected ? 'up' : p.state}`).join(' ')
        process.stdout.write(`${h.name} ${h.net.ip} sees [${seen}]${job === undefined ? '' : ` job ${job.committed}/${job.total}`}\n`)
      }
      await new Promise(resolve => setTimeout(resolve, REPORT_EVERY_MS))
    }
  } finally {
    await end()
  }
}

/** A bad option: one line naming it, exit 2. */
function usage (message: string): never {
  process.stderr.write(`run-lan: ${message}\n`)
  process.exit(2)
}

function intOption (name: string, raw: string, min: number, max: number): number {
  const v = Number(raw)
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(v) || v < min || v > max) usage(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`)
  return v
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`)
  process.exit(1)
})
