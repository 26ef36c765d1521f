/** The memory part of `peer status`: the peer process and each evaluator against the memory plan. */
import type { PeerMemoryView } from '../peer-types.js'
import { table } from './format.js'

const MIB = 1024 * 1024

/** Bytes in MiB, rounded: memory at the scale of processes, where a MiB is the last digit that matters. */
export function mibText (bytes: number | null): string {
  return bytes === null ? '-' : `${Math.round(bytes / MIB)} MiB`
}

export function memoryText (m: PeerMemoryView): string {
  const head = `memory: ${mibText(m.totalRssBytes)} in use (peer and evaluators), plan ${mibText(m.plannedBytes)} within a budget of ${mibText(m.budgetBytes)} of ${mibText(m.machineBytes)}; cache bound ${mibText(m.cacheBytesPerEvaluator)} and memory cap ${m.isolateMemoryMb} MiB per evaluator`
  const rows = [
    ['peer', String(m.peerPid), mibText(m.peerRssBytes), '-', '-'],
    ...m.evaluators.map(ev => [ev.role, String(ev.pid), mibText(ev.rssBytes), mibText(ev.isolateHeapBytes), mibText(ev.isolateExternalBytes)]),
  ]
  return `${head}\n${table(['PROCESS', 'PID', 'RSS', 'ISOLATE HEAP', 'ISOLATE BUFFERS'], rows)}`
}
