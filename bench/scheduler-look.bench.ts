/**
 * What one scheduler look for work costs on a ledger with a long history: the claim candidates
 * (the connected members whose active leases do not fill their cores, claim-order.ts
 * claimCandidates) and the order of open jobs (job-order.ts jobsToClaim). The ledger holds
 * `finished` finished jobs of 16 units (claim, renew, commit each, and a lapsed lease never
 * released on one unit in 50, as a peer killed mid-unit leaves), plus `open` running jobs with
 * every peer holding a lease. The fold takes unsigned entries as they come (it checks no
 * signature), so the ledger is built without signing.
 * Run: node --import tsx bench/scheduler-look.bench.ts [finished] [open]
 */
import { performance } from 'node:perf_hooks'
import { applyEntry, emptyLedger, type LedgerState } from '../src/ledger/fold.js'
import { createJobSpec } from '../src/engine/job-setup.js'
import { canonicalHash } from '../src/protocol/canonical.js'
import { entryHash, type Entry } from '../src/protocol/entry.js'
import type { EntryBodies, EntryType } from '../src/protocol/entry-bodies.js'
import type { Checkpoint } from '../src/protocol/job-spec.js'
import { claimCandidates } from '../src/node/work/claim-order.js'
import { jobsToClaim } from '../src/node/work/job-order.js'
import { TRUST_ALL } from '../src/ledger/queries.js'
import { ENGINE_FIXTURE } from '../test/helpers/job-spec-fixture.js'
import { medianTime } from './median.js'

const FINISHED = Number(process.argv[2] ?? 500)
const OPEN = Number(process.argv[3] ?? 1)
const PEERS = Array.from({ length: 10 }, (_, i) => `peer${String(i).padStart(2, '0')}`)
const ISLANDS = 4
const EPOCHS = 4
const TTL_MS = 20_000
const SIG = 'A'.repeat(86)
const REPEATS = 200

class Authors {
  private readonly heads = new Map<string, { seq: number, hash: string | null }>()
  private wall = 1_700_000_000_000
  constructor (private readonly state: LedgerState) {}
  append<T extends EntryType> (author: string, type: T, body: EntryBodies[T]): void {
    const head = this.heads.get(author) ?? { seq: 0, hash: null }
    const entry = { v: 1, author, seq: head.seq + 1, prev: head.hash, hlc: [this.wall += 10, 0], type, body, sig: SIG } as unknown as Entry
    if (applyEntry(this.state, entry) !== 'applied') throw new Error(`entry not applied: ${type}`)
    this.heads.set(author, { seq: entry.seq, hash: entryHash(entry) })
  }

  now (): number { return this.wall }

  /** Time passes with nothing written. */
  idle (ms: number): void { this.wall += ms }
}

function checkpoint (jobId: string, island: number, epoch: number): EntryBodies['commit'] {
  const best = [{ params: { fast: 5 + island, slow: 50 + epoch }, fitness: 1, inSample: null, outOfSample: null }]
  const cp: Checkpoint = { jobId, island, epoch, population: best.map(g => ({ params: g.params, fitness: g.fitness })), best, evaluations: 160, errors: 0 }
  return { jobId, island, epoch, checkpointHash: canonicalHash(cp), checkpoint: cp }
}

function build (): { state: LedgerState, now: number } {
  const state = emptyLedger()
  const log = new Authors(state)
  for (const p of PEERS) log.append(p, 'hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: p })
  let unitNo = 0
  for (let j = 0; j < FINISHED + OPEN; j++) {
    const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'ab'.repeat(32), name: 's' }, dataset: { hash: 'cd'.repeat(32), name: 'd', bars: 500 }, ga: { islands: ISLANDS, epochs: EPOCHS }, seed: j + 1 })
    const id = canonicalHash(spec)
    const open = j >= FINISHED
    // The running jobs come a day after the history, as in a mesh kept for months.
    if (j === FINISHED) log.idle(86_400_000)
    log.append(PEERS[j % PEERS.length], 'job', { spec, id })
    for (let e = 0; e < EPOCHS; e++) {
      for (let i = 0; i < ISLANDS; i++) {
        const by = PEERS[unitNo++ % PEERS.length]
        const unit = { jobId: id, island: i, epoch: e }
        if (open) { if (e === 0) log.append(by, 'claim', { ...unit, ttlMs: 10 * TTL_MS }); continue }
        log.append(by, 'claim', { ...unit, ttlMs: TTL_MS })
        log.append(by, 'renew', { units: [unit], ttlMs: TTL_MS })
        if (unitNo % 50 === 0) log.append(PEERS[unitNo % PEERS.length], 'claim', { ...unit, ttlMs: TTL_MS })
        log.append(by, 'commit', checkpoint(id, i, e))
      }
    }
  }
  return { state, now: log.now() + 1 }
}

function median (label: string, f: () => unknown): number {
  const ms = medianTime(REPEATS, f)
  console.log(`${label.padEnd(58)} ${(ms * 1000).toFixed(1).padStart(9)} µs`)
  return ms
}

const t0 = performance.now()
const { state, now } = build()
console.log(`ledger: ${FINISHED} finished + ${OPEN} open jobs of ${ISLANDS * EPOCHS} units, ${state.units.size} units, built in ${Math.round(performance.now() - t0)} ms`)
const open = jobsToClaim(state, TRUST_ALL, now, PEERS[0])
if (open.length !== OPEN) throw new Error(`expected ${OPEN} open jobs, found ${open.length}`)
const candidates = claimCandidates(PEERS, state, now)
console.log(`candidates: ${candidates.length} of ${PEERS.length} (the others' leases fill their cores)`)
const one = median('claimCandidates, one call', () => claimCandidates(PEERS, state, now))
median('jobsToClaim (job views and their order), one call', () => jobsToClaim(state, TRUST_ALL, now, PEERS[0]))
console.log(`a look with one candidates call per open job (${OPEN}): ${(one * OPEN * 1000).toFixed(1)} µs; with one per look: ${(one * 1000).toFixed(1)} µs`)
