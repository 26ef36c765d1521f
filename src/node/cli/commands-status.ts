/**
 * `peer status [--json] [--watch]`: the mesh as the local peer sees it.
 */
import { connectToPeer } from '../api/index.js'
import type { PeerStatus } from '../peer-types.js'
import { agoText, jobsTable, peersTable, shortId } from './format.js'
import { memoryText } from './format-memory.js'
import { dataDirFrom } from './options.js'

/** `--watch` refreshes this often: quick enough to watch a job move, light on the peer. */
export const WATCH_INTERVAL_MS = 2000

export interface StatusOptions {
  readonly dataDir?: string
  readonly json?: boolean
  readonly watch?: boolean
}

export function statusText (s: PeerStatus): string {
  const uptime = agoText(s.self.uptimeMs).replace(/ ago$/, '').replace(/^now$/, '0s')
  const out = [
    `peer ${s.self.name} (${s.self.id}), data dir ${s.self.dataDir}, up ${uptime}`,
    '',
    peersTable([s.self, ...s.peers]),
    '',
    jobsTable(s.jobs),
  ]
  if (s.memory !== undefined) out.push('', memoryText(s.memory))
  const walkForward = s.jobs.flatMap(j => j.windows === undefined ? [] : [`  job ${shortId(j.id)}: ${j.windows.map((w, k) => `${k} ${w.committed}/${w.total}`).join(', ')}`])
  if (walkForward.length > 0) out.push('', 'walk-forward windows (units committed/total per window):', ...walkForward)
  if (s.conflicts.length > 0) {
    out.push('', `WARNING: ${s.conflicts.length} unit(s) have two different checkpoints (a faulty peer or a version mismatch):`)
    for (const c of s.conflicts) {
      out.push(`  job ${shortId(c.jobId)} island ${c.island} epoch ${c.epoch}: counted ${shortId(c.counted.author)} ${c.counted.checkpointHash.slice(0, 12)}, other ${shortId(c.other.author)} ${c.other.checkpointHash.slice(0, 12)}${c.rejected ? ' (checked here: wrong)' : ''}`)
    }
  }
  const checks = s.checks
  if (checks.rejected.length > 0) {
    out.push('', `WARNING: ${checks.rejected.length} commit(s) failed this peer's check and do not count:`)
    for (const r of checks.rejected) out.push(`  job ${shortId(r.jobId)} island ${r.island} epoch ${r.epoch} by ${shortId(r.author)}: ${r.reason}`)
  }
  if (checks.pending > 0) out.push('', `checking ${checks.pending} commit(s) from other peers`)
  if (checks.dormant > 0) out.push('', `${checks.dormant} commit(s) of finished jobs left unchecked until their results are asked for`)
  for (const u of checks.unchecked) out.push('', `job ${shortId(u.jobId)}: commits count unchecked (${u.reason})`)
  if (s.frozen.length > 0) {
    out.push('', 'frozen (signed two different entries at one seq; nothing they sign from there counts):')
    for (const f of s.frozen) out.push(`  ${shortId(f.author)} from seq ${f.seq}`)
  }
  const rejected = Object.entries(s.rejected).filter(([, byCode]) => Object.keys(byCode).length > 0)
  if (rejected.length > 0) {
    out.push('', 'entries rejected:')
    for (const [peer, byCode] of rejected) out.push(`  from ${shortId(peer)}: ${Object.entries(byCode).map(([code, n]) => `${code} x${n}`).join(', ')}`)
  }
  const syncErrors = Object.entries(s.syncErrors).filter(([, byCode]) => Object.keys(byCode).length > 0)
  if (syncErrors.length > 0) {
    out.push('', 'failed pulls:')
    for (const [peer, byCode] of syncErrors) out.push(`  from ${shortId(peer)}: ${Object.entries(byCode).map(([code, n]) => `${code} x${n}`).join(', ')}`)
  }
  return out.join('\n') + '\n'
}

export async function statusCommand (opts: StatusOptions): Promise<void> {
  const peer = await connectToPeer(dataDirFrom(opts))
  const show = (s: PeerStatus): void => {
    process.stdout.write(opts.json === true ? JSON.stringify(s, null, 2) + '\n' : statusText(s))
  }
  if (opts.watch !== true) {
    show(await peer.status())
    return
  }
  // Ctrl-C ends the watch normally (exit 0), it is the only way out.
  let stop = false
  let wake: () => void = () => {}
  const onSignal = (): void => { stop = true; wake() }
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    while (!stop) {
      const s = await peer.status()
      if (process.stdout.isTTY === true && opts.json !== true) process.stdout.write('\x1b[2J\x1b[H')
      show(s)
      if (process.stdout.isTTY !== true || opts.json === true) process.stdout.write('\n')
      await new Promise<void>(resolve => {
        const t = setTimeout(resolve, WATCH_INTERVAL_MS)
        wake = () => { clearTimeout(t); resolve() }
      })
    }
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}
