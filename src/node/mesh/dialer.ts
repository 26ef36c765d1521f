/**
 * Keeps a peer connected to every peer it knows of, for as long as it runs.
 *
 * libp2p 3 does not dial discovered peers by itself, emits `peer:discovery` only for a peer that
 * is new to its peer store, and its own reconnection gives up after a few minutes. A laptop that
 * sleeps for an hour, or a partition that heals, must still end in a full mesh, so this service
 * owns dialling: every peer it has seen (by mDNS, by a bootstrap address, or because it connected
 * to us) is re-dialled while disconnected, with exponential backoff capped at REDIAL_MAX_MS,
 * forever. A peer that refused our mesh secret is someone else's mesh: it is retried rarely.
 */
import type { Connection, ComponentLogger, Libp2pEvents, Logger, PeerId, PeerInfo, TypedEventTarget } from '@libp2p/interface'
import type { Multiaddr } from '@multiformats/multiaddr'

/** The first re-dial after a connection closed or a dial failed comes this soon. */
export const REDIAL_MIN_MS = 1_000

/**
 * The backoff between dials to a peer that does not answer doubles up to this cap, and stays
 * there: a machine that wakes up is dialled within this long even if it missed our mDNS queries.
 */
export const REDIAL_MAX_MS = 30_000

/**
 * A peer that failed the private-network check (another mesh secret) is dialled again only this
 * often: it may be a machine whose secret is being fixed, but it must not be hammered.
 */
export const REDIAL_FOREIGN_MS = 300_000

/** How often the dialer looks for peers due a dial. Dials themselves follow the backoff. */
export const REDIAL_TICK_MS = 1_000

/**
 * When two peers find each other at the same moment (mDNS answers both ways), the one with the
 * smaller peer id dials at once and the other waits this long, so one connection forms, not two.
 * The wait, not a refusal: if the first side cannot reach the second, the second still dials.
 */
export const DIAL_DEFER_MS = 3_000

/** At most this many peers are tracked; beyond it the least reachable is forgotten. */
export const MAX_DIAL_TARGETS = 1_024

/**
 * A peer met for the first time is dialled after a random wait of up to this long (on top of the
 * smaller-id rule's deferral): 30 peers that meet by mDNS at once would otherwise each open
 * about 15 connections (Noise handshakes, identify, gossipsub) in the same instant.
 */
export const FIRST_DIAL_JITTER_MS = 1_000

/**
 * Outgoing dials in flight at once; the others wait for a slot. Each dial costs a handshake's
 * CPU, and a 2-core machine running many peers has little of it to spare.
 */
export const MAX_CONCURRENT_DIALS = 4

export interface MeshDialerComponents {
  peerId: PeerId
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
  connectionManager: {
    openConnection: (peer: PeerId | Multiaddr, options?: { signal?: AbortSignal }) => Promise<Connection>
    getConnections: (peerId?: PeerId) => Connection[]
  }
}

export interface MeshDialerOptions {
  bootstrap: Multiaddr[]
  /**
   * Every discovery answer, also for peers already known (libp2p's own events fire only when
   * the peer store changes, so a peer seen again at the same address goes unnoticed there).
   */
  sightings?: EventTarget
  /** User-facing notices (a peer of another mesh is on the LAN). */
  notice?: (message: string) => void
  /**
   * Each dial is abandoned after this long. libp2p applies its own dial timeout only to dials
   * that bring no abort signal, and ours always do (so stop() can cancel them).
   */
  dialTimeoutMs: number
  /** Milliseconds now; tests may inject. */
  now?: () => number
  /** Uniform [0, 1) for the first dial's jitter; tests may inject. */
  random?: () => number
}

/** What the dialer knows about one peer or bootstrap address. */
interface Target {
  /** Set for a known peer; a bootstrap address learns it on its first successful dial. */
  peerId?: PeerId
  addr?: Multiaddr
  failures: number
  /** Not dialled before this time. */
  nextAt: number
  /** The last dial failed the private-network check. */
  foreign: boolean
  dialling: boolean
}

export interface DialerTargetView {
  peer?: string
  addr?: string
  failures: number
  foreign: boolean
  connected: boolean
  nextInMs: number
}

export class MeshDialer {
  private readonly components: MeshDialerComponents
  private readonly log: Logger
  private readonly notice: (message: string) => void
  private readonly now: () => number
  private readonly random: () => number
  private readonly dialTimeoutMs: number
  private dialsInFlight = 0
  /** Known peers by peer id string. */
  private readonly peers = new Map<string, Target>()
  /** Bootstrap addresses by their string form. */
  private readonly bootstrap = new Map<string, Target>()
  private timer: ReturnType<typeof setInterval> | undefined
  private controller = new AbortController()

