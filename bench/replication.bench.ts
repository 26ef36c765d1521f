/**
 * Ledger replication between local libp2p nodes (TCP on 127.0.0.1, Noise, yamux, pnet on, real
 * LevelDB in temp dirs, all nodes in this one process, so the numbers include every node's CPU):
 *
 *   (a) one writer appends ENTRIES entries; entries/s appended, and entries/s until every other
 *       node holds them all (gossip push with pull behind it), for 2 and 5 nodes;
 *   (b) every node of 5 appends ENTRIES/5 at once; entries/s until all hold all;
 *   (c) a fresh node catching up on CATCH_UP entries (4 authors) by pull alone: seconds.
 *
 * Appends skip fsync (syncAppends: false) to measure replication, not the disk's flush latency.
 * Every node runs in this one process on one event loop: the rates are what the whole mesh's
 * CPU work (each entry signed once, verified and stored by every other node, gossip relayed)
 * allows on one core, a lower bound for peers on separate machines.
 * Prints each run and the median of RUNS runs (CATCH_UP_RUNS for (c)).
 * Knobs for investigation: BENCH_NODES=n runs (a) for n nodes only; BENCH_GOSSIP=0 replicates by
 * pull alone (1 s period); BENCH_STATS=1 prints every replicator's stats after each (a) run.
 * Run: node --import tsx bench/replication.bench.ts [entries] [runs] [catchUp] [catchUpRuns]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createPeerNode, type PeerNode } from '../src/node/mesh/libp2p-node.js'
import { createLogStore, type LogStore } from '../src/node/replication/log-store.js'
import { createReplicator, type Replicator, type ReplicatorInit } from '../src/node/replication/replicator.js'
import { logStoreLog } from '../src/node/replication/replicated-log.js'
import { signEntry, entryHash, type Entry } from '../src/protocol/entry.js'
import { swarmKeyFromSecret } from '../src/protocol/swarm-key.js'
import type { Hlc } from '../src/protocol/hlc.js'
import { LEDGER_TOPIC } from '../src/protocol/sync-messages.js'

const ENTRIES = Number(process.argv[2] ?? 2000)
const RUNS = Number(process.argv[3] ?? 5)
const CATCH_UP = Number(process.argv[4] ?? 100_000)
const CATCH_UP_RUNS = Number(process.argv[5] ?? 3)
const CATCH_UP_AUTHORS = 4
const SWARM_KEY = swarmKeyFromSecret('stratmesh benchmark secret')
/** A bound on every wait, so a broken build fails instead of hanging. */
const WAIT_LIMIT_MS = 10 * 60_000

interface Peer { node: PeerNode, store: LogStore, replicator: Replicator, dir: string }

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function until (cond: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + WAIT_LIMIT_MS
  while (!await cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 5))
  }
}

async function peer (options: ReplicatorInit = {}): Promise<Peer> {
  const dir = await mkdtemp(join(tmpdir(), 'stratmesh-bench-'))
  const privateKey = await generateKeyPair('Ed25519')
  const node = await createPeerNode({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, swarmKey: SWARM_KEY })
  const store = createLogStore({ dataDir: dir, privateKey, syncAppends: false })
  await store.start()
  const replicator = createReplicator({ node, log: logStoreLog(store) }, { syncIntervalMs: 1000, gossip: process.env.BENCH_GOSSIP !== '0', ...options })
  await replicator.start()
  return { node, store, replicator, dir }
}

async function stopAll (peers: Peer[]): Promise<void> {
  for (const p of peers) { await p.replicator.stop(); await p.store.stop(); await p.node.stop() }
  await Promise.all(peers.map(async p => { await rm(p.dir, { recursive: true, force: true }) }))
}

async function total (p: Peer): Promise<number> {
  return Object.values(await p.store.heads()).reduce((a, b) => a + b, 0)
}

async function mesh (n: number): Promise<Peer[]> {
  const peers: Peer[] = []
  for (let i = 0; i < n; i++) peers.push(await peer())
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) await peers[i].node.dial(peers[j].node.getMultiaddrs()[0])
  if (process.env.BENCH_GOSSIP !== '0') await until(() => peers.every(p => p.node.services.pubsub.getSubscribers(LEDGER_TOPIC).length === n - 1), 'subscriptions')
  return peers
}

async function appendMany (store: LogStore, n: number, tag: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1 + (i % 64), name: `bench-${tag}-${i}` })
}

/** (a) One writer; returns [appended/s, replicated/s]. */
async function oneWriter (n: number): Promise<[number, number]> {
  const peers = await mesh(n)
  try {
    const t0 = performance.now()
    await appendMany(peers[0].store, ENTRIES, 0)
    const t1 = performance.now()
    await until(async () => (await Promise.all(peers.map(total))).every(c => c === ENTRIES), 'replication')
    const t2 = performance.now()
    if (process.env.BENCH_STATS !== undefined) for (const p of peers) console.log(JSON.stringify(p.replicator.stats()))
    return [ENTRIES / ((t1 - t0) / 1000), ENTRIES / ((t2 - t0) / 1000)]
  } finally {
    await stopAll(peers)
  }
}

