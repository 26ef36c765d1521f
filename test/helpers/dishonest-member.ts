/**
 * An in-process mesh member for tests that commits wrong checkpoints: a real key, ledger and
 * replicator on 127.0.0.1, optionally with its clock offset (an hlc is its author's to choose),
 * stopped in `after`. The wrong checkpoints start from honest numbers computed here.
 */
import { after } from 'node:test'
import { pathToFileURL } from 'node:url'
import { evaluateGenome } from '../../src/engine/evaluate.js'
import { runUnit } from '../../src/engine/ga.js'
import { evalSetupFor } from '../../src/engine/job-setup.js'
import type { Checkpoint, JobSpec } from '../../src/protocol/job-spec.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import type { Candles } from '../../src/protocol/types.js'
import { loadOrCreateIdentity } from '../../src/node/mesh/identity.js'
import { createPeerNode } from '../../src/node/mesh/libp2p-node.js'
import { createLogStore, type LogStore } from '../../src/node/replication/log-store.js'
import { createReplicator } from '../../src/node/replication/replicator.js'
import { logStoreLog } from '../../src/node/replication/replicated-log.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { swarmKeyFromSecret } from '../../src/protocol/swarm-key.js'
import { tempDir } from './temp-dir.js'

export interface DishonestMember {
  readonly author: string
  /** Its listen address, with /p2p/<id>: give it to a peer as --bootstrap. */
  readonly addr: string
  readonly logStore: LogStore
  /** Dials a peer at this address (when the peer was started without knowing the member). */
  dial (addr: string): Promise<void>
  /** Commits `cp` for its unit; returns the checkpoint hash. */
  commit (cp: Checkpoint): Promise<string>
}

const stops: Array<() => Promise<void>> = []
after(async () => { for (const stop of stops.splice(0).reverse()) await stop().catch(() => {}) })

export async function startDishonestMember (secret: string, clockOffsetMs = 0): Promise<DishonestMember> {
  const dir = await tempDir('stratmesh-dishonest-')
  const { privateKey, peerId } = await loadOrCreateIdentity(dir.path)
  const node = await createPeerNode({ privateKey, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, swarmKey: swarmKeyFromSecret(secret) })
  const logStore = createLogStore({ dataDir: dir.path, privateKey, clock: () => Date.now() + clockOffsetMs })
  await logStore.start()
  const replicator = createReplicator({ node, log: logStoreLog(logStore) })
  await replicator.start()
  stops.push(async () => { await replicator.stop(); await logStore.stop(); await node.stop() })
  return {
    author: peerId.toString(),
    addr: node.getMultiaddrs()[0].toString(),
    logStore,
    async dial (addr) {
      const { multiaddr } = await import('@multiformats/multiaddr')
      await node.dial(multiaddr(addr))
    },
    async commit (cp) {
      const hash = canonicalHash(cp)
      await logStore.append('commit', { jobId: cp.jobId, island: cp.island, epoch: cp.epoch, checkpointHash: hash, checkpoint: cp })
      return hash
    },
  }
}

/** Unit (0, 0) of the job computed honestly here, with the real strategy module. */
export async function honestFirstUnit (spec: JobSpec, strategyPath: string, candles: Candles): Promise<Checkpoint> {
  const def = validateStrategyDefinition((await import(pathToFileURL(strategyPath).href) as { default: unknown }).default, strategyPath)
  const ctx = createStrategyContext(candles)
  const setup = evalSetupFor(spec, candles)
  return runUnit({ spec, island: 0, epoch: 0, previous: null, migrants: null }, { def, evaluate: p => evaluateGenome(def, ctx, p, setup) })
}
