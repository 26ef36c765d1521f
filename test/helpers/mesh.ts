import { after } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { PrivateKey } from '@libp2p/interface'
import { createPeerNode, type PeerNode } from '../../src/node/mesh/libp2p-node.js'
import { loadOrCreateIdentity } from '../../src/node/mesh/identity.js'
import { createLogStore, type LogStore } from '../../src/node/replication/log-store.js'
import { createReplicator, type Replicator, type ReplicatorInit } from '../../src/node/replication/replicator.js'
import { logStoreLog } from '../../src/node/replication/replicated-log.js'
import { swarmKeyFromSecret } from '../../src/protocol/swarm-key.js'
import { waitFor } from './wait-for.js'

/** Every test node listens on loopback only, on a port the OS picks; mDNS is never on in tests. */
export const LOOPBACK_LISTEN = ['/ip4/127.0.0.1/tcp/0']
export const TEST_SECRET = 'stratmesh test mesh secret'

export interface MeshPeer {
  node: PeerNode
  privateKey: PrivateKey
  dataDir: string
  /** Present when the mesh (or add) was asked for a ledger. */
  logStore?: LogStore
  replicator?: Replicator
}

/** A peer with a real LevelDB log store and a running replicator. */
export type LedgerPeer = MeshPeer & { logStore: LogStore, replicator: Replicator }

export type LedgerOptions = ReplicatorInit

export interface Mesh {
  peers: MeshPeer[]
  /** Starts one more peer (not connected to anyone), with a ledger if `ledger` is given. */
  add (ledger?: LedgerOptions): Promise<MeshPeer>
  /** Dials b from a and waits until both sides see the connection. */
  connect (a: MeshPeer, b: MeshPeer): Promise<void>
  /** Closes every connection between a and b. */
  disconnect (a: MeshPeer, b: MeshPeer): Promise<void>
  /** Registers a clean-up (stop a component, close a store) run before the nodes stop. */
  onStop (fn: () => Promise<void> | void): void
  /** Stops every replicator, store and node and deletes every data dir; also run by `after`. Idempotent. */
  stop (): Promise<void>
}

export interface MeshOptions {
  /** 'full' dials every pair (default), 'none' leaves the peers apart. */
  connect?: 'full' | 'none'
  /** Mesh secret for the private network; undefined runs without one. */
  secret?: string | undefined
  /** Give every peer a log store in its data dir and a replicator with these options. */
  ledger?: LedgerOptions
}

/** Starts n real libp2p nodes on 127.0.0.1 with temp data dirs, stopped in `after`. */
export async function createMesh (n: number, options: MeshOptions = {}): Promise<Mesh> {
  const peers: MeshPeer[] = []
  const secret = 'secret' in options ? options.secret : TEST_SECRET
  const swarmKey = secret === undefined ? undefined : swarmKeyFromSecret(secret)
  let stopped = false
  const cleanups: Array<() => Promise<void> | void> = []
  const dirs: string[] = []

  const mesh: Mesh = {
    peers,
    async add (ledger) {
      const dataDir = await mkdtemp(join(tmpdir(), 'stratmesh-test-'))
      dirs.push(dataDir)
      const { privateKey } = await loadOrCreateIdentity(dataDir)
      const node = await createPeerNode({ privateKey, listen: LOOPBACK_LISTEN, mdns: false, swarmKey })
      cleanups.push(async () => { await node.stop() })
      const peer: MeshPeer = { node, privateKey, dataDir }
      if (ledger !== undefined) {
        const logStore = createLogStore({ dataDir, privateKey })
        await logStore.start()
        cleanups.push(async () => { await logStore.stop() })
        const replicator = createReplicator({ node, log: logStoreLog(logStore) }, ledger)
        await replicator.start()
        cleanups.push(async () => { await replicator.stop() })
        peer.logStore = logStore
        peer.replicator = replicator
      }
      peers.push(peer)
      return peer
    },
    async connect (a, b) {
      // libp2p refuses more than 5 inbound connections a second from one host (a reset), and every
      // test peer is 127.0.0.1: a full mesh of 7 or more meets that limit, so a reset is dialled again
      // once the limiter's second has passed.
      for (let attempt = 1; ; attempt++) {
        try {
          await a.node.dial(b.node.getMultiaddrs()[0])
          break
        } catch (err) {
          if (attempt >= 3 || !String((err as Error).message).includes('ECONNRESET')) throw err
          await new Promise(resolve => setTimeout(resolve, 1_100))
        }
      }
      await waitFor(() => a.node.getConnections(b.node.peerId).length > 0 && b.node.getConnections(a.node.peerId).length > 0,
        { timeoutMs: 10_000, message: 'both ends to see the connection' })
    },
    async disconnect (a, b) {
      await a.node.hangUp(b.node.peerId)
      await waitFor(() => b.node.getConnections(a.node.peerId).length === 0, { timeoutMs: 10_000, message: 'the connection to close on both ends' })
    },
    onStop (fn) { cleanups.push(fn) },
    async stop () {
      if (stopped) return
      stopped = true
      // Newest first: replicators before their stores, stores and components before their nodes.
      for (const fn of cleanups.reverse()) {
        try { await fn() } catch (err) { console.error('mesh clean-up failed:', err) }
      }
      await Promise.allSettled(dirs.map(async d => { await rm(d, { recursive: true, force: true }) }))
    }
  }
  after(async () => { await mesh.stop() })
  for (let i = 0; i < n; i++) await mesh.add(options.ledger)
  if ((options.connect ?? 'full') === 'full') {
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) await mesh.connect(peers[i], peers[j])
  }
  return mesh
}

/** Narrows a peer to one with a ledger (throws if the mesh was made without one). */
export function ledgerPeer (peer: MeshPeer): LedgerPeer {
  if (peer.logStore === undefined || peer.replicator === undefined) throw new Error('this mesh peer has no ledger')
  return peer as LedgerPeer
}