  private readonly onDiscovery = (evt: CustomEvent<PeerInfo>): void => { this.sighted(evt.detail.id) }
  private readonly onConnect = (evt: CustomEvent<PeerId>): void => { this.connected(evt.detail) }
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => { this.disconnected(evt.detail) }
  private readonly onSighting = (evt: Event): void => { this.sighted((evt as CustomEvent<PeerInfo>).detail.id) }
  private readonly sightings: EventTarget | undefined

  constructor (components: MeshDialerComponents, options: MeshDialerOptions) {
    this.components = components
    this.log = components.logger.forComponent('stratmesh:mesh-dialer')
    this.notice = options.notice ?? (() => {})
    this.now = options.now ?? Date.now
    this.random = options.random ?? Math.random
    this.sightings = options.sightings
    this.dialTimeoutMs = options.dialTimeoutMs
    for (const addr of options.bootstrap) this.bootstrap.set(addr.toString(), { addr, failures: 0, nextAt: 0, foreign: false, dialling: false })
  }

  start (): void {
    this.controller = new AbortController()
    const events = this.components.events
    events.addEventListener('peer:discovery', this.onDiscovery)
    events.addEventListener('peer:connect', this.onConnect)
    events.addEventListener('peer:disconnect', this.onDisconnect)
    this.sightings?.addEventListener('peer', this.onSighting)
  }

  afterStart (): void {
    this.sweep()
    this.timer = setInterval(() => { this.sweep() }, REDIAL_TICK_MS)
    this.timer.unref()
  }

  stop (): void {
    const events = this.components.events
    events.removeEventListener('peer:discovery', this.onDiscovery)
    events.removeEventListener('peer:connect', this.onConnect)
    events.removeEventListener('peer:disconnect', this.onDisconnect)
    this.sightings?.removeEventListener('peer', this.onSighting)
    if (this.timer !== undefined) clearInterval(this.timer)
    this.timer = undefined
    this.controller.abort()
  }

  /**
   * After a sleep: every peer and bootstrap address not connected is due now (the backoff built
   * up while we were away says nothing about the network after waking). Foreign peers excepted.
   */
  wake (): void {
    const now = this.now()
    this.log('woke up: dialling every peer not connected')
    for (const t of this.targets()) {
      if (t.foreign) continue
      t.failures = 0
      t.nextAt = now
    }
    this.sweep()
  }

  /** For status and tests: what is known and when each is dialled next. */
  view (): DialerTargetView[] {
    const now = this.now()
    return [...this.targets()].map(t => ({
      ...(t.peerId === undefined ? {} : { peer: t.peerId.toString() }),
      ...(t.addr === undefined ? {} : { addr: t.addr.toString() }),
      failures: t.failures,
      foreign: t.foreign,
      connected: this.isConnected(t),
      nextInMs: Math.max(0, t.nextAt - now),
    }))
  }

  /** Dials every target that is due and not connected. */
  sweep (): void {
    const now = this.now()
    for (const t of this.targets()) {
      if (this.dialsInFlight >= MAX_CONCURRENT_DIALS) return
      if (t.dialling || t.nextAt > now || this.isConnected(t)) continue
      // A bootstrap address whose peer is also a known peer is dialled as that peer.
      if (t.addr !== undefined && t.peerId !== undefined && this.peers.has(t.peerId.toString())) continue
      this.dial(t)
    }
  }

  private * targets (): Iterable<Target> {
    yield * this.bootstrap.values()
    yield * this.peers.values()
  }

  private isConnected (t: Target): boolean {
    return t.peerId !== undefined && this.components.connectionManager.getConnections(t.peerId).length > 0
  }

  /**
   * Seen: found by discovery (each mDNS answer, not only the first) or announced in the ledger.
   * A new peer is tracked from now on; a known one is due for a dial soon.
   */
  sighted (peerId: PeerId): void {
    if (peerId.equals(this.components.peerId)) return
    const key = peerId.toString()
    const now = this.now()
    const known = this.peers.get(key)
    if (known === undefined) {
      const jitter = Math.round(this.random() * FIRST_DIAL_JITTER_MS)
      this.track(key, { peerId, failures: 0, nextAt: now + this.deferFor(peerId) + jitter, foreign: false, dialling: false })
      this.sweep()
      return
    }
    // It answered on the network just now, so it is awake: do not sit out the backoff.
    if (!known.foreign && known.nextAt > now + REDIAL_MIN_MS && !this.isConnected(known)) {
      known.nextAt = now + this.deferFor(peerId)
    }
  }

