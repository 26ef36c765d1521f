/**
 * What the scale run reads from the machine rather than from the peers: bytes on each host's
 * bridge port (every frame, mDNS, gossipsub control and encryption included), the memory of each
 * peer's process group, the machine's free memory and load, and lines in the peers' logs.
 */
import { readdir, readFile } from 'node:fs/promises'
import { loadavg } from 'node:os'
import { sh, type LanNet } from './netns.js'

/** Bytes each host sent (`tx`) and received (`rx`) on the LAN, by host index. */
export type WireBytes = Map<number, { rx: number, tx: number }>

interface IpLinkStats { ifname: string, stats64?: { rx: { bytes: number }, tx: { bytes: number } } }

/**
 * One `ip -s -j link` in the bridge's namespace gives every host's counters at once. The bridge
 * port's rx is what the host sent, its tx what the host received.
 */
export async function wireBytes (net: LanNet): Promise<WireBytes> {
  const links = JSON.parse(await sh('ip', ['-n', net.bridgeNs, '-s', '-j', 'link', 'show'])) as IpLinkStats[]
  const out: WireBytes = new Map()
  for (const h of net.hosts) {
    const port = links.find(l => l.ifname === h.bridgePort)
    if (port?.stats64 !== undefined) out.set(h.index, { rx: port.stats64.tx.bytes, tx: port.stats64.rx.bytes })
  }
  return out
}

const PAGE_BYTES = 4096

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100

export interface GroupUsage { rss: number, cpuMs: number }

/**
 * Resident memory (bytes) and CPU time so far (ms, of the processes alive now and the children they reaped) of every process
 * group among `groups`: a peer and its evaluators.
 */
export async function groupUsage (groups: readonly number[]): Promise<Map<number, GroupUsage>> {
  const wanted = new Set(groups)
  const out = new Map<number, GroupUsage>()
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8')
      // Fields after the command (which may hold spaces): state, ppid, pgrp, … utime, stime, and
      // the same of reaped children (11-14): an evaluator replaced mid-run still counts.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pgrp = Number(fields[2])
      if (!wanted.has(pgrp)) continue
      const resident = Number((await readFile(`/proc/${name}/statm`, 'utf8')).split(' ')[1]) * PAGE_BYTES
      const cpuMs = (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) * 1000 / TICKS_PER_SECOND
      const sum = out.get(pgrp) ?? { rss: 0, cpuMs: 0 }
      out.set(pgrp, { rss: sum.rss + resident, cpuMs: sum.cpuMs + cpuMs })
    } catch {
      // The process ended between readdir and read.
    }
  }
  return out
}

/** MemAvailable of the machine, in bytes. */
export async function availableMemory (): Promise<number> {
  const info = await readFile('/proc/meminfo', 'utf8')
  const kb = /MemAvailable:\s+(\d+) kB/.exec(info)
  return kb === null ? Number.POSITIVE_INFINITY : Number(kb[1]) * 1024
}

/** The 1-minute load average, noted beside every figure: the box is shared. */
export function load1 (): number {
  return Math.round(loadavg()[0] * 100) / 100
}

/** Lines a peer logs when its timer fired late (the scheduler's "woke up after N s") or its dialer re-dials after a wake-up. */
export const WAKE_LINE = /woke up after \d+ s/
export const REDIAL_LINE = /woke up: dialling/

export function countLines (log: string, pattern: RegExp): number {
  let n = 0
  for (const line of log.split('\n')) if (pattern.test(line)) n++
  return n
}

/** Median and maximum of a list (0 for an empty one). */
export function spread (values: readonly number[]): { median: number, max: number, min: number } {
  if (values.length === 0) return { median: 0, max: 0, min: 0 }
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  const median = s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2
  return { median, max: s[s.length - 1], min: s[0] }
}
