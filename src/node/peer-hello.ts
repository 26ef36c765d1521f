/**
 * Members announce themselves in a hello entry (runtime fingerprint and isolate interface, cores,
 * name, addresses), and
 * learn each other's addresses from theirs. A peer that met the mesh through one bootstrap peer
 * (no mDNS across a VPN) learns the others from the ledger and dials them, so the mesh does not
 * hang on that one peer.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import type { HelloBody } from '../protocol/entry-bodies.js'
import { MAX_HELLO_ADDRS, MAX_HELLO_ADDR_CHARS } from '../protocol/limits.js'
import { peers as helloPeers } from '../ledger/queries.js'
import type { PeerNode } from './mesh/index.js'
import type { LogStore } from './replication/index.js'
import type { PeerEvents } from './peer-events.js'

/** The multiaddr protocol code of /p2p/<peer id>. */
const P2P_CODE = 421

export interface HelloComponents {
  readonly node: Pick<PeerNode, 'getMultiaddrs' | 'getConnections' | 'peerStore' | 'services'>
  readonly logStore: Pick<LogStore, 'state' | 'append'>
  readonly events: PeerEvents
  readonly log: (line: string) => void
}

export interface HelloInit {
  readonly self: string
  /** The runtime fingerprint of this peer's own engine bundle, and the isolate interface its evaluators speak. */
  readonly fingerprint: string
  readonly isolateInterface: number
  readonly cores: number
  readonly name: string
}

export interface Hello {
  /** Appends our hello unless the ledger already has one saying the same; then learns the members' addresses. */
  start (): Promise<void>
  stop (): void
}

function sameList (a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

class LedgerHello implements Hello {
  private unsubscribe: (() => void) | undefined

  constructor (private readonly components: HelloComponents, private readonly init: HelloInit) {}

  async start (): Promise<void> {
    await this.sayHello()
    const { events, logStore } = this.components
    this.unsubscribe = events.on('entry', ev => { if (ev.entry.type === 'hello') this.learnAddresses(ev.entry.author, (ev.entry.body as HelloBody).addrs) })
    for (const p of helloPeers(logStore.state())) this.learnAddresses(p.author, p.addrs)
  }

  stop (): void {
    this.unsubscribe?.()
    this.unsubscribe = undefined
  }

  private async sayHello (): Promise<void> {
    const { fingerprint, isolateInterface, cores, name, self } = this.init
    const mine = helloPeers(this.components.logStore.state()).find(p => p.author === self)
    const addrs = this.helloAddrs()
    if (mine !== undefined && mine.fingerprint === fingerprint && mine.isolateInterface === isolateInterface && mine.cores === cores && mine.name === name && sameList(mine.addrs ?? [], addrs)) return
    await this.components.logStore.append('hello', { fingerprint, isolateInterface, cores, name, addrs })
  }

  /** The addresses other members may dial us at (as announced: no loopback when there is more). */
  private helloAddrs (): string[] {
    return this.components.node.getMultiaddrs().map(a => a.toString()).filter(a => a.length <= MAX_HELLO_ADDR_CHARS).sort().slice(0, MAX_HELLO_ADDRS)
  }

  /** Addresses go to the peer store; the dialer does the rest. */
  private learnAddresses (author: string, addrs: readonly string[] | undefined): void {
    if (author === this.init.self || addrs === undefined || addrs.length === 0) return
    const { node } = this.components
    let peerId
    try { peerId = peerIdFromString(author) } catch { return }
    if (node.getConnections(peerId).length > 0) return
    const multiaddrs = []
    for (const a of addrs) {
      try { multiaddrs.push(multiaddr(a).decapsulateCode(P2P_CODE)) } catch {}
    }
    if (multiaddrs.length === 0) return
    node.peerStore.merge(peerId, { multiaddrs })
      .then(() => { node.services.meshDialer.sighted(peerId) })
      .catch(err => { this.components.log(`addresses of ${author.slice(-8)}: ${(err as Error).message}`) })
  }
}

export function createHello (components: HelloComponents, init: HelloInit): Hello {
  return new LedgerHello(components, init)
}
