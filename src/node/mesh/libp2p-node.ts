import { createRequire } from 'node:module'
import { createLibp2p } from 'libp2p'
import { tcp } from '@libp2p/tcp'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@libp2p/yamux'
import { identify, type Identify } from '@libp2p/identify'
import { ping, type Ping } from '@libp2p/ping'
import { mdns } from '@libp2p/mdns'
import { preSharedKey } from '@libp2p/pnet'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr'
import { Uint8ArrayList } from 'uint8arraylist'
import type { AbortOptions, ConnectionProtector, Libp2p, MessageStream, PeerDiscovery, PrivateKey, StreamCloseEvent, StreamMessageEvent } from '@libp2p/interface'
import { StratmeshError } from '../../protocol/errors.js'
import { MeshDialer, type MeshDialerComponents } from './dialer.js'

/** Listen on every IPv4 interface, on a port the OS picks, unless told otherwise. */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0']

/**
 * A dial gives up after this long. Peers are on one LAN or VPN: a healthy handshake takes
 * milliseconds, and a dial with the wrong swarm key must fail fast rather than hang (the default
 * of libp2p is tuned for the open internet).
 */
export const DIAL_TIMEOUT_MS = 5_000

/** How long the private-network nonce exchange may take before the connection is dropped. */
export const PNET_HANDSHAKE_TIMEOUT_MS = 2_000

export interface PeerNodeOptions {
  privateKey: PrivateKey
  /** Multiaddrs to listen on; default DEFAULT_LISTEN. Tests use /ip4/127.0.0.1/tcp/0. */
  listen?: string[]
  /** Multiaddrs of peers to dial at start and re-dial when the connection drops. */
  bootstrap?: string[]
  /** Discover peers on the LAN by multicast DNS. Never on in tests (it talks to the real LAN). */
  mdns: boolean
  /** A private-network key (swarmKeyFromSecret): peers without the same key cannot connect. */
  swarmKey?: Uint8Array
  /** User-facing notices from the network layer (e.g. a peer of another mesh on the LAN). */
  notice?: (message: string) => void
}

// A type alias, not an interface: libp2p's ServiceMap needs an index signature.
export type PeerServices = {
  identify: Identify
  ping: Ping
  pubsub: GossipSub
  meshDialer: MeshDialer
}

export type PeerNode = Libp2p<PeerServices>

/** Creates and starts a libp2p node with the stratmesh stack (TCP, Noise, yamux, gossipsub). */
export async function createPeerNode (options: PeerNodeOptions): Promise<PeerNode> {
  if (options.swarmKey !== undefined) repairPnetCipherMemory()
  const bootstrap = (options.bootstrap ?? []).map(parseMultiaddr)
  // mDNS answers every few seconds; the dialer hears each one, not only a peer's first.
  const sightings = new EventTarget()
  try {
    return await createLibp2p<PeerServices>({
      privateKey: options.privateKey,
      addresses: { listen: options.listen ?? DEFAULT_LISTEN, announceFilter: withoutLoopback },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionManager: { dialTimeout: DIAL_TIMEOUT_MS },
      ...(options.swarmKey === undefined ? {} : { connectionProtector: confirmedPreSharedKey(options.swarmKey) }),
      peerDiscovery: options.mdns ? [withSightings(mdns(), sightings)] : [],
      services: {
        identify: identify(),
        ping: ping(),
        // A peer alone on the mesh still appends to its ledger: publishing to nobody is normal.
        // No gossipsub envelope signatures: every ledger entry carries its author's signature and
        // is verified on receipt, connections are authenticated by Noise and the swarm key, and
        // signing plus verifying each envelope doubled the CPU cost per replicated entry. Message
        // ids are then the hash of the content, so identical messages deduplicate.
        pubsub: gossipsub({ allowPublishToZeroTopicPeers: true, emitSelf: false, globalSignaturePolicy: 'StrictNoSign' }),
        meshDialer: (components: MeshDialerComponents) => new MeshDialer(components, { bootstrap, sightings, dialTimeoutMs: DIAL_TIMEOUT_MS, ...(options.notice === undefined ? {} : { notice: options.notice }) })
      }
    })
  } catch (err) {
    throw new StratmeshError('NODE_START_FAILED', `libp2p node failed to start: ${(err as Error).message}`, { cause: err })
  }
}

/** Wraps a discovery service so that each of its `peer` events is also sent to `sightings`. */
function withSightings<C> (factory: (components: C) => PeerDiscovery, sightings: EventTarget): (components: C) => PeerDiscovery {
  return (components) => {
    const service = factory(components)
    service.addEventListener('peer', evt => { sightings.dispatchEvent(new CustomEvent('peer', { detail: evt.detail })) })
    return service
  }
}

/**
 * The addresses we tell other peers (identify, mDNS): loopback ones only when there is nothing
 * else, as on a test node listening on 127.0.0.1. A peer on another machine that dials our
 * 127.0.0.1 reaches itself, and mDNS would otherwise announce them to the whole LAN.
 */
export function withoutLoopback (addrs: Multiaddr[]): Multiaddr[] {
  const outside = addrs.filter(a => !isLoopback(a))
  return outside.length > 0 ? outside : addrs
}

function isLoopback (addr: Multiaddr): boolean {
  const first = addr.getComponents()[0]
  if (first === undefined) return false
  if (first.name === 'ip4') return first.value?.startsWith('127.') === true
  if (first.name === 'ip6') return first.value === '::1' || first.value === '0:0:0:0:0:0:0:1'
  return false
}

function parseMultiaddr (addr: string): Multiaddr {
  try {
    return multiaddr(addr)
  } catch (err) {
    throw new StratmeshError('NODE_BAD_ADDRESS', `not a multiaddr: ${addr}`, { cause: err, details: { addr } })
  }
}

