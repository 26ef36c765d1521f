/**
 * Ledger throughput: entries appended per second (sign + one atomic LevelDB batch; with and
 * without fsync), entries ingested per second by a second store (verify + chain checks + store,
 * in pages of MAX_LOG_RANGE_ENTRIES as the replicator fetches them), and the time to reopen a
 * store of N entries (read every entry and rebuild the fold), with the pure fold alone beside it.
 * The entries are a unit's life cycle (claim, renews, commit with a small checkpoint), over and over.
 * Run: node --import tsx bench/ledger.bench.ts [entries] [synced]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createLogStore, type LogStore } from '../src/node/replication/log-store.js'
import { canonicalHash } from '../src/protocol/canonical.js'
import { MAX_LOG_RANGE_ENTRIES } from '../src/protocol/limits.js'
import type { Entry } from '../src/protocol/entry.js'
import { foldEntries } from '../src/ledger/fold.js'
import { stateHash } from '../src/ledger/queries.js'
import type { Checkpoint } from '../src/protocol/job-spec.js'

const ENTRIES = Number(process.argv[2] ?? 100_000)
/** fsync'd appends are bounded by the disk's flush latency: a few thousand show the rate. */
const SYNCED = Number(process.argv[3] ?? 1000)
const JOB = 'ab'.repeat(32)

function commit (island: number, epoch: number): { jobId: string, island: number, epoch: number, checkpointHash: string, checkpoint: Checkpoint } {
  const best = Array.from({ length: 5 }, (_, i) => ({ params: { fast: 5 + i, slow: 50 + i }, fitness: 1 - i / 10, inSample: null, outOfSample: null }))
  const checkpoint: Checkpoint = { jobId: JOB, island, epoch, population: best.map(g => ({ params: g.params, fitness: g.fitness })), best, evaluations: 160, errors: 0 }
  return { jobId: JOB, island, epoch, checkpointHash: canonicalHash(checkpoint), checkpoint }
}

async function appendMany (store: LogStore, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const unit = { jobId: JOB, island: Math.floor(i / 5) % 256, epoch: Math.floor(i / 1280) % 1000 }
    switch (i % 5) {
      case 0: await store.append('claim', { ...unit, ttlMs: 30_000 }); break
      case 3: await store.append('commit', commit(unit.island, unit.epoch)); break
      case 4: await store.append('release', unit); break
      default: await store.append('renew', { ...unit, ttlMs: 30_000 })
    }
  }
}

function rate (n: number, ms: number): string {
  return `${Math.round(n / (ms / 1000)).toLocaleString('en-US')} entries/s (${n} in ${(ms / 1000).toFixed(2)} s)`
}

async function main (): Promise<void> {
  const dirs: string[] = []
  const tmp = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'stratmesh-bench-')); dirs.push(d); return d }
  let clock = 1_700_000_000_000
  const tickingClock = (): number => (clock += 1)
  try {
    const synced = createLogStore({ dataDir: await tmp(), privateKey: await generateKeyPair('Ed25519'), clock: tickingClock })
    await synced.start()
    let t = performance.now()
    await appendMany(synced, SYNCED)
    console.log(`append, fsync per entry:   ${rate(SYNCED, performance.now() - t)}`)
    await synced.stop()

    const a = createLogStore({ dataDir: await tmp(), privateKey: await generateKeyPair('Ed25519'), clock: tickingClock, syncAppends: false })
    await a.start()
    t = performance.now()
    await appendMany(a, ENTRIES)
    console.log(`append, no fsync:          ${rate(ENTRIES, performance.now() - t)}`)

    const bDir = await tmp()
    const bKey = await generateKeyPair('Ed25519')
    const b = createLogStore({ dataDir: bDir, privateKey: bKey, clock: tickingClock })
    await b.start()
    let ingestMs = 0
    for (let from = 1; from <= ENTRIES; from += MAX_LOG_RANGE_ENTRIES) {
      const page = await a.range(a.author, from, MAX_LOG_RANGE_ENTRIES)
      // Pages cross the wire as JSON: ingest fresh objects, as the replicator would.
      const wire = JSON.parse(JSON.stringify(page)) as unknown[]
      const s = performance.now()
      const r = await b.ingest(wire, 'bench')
      ingestMs += performance.now() - s
      if (r.accepted.length !== page.length) throw new Error(`ingest refused entries: ${JSON.stringify(r.rejected.slice(0, 3))}`)
    }
    console.log(`ingest (verify + store):   ${rate(ENTRIES, ingestMs)}`)
    const hash = stateHash(b.state())
    await b.stop()

    const entries: Entry[] = []
    for (let from = 1; from <= ENTRIES; from += MAX_LOG_RANGE_ENTRIES) entries.push(...await a.range(a.author, from, MAX_LOG_RANGE_ENTRIES))
    await a.stop()

    const reopened = createLogStore({ dataDir: bDir, privateKey: bKey, clock: tickingClock })
    t = performance.now()
    await reopened.start()
    const reopenMs = performance.now() - t
    if (stateHash(reopened.state()) !== hash) throw new Error('the reopened state differs')
    console.log(`reopen + rebuild fold:     ${ENTRIES} entries in ${(reopenMs / 1000).toFixed(2)} s`)
    await reopened.stop()

    t = performance.now()
    const folded = foldEntries(entries)
    console.log(`pure fold (entries in memory, hashes known): ${ENTRIES} entries in ${((performance.now() - t) / 1000).toFixed(2)} s`)
    if (stateHash(folded) !== hash) throw new Error('the pure fold differs')
  } finally {
    for (const d of dirs) await rm(d, { recursive: true, force: true })
  }
}

await main()