  private connected (peerId: PeerId): void {
    const key = peerId.toString()
    const t = this.peers.get(key)
    if (t === undefined) this.track(key, { peerId, failures: 0, nextAt: 0, foreign: false, dialling: false })
    else {
      t.failures = 0
      t.foreign = false
    }
  }

  private disconnected (peerId: PeerId): void {
    const t = this.peers.get(peerId.toString())
    if (t === undefined || t.foreign) return
    // Both ends notice a dropped connection; the deferral keeps them from dialling each other at once.
    t.nextAt = this.now() + REDIAL_MIN_MS + this.deferFor(peerId)
    this.log('lost %p; dialling again in %d ms', peerId, t.nextAt - this.now())
  }

  /** Zero for the side that dials first (the smaller peer id), DIAL_DEFER_MS for the other. */
  private deferFor (peerId: PeerId): number {
    return this.components.peerId.toString() < peerId.toString() ? 0 : DIAL_DEFER_MS
  }

  private track (key: string, t: Target): void {
    if (this.peers.size >= MAX_DIAL_TARGETS) {
      let worst: [string, Target] | undefined
      for (const entry of this.peers) {
        if (this.isConnected(entry[1])) continue
        if (worst === undefined || entry[1].failures > worst[1].failures) worst = entry
      }
      if (worst === undefined) return
      this.peers.delete(worst[0])
    }
    this.peers.set(key, t)
  }

  private dial (t: Target): void {
    const target = t.addr ?? t.peerId
    if (target === undefined) return
    t.dialling = true
    this.dialsInFlight++
    this.log('dialling %s', String(target))
    const signal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.dialTimeoutMs)])
    this.components.connectionManager.openConnection(target, { signal })
      // A freed dial slot goes to the next peer due now, not at the next sweep.
      .finally(() => { this.dialsInFlight--; if (!this.controller.signal.aborted) queueMicrotask(() => { this.sweep() }) })
      .then(conn => {
        this.log('connected to %p by dialling %s', conn.remotePeer, String(target))
        t.dialling = false
        t.failures = 0
        t.foreign = false
        if (t.addr !== undefined) t.peerId = conn.remotePeer
      })
      .catch((err: unknown) => {
        t.dialling = false
        if (this.controller.signal.aborted) return
        t.failures++
        const foreign = isForeignMesh(err)
        if (foreign && !t.foreign) this.notice(`${t.addr?.toString() ?? t.peerId?.toString() ?? 'a peer'} is on this network but not on our mesh (different mesh secret); not admitted`)
        t.foreign = foreign
        t.nextAt = this.now() + backoff(t.failures, foreign)
        this.log('dial %s failed (%d in a row, next in %d ms): %s', String(target), t.failures, t.nextAt - this.now(), describe(err))
      })
  }
}

/** Exponential backoff with ±20 % jitter so peers that lost each other do not dial in lockstep. */
export function backoff (failures: number, foreign: boolean): number {
  const base = foreign ? REDIAL_FOREIGN_MS : Math.min(REDIAL_MAX_MS, REDIAL_MIN_MS * 2 ** Math.min(failures - 1, 16))
  return Math.round(base * (0.8 + 0.4 * Math.random()))
}

/** True when a dial error, anywhere in its cause chain, is the private-network key mismatch. */
export function isForeignMesh (err: unknown): boolean {
  const seen = new Set<unknown>()
  const walk = (e: unknown, depth: number): boolean => {
    if (e === null || typeof e !== 'object' || seen.has(e) || depth > 8) return false
    seen.add(e)
    const { code, name, cause, errors } = e as { code?: unknown, name?: unknown, cause?: unknown, errors?: unknown }
    if (code === 'SWARM_KEY_MISMATCH' || name === 'SWARM_KEY_MISMATCH') return true
    if (walk(cause, depth + 1)) return true
    return Array.isArray(errors) && errors.some(inner => walk(inner, depth + 1))
  }
  return walk(err, 0)
}

function describe (err: unknown): string {
  if (err instanceof Error) return err.message
  if (err !== null && typeof err === 'object' && 'type' in err) return `event ${String((err as { type: unknown }).type)}`
  return String(err)
}