/** Sent by both ends right after the pnet nonce exchange; see confirmedPreSharedKey. */
const KEY_CONFIRMATION = new TextEncoder().encode('stratmesh/psk-ok')

/**
 * @libp2p/pnet with key confirmation. With different keys pnet's nonce exchange succeeds and
 * both ends then read noise from each other; depending on what that noise decodes to, the next
 * handshake fails at once or waits for bytes that never come until the dial times out. Each end
 * here sends a fixed token through the encrypted stream and checks the one it receives, so a
 * wrong mesh secret fails within one round trip, always, with SWARM_KEY_MISMATCH. The token
 * reveals nothing: it only consumes the first bytes of a keystream unique to the connection.
 * Only a whole token that differs is a mismatch: each end sends its token before reading the
 * other's, so a peer of another mesh always delivers one. A connection that closes or times out
 * first is a member that is slow (a starved event loop drops the handshake on its own timeout) or
 * going away, and the dialer must retry it with the ordinary backoff, not set it aside for minutes.
 */
function confirmedPreSharedKey (psk: Uint8Array): () => ConnectionProtector {
  const inner = preSharedKey({ psk, timeout: PNET_HANDSHAKE_TIMEOUT_MS })
  return () => {
    const protector = inner()
    return {
      async protect (connection: MessageStream, options?: AbortOptions): Promise<MessageStream> {
        const secured = await protector.protect(connection, options)
        const timeout = AbortSignal.timeout(PNET_HANDSHAKE_TIMEOUT_MS)
        const signal = options?.signal === undefined ? timeout : AbortSignal.any([options.signal, timeout])
        secured.send(KEY_CONFIRMATION)
        const got = await readExactly(secured, KEY_CONFIRMATION.length, signal)
        if (!got.every((b, i) => b === KEY_CONFIRMATION[i])) {
          const err = new StratmeshError('SWARM_KEY_MISMATCH', 'the peer is not on our private mesh (different mesh secret)')
          secured.abort(err)
          throw err
        }
        return secured
      }
    }
  }
}

/** Reads exactly `n` bytes from a message stream, handing any surplus back to the stream. */
async function readExactly (stream: MessageStream, n: number, signal: AbortSignal): Promise<Uint8Array> {
  return await new Promise((resolve, reject) => {
    const buf = new Uint8ArrayList()
    const timedOut = (): StratmeshError => new StratmeshError('SWARM_KEY_TIMEOUT', `no private-network confirmation within ${PNET_HANDSHAKE_TIMEOUT_MS} ms`)
    const cleanup = (): void => {
      stream.removeEventListener('message', onMessage)
      stream.removeEventListener('close', onClose)
      signal.removeEventListener('abort', onAbort)
    }
    const onMessage = (evt: StreamMessageEvent): void => {
      buf.append(evt.data)
      if (buf.byteLength < n) return
      cleanup()
      if (buf.byteLength > n) stream.unshift(buf.sublist(n))
      resolve(buf.subarray(0, n))
    }
    const onClose = (evt: StreamCloseEvent): void => {
      cleanup()
      // Our own timeout closes the connection too, and that close may be seen before the abort.
      if (signal.aborted) { reject(timedOut()); return }
      reject(new StratmeshError('SWARM_KEY_UNCONFIRMED', `connection closed during the private-network handshake, after ${buf.byteLength} of ${n} confirmation bytes`, { cause: evt.error }))
    }
    const onAbort = (): void => {
      cleanup()
      const err = timedOut()
      stream.abort(err)
      reject(err)
    }
    if (signal.aborted) { onAbort(); return }
    stream.addEventListener('message', onMessage)
    stream.addEventListener('close', onClose)
    signal.addEventListener('abort', onAbort)
  })
}

interface XorCipher {
  _memory: Uint8Array
  realloc: (size: number) => void
  update: (input: Uint8Array, output: Uint8Array) => void
}
let cipherRepaired = false

/**
 * @libp2p/pnet encrypts with the `xsalsa20` package. Its WebAssembly build keeps one memory for
 * every cipher instance but caches a view of that memory per instance. Once one instance grows
 * the memory (a single write above ~640 KiB, routine in a bulk transfer), every other instance
 * holds a detached view of length 0 and grows the memory again on its next write, however small;
 * within a few dozen writes the 64 MiB maximum is reached and the connection dies with
 * "WebAssembly.Memory.grow(): Maximum memory size exceeded". Pointing a stale view at the
 * current memory before each write removes the leak. Exported for its regression test.
 */
export function repairPnetCipherMemory (): void {
  if (cipherRepaired) return
  cipherRepaired = true
  const xsalsa20 = createRequire(import.meta.url)('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => { _xor: XorCipher, finalize: () => void }
  const probe = xsalsa20(new Uint8Array(24), new Uint8Array(32))
  const proto = Object.getPrototypeOf(probe._xor) as XorCipher
  const wasm = probe._xor._memory instanceof Uint8Array
  probe.finalize()
  // The pure-JS fallback (no WebAssembly) has no shared memory and needs no repair.
  if (typeof proto.realloc !== 'function' || !wasm) return
  let current: Uint8Array | undefined
  const realloc = proto.realloc
  const update = proto.update
  proto.realloc = function (this: XorCipher, size: number) {
    realloc.call(this, size)
    current = this._memory
  }
  proto.update = function (this: XorCipher, input: Uint8Array, output: Uint8Array) {
    if (current !== undefined && this._memory.buffer !== current.buffer) this._memory = current
    update.call(this, input, output)
  }
}
