/**
 * Ledger growth: what a ledger holds, by entry type, per job and per unit, read from a peer's data
 * directory (a copy, or a stopped peer's), and what an idle peer appends: a peer started with no
 * job, left alone for a while, and its entries counted before and after.
 * The budget these figures are held to is in src/protocol/limits.ts (LEDGER_*_BUDGET).
 *
 * Run: node --import tsx bench/ledger-growth.bench.ts [dataDir] [idleSeconds]
 * Without a data dir only the idle peer is measured; idleSeconds 0 skips it.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createLogStore } from '../src/node/replication/index.js'
import { loadOrCreateIdentity } from '../src/node/mesh/identity.js'
import { createPeer } from '../src/node/peer.js'
import { unitIslands } from '../src/protocol/unit-layout.js'
import { canonicalString } from '../src/protocol/canonical.js'
import type { Entry } from '../src/protocol/entry.js'
import type { LedgerState } from '../src/ledger/fold.js'

const DATA_DIR = process.argv[2] === undefined || process.argv[2] === '-' ? undefined : resolve(process.argv[2])
const IDLE_SECONDS = Number(process.argv[3] ?? 60)

/** Bytes of an entry as peers send and store it (its canonical JSON, signature included). */
function entryBytes (e: Entry): number {
  return Buffer.byteLength(canonicalString(e))
}

async function ledgerOf (dataDir: string): Promise<LedgerState> {
  // Opened on a copy: a store opened here may write (its meta), and the peer's own dir stays as it was.
  const copy = await mkdtemp(join(tmpdir(), 'stratmesh-ledger-growth-'))
  await cp(dataDir, copy, { recursive: true })
  const { privateKey } = await loadOrCreateIdentity(copy)
  const store = createLogStore({ dataDir: copy, privateKey })
  await store.start()
  const state = store.state()
  await store.stop()
  await rm(copy, { recursive: true, force: true })
  return state
}

function report (state: LedgerState): void {
  const byType = new Map<string, { entries: number, bytes: number }>()
  let entries = 0
  let bytes = 0
  for (const chain of state.chains.values()) {
    for (const e of chain.entries) {
      const t = byType.get(e.type) ?? { entries: 0, bytes: 0 }
      t.entries++
      t.bytes += entryBytes(e)
      byType.set(e.type, t)
      entries++
      bytes += entryBytes(e)
    }
  }
  let units = 0
  for (const job of state.jobs.values()) units += unitIslands(job.spec) * job.spec.ga.epochs
  const jobs = state.jobs.size
  console.log(`${state.chains.size} authors, ${jobs} jobs, ${units} units: ${entries} entries, ${(bytes / 1024).toFixed(1)} KiB`)
  for (const [type, t] of [...byType].sort((a, b) => b[1].bytes - a[1].bytes)) {
    console.log(`  ${type.padEnd(9)} ${String(t.entries).padStart(7)} entries ${(t.bytes / 1024).toFixed(1).padStart(9)} KiB  ${(t.bytes / t.entries).toFixed(0).padStart(7)} B each`)
  }
  if (jobs > 0) console.log(`per job: ${(entries / jobs).toFixed(1)} entries, ${(bytes / jobs / 1024).toFixed(1)} KiB`)
  if (units > 0) console.log(`per unit: ${(entries / units).toFixed(2)} entries, ${(bytes / units / 1024).toFixed(2)} KiB`)
}

/** Entries a peer with no job appends: read after it stops, split by whether they came after the start settled. */
async function idle (seconds: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'stratmesh-idle-'))
  const peer = await createPeer({ dataDir: dir, name: 'idle', cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, secret: 'ledger growth bench' })
  await peer.start()
  const settled = Date.now()
  await new Promise(resolve => setTimeout(resolve, seconds * 1000))
  await peer.stop()
  const state = await ledgerOf(dir)
  await rm(dir, { recursive: true, force: true })
  const all = [...state.chains.values()].flatMap(c => c.entries)
  const later = all.filter(e => e.hlc[0] > settled)
  console.log(`idle peer: ${all.length - later.length} entries on start (${all.filter(e => e.hlc[0] <= settled).map(e => `${e.type} ${entryBytes(e)} B`).join(', ')}), ` +
    `${later.length} in ${seconds} s idle after it (${(later.length * 3600 / seconds).toFixed(1)} per hour)`)
}

if (DATA_DIR !== undefined) report(await ledgerOf(DATA_DIR))
if (IDLE_SECONDS > 0) await idle(IDLE_SECONDS)