/** (b) Every node writes; returns replicated entries/s (all entries at all nodes). */
async function allWriters (n: number): Promise<number> {
  const peers = await mesh(n)
  const each = Math.floor(ENTRIES / n)
  try {
    const t0 = performance.now()
    await Promise.all(peers.map(async (p, i) => { await appendMany(p.store, each, i) }))
    await until(async () => (await Promise.all(peers.map(total))).every(c => c === each * n), 'replication')
    return (each * n) / ((performance.now() - t0) / 1000)
  } finally {
    await stopAll(peers)
  }
}

/** Signs a chain of `n` entries for one author without a store (fast fixture building). */
async function chain (key: PrivateKey, n: number): Promise<Entry[]> {
  const author = peerIdFromPrivateKey(key).toString()
  const out: Entry[] = []
  let prev: string | null = null
  const wall = Date.now() - n
  for (let seq = 1; seq <= n; seq++) {
    const hlc: Hlc = [wall + seq, 0]
    const e: Entry = await signEntry(key, { v: 1, author, seq, prev, hlc, type: 'hello', body: { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1 + (seq % 64), name: `catch-up-${seq}` } })
    prev = entryHash(e)
    out.push(e)
  }
  return out
}

/** (c) Seconds for a fresh node to pull CATCH_UP entries from one peer that holds them. */
async function catchUp (fixture: Entry[][]): Promise<number> {
  const source = await peer({ gossip: false, syncIntervalMs: 0 })
  for (const entries of fixture) {
    for (let i = 0; i < entries.length; i += 1000) await source.store.ingest(entries.slice(i, i + 1000))
  }
  const fresh = await peer({ gossip: false, syncIntervalMs: 0 })
  try {
    const t0 = performance.now()
    await fresh.node.dial(source.node.getMultiaddrs()[0])
    await until(async () => await total(fresh) === CATCH_UP, 'catch-up')
    return (performance.now() - t0) / 1000
  } finally {
    await stopAll([source, fresh])
  }
}

async function main (): Promise<void> {
  // BENCH_NODES=5 runs only that case (for profiling).
  const sizes = process.env.BENCH_NODES === undefined ? [2, 5] : [Number(process.env.BENCH_NODES)]
  for (const n of sizes) {
    const appended: number[] = []
    const replicated: number[] = []
    for (let r = 0; r < RUNS; r++) {
      const [a, b] = await oneWriter(n)
      appended.push(a)
      replicated.push(b)
      console.log(`one writer, ${n} nodes, run ${r + 1}: appended ${a.toFixed(0)}/s, replicated to all ${b.toFixed(0)}/s`)
    }
    console.log(`(a) one writer, ${n} nodes, ${ENTRIES} entries: median appended ${median(appended).toFixed(0)} entries/s, replicated ${median(replicated).toFixed(0)} entries/s (${RUNS} runs)`)
  }
  const all: number[] = []
  for (let r = 0; r < (process.env.BENCH_NODES === undefined ? RUNS : 0); r++) {
    all.push(await allWriters(5))
    console.log(`five writers, run ${r + 1}: ${all.at(-1)?.toFixed(0)} entries/s`)
  }
  console.log(`(b) five writers, ${ENTRIES} entries in all: median ${median(all).toFixed(0)} entries/s replicated to all (${RUNS} runs)`)
  if (CATCH_UP > 0) {
    const t0 = performance.now()
    const per = Math.floor(CATCH_UP / CATCH_UP_AUTHORS)
    const fixture: Entry[][] = []
    for (let a = 0; a < CATCH_UP_AUTHORS; a++) fixture.push(await chain(await generateKeyPair('Ed25519'), per + (a === 0 ? CATCH_UP - per * CATCH_UP_AUTHORS : 0)))
    console.log(`(fixture: ${CATCH_UP} signed entries in ${((performance.now() - t0) / 1000).toFixed(1)} s)`)
    const secs: number[] = []
    for (let r = 0; r < CATCH_UP_RUNS; r++) {
      secs.push(await catchUp(fixture))
      console.log(`catch-up run ${r + 1}: ${secs.at(-1)?.toFixed(2)} s`)
    }
    const m = median(secs)
    console.log(`(c) fresh node catching up on ${CATCH_UP} entries by pull: median ${m.toFixed(2)} s = ${(CATCH_UP / m).toFixed(0)} entries/s (${CATCH_UP_RUNS} runs)`)
  }
}

await main()
