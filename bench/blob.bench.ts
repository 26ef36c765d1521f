/**
 * Blob transfer throughput between two local libp2p nodes (TCP on 127.0.0.1, Noise, yamux, with
 * the private-network key on, as in production): a BLOB_MB MiB blob fetched with the default
 * chunk (1 MiB) and range (8 MiB) sizes, sha256 verified at the end. Prints MB/s per run and the
 * median of RUNS runs; each run fetches into a fresh data dir.
 * Run: node --import tsx bench/blob.bench.ts [MiB] [runs]
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { createPeerNode, type PeerNode } from '../src/node/mesh/libp2p-node.js'
import { createBlobStore } from '../src/node/blobs/blob-store.js'
import { createBlobSync } from '../src/node/blobs/blob-sync.js'
import { swarmKeyFromSecret } from '../src/protocol/swarm-key.js'

const BLOB_MB = Number(process.argv[2] ?? 100)
/** Timed runs; the median is reported. A 100 MiB run takes a few seconds on a laptop. */
const RUNS = Number(process.argv[3] ?? 5)

function median (xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function node (): Promise<PeerNode> {
  return await createPeerNode({
    privateKey: await generateKeyPair('Ed25519'),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    mdns: false,
    swarmKey: swarmKeyFromSecret('stratmesh benchmark secret')
  })
}

async function main (): Promise<void> {
  const dirs: string[] = []
  const tmp = async (): Promise<string> => { const d = await mkdtemp(join(tmpdir(), 'stratmesh-bench-')); dirs.push(d); return d }
  const server = await node()
  const serverStore = createBlobStore({ dataDir: await tmp() })
  const serverSync = createBlobSync({ node: server, blobStore: serverStore })
  await serverSync.start()
  const bytes = new Uint8Array(BLOB_MB * 1024 * 1024)
  // Incompressible-looking content; the transport does not compress, but be honest anyway.
  let x = 1
  for (let i = 0; i < bytes.length; i += 4) { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; bytes[i] = x; bytes[i + 1] = x >>> 8; bytes[i + 2] = x >>> 16; bytes[i + 3] = x >>> 24 }
  const hash = await serverStore.put(bytes)
  const rates: number[] = []
  try {
    for (let run = 0; run < RUNS; run++) {
      const client = await node()
      const store = createBlobStore({ dataDir: await tmp() })
      const sync = createBlobSync({ node: client, blobStore: store })
      await sync.start()
      await client.dial(server.getMultiaddrs()[0])
      const t0 = performance.now()
      const res = await sync.fetchBlob(hash, bytes.length, [server.peerId])
      const seconds = (performance.now() - t0) / 1000
      const rate = res.fetched / 1024 / 1024 / seconds
      rates.push(rate)
      console.log(`run ${run + 1}: ${BLOB_MB} MiB in ${seconds.toFixed(2)} s = ${rate.toFixed(1)} MiB/s`)
      await sync.stop()
      await client.stop()
      await rm(store.path(hash), { force: true })
    }
  } finally {
    await serverSync.stop()
    await server.stop()
    await Promise.all(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
  }
  console.log(`blob transfer, ${BLOB_MB} MiB between two local nodes: median ${median(rates).toFixed(1)} MiB/s over ${RUNS} runs (includes the final sha256 check)`)
}

await main()
