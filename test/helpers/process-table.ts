/**
 * The machine's processes, for tests that check nothing is left running. On Linux it reads /proc,
 * so it needs no `ps` (a minimal machine may lack procps); elsewhere (macOS) it asks `ps`, whose
 * options used here work alike on both.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'

export interface ProcessRow {
  readonly pid: number
  readonly ppid: number
  readonly pgid: number
  /** One-letter state; Z is a zombie (dead, only not yet reaped). */
  readonly state: string
  readonly args: string
}

/** /proc/PID/stat: "pid (comm) state ppid pgrp ...", where comm may hold spaces and parentheses. */
function procRow (pid: number): ProcessRow | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(a => a !== '').join(' ')
    return { pid, state: fields[0], ppid: Number(fields[1]), pgid: Number(fields[2]), args }
  } catch {
    return null // it ended while we read
  }
}

function psRows (): ProcessRow[] {
  const out = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid=,stat=,args='], { encoding: 'utf8', timeout: 10_000 })
  return out.split('\n').map(l => l.trim().split(/\s+/)).filter(f => f.length >= 4).map(f => ({
    pid: Number(f[0]), ppid: Number(f[1]), pgid: Number(f[2]), state: f[3].slice(0, 1), args: f.slice(4).join(' '),
  }))
}

/** Every process there is now, zombies included (filter on `state`). */
export function processTable (): ProcessRow[] {
  if (!existsSync('/proc/self/stat')) return psRows()
  return readdirSync('/proc').filter(n => /^\d+$/.test(n)).map(n => procRow(Number(n))).filter((r): r is ProcessRow => r !== null)
}

/** Processes that are alive (not zombies). */
export function liveProcesses (): ProcessRow[] {
  return processTable().filter(r => r.state !== 'Z')
}
