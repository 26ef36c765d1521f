/** The test LAN's shapes: its options and what a LAN and each of its hosts offer (lan.ts exports them). */
import type { PeerStatus, ResultsView, SubmitRequest, SubmitResult } from '../../src/node/peer-types.js'
import type { HostNet, LanNet } from './netns.js'
import type { LinkCounts, LinkShape } from './delay-link.js'
import type { PeerLaunch } from './peer-launch.js'

export interface LanOptions {
  /** Mesh secret every peer gets unless start() is given another. */
  readonly secret?: string
  /** Evaluators per peer (1: the box has 2 shared cores). */
  readonly cpus?: number
  /** Indicator cache of each evaluator in MiB (`peer start --cache-mb`); default: the peer's own sizing. */
  readonly cacheMb?: number
  /** How the agent asks a peer; default: the CLI's commands when the peer is the CLI. 'api' spares a process per query (the scale run's 30 peers). */
  readonly queryVia?: 'api' | 'cli'
  readonly leaseTtlMs?: number
  readonly launch?: PeerLaunch
  /** How long a starting peer has to answer (default PEER_START_TIMEOUT_MS); 30 peers starting on a shared box need more. */
  readonly startTimeoutMs?: number
  /** Keep the run directory (data dirs and logs) after destroy. */
  readonly keep?: boolean
  /** DEBUG for every peer (e.g. 'stratmesh:*,libp2p:mdns*'); its lines go to the peer's log. */
  readonly debug?: string
  /** Where harness events go (default: nowhere). */
  readonly log?: (line: string) => void
  /** Joins one host to the bridge by a slow, lossy link (delay and loss each way) instead of a veth. */
  readonly delayed?: DelayedHost
}

export interface DelayedHost extends LinkShape {
  /** Index of the host. */
  readonly host: number
}

export interface StartOptions {
  readonly secret?: string
  readonly clockOffsetMs?: number
  /** Test only (runner launch): the engine bundle file the peer runs as its own, as if built from another commit. */
  readonly engineBundleFile?: string
}

export interface LanHost {
  readonly index: number
  readonly name: string
  readonly net: HostNet
  readonly dataDir: string
  readonly logPath: string
  /** Pid of the running peer (its process group leader), undefined when none runs. */
  readonly pid: number | undefined
  readonly frozen: boolean
  /** Starts the peer and resolves once its local API answers. */
  start (opts?: StartOptions): Promise<void>
  /** Graceful stop (SIGTERM), killing the group if it does not end in time. */
  stop (): Promise<void>
  /** A crash: SIGKILL to the peer and its evaluators. The data dir stays for a restart. */
  kill (): Promise<void>
  /** The machine sleeps: every process of the peer is stopped where it is. */
  freeze (): void
  thaw (): void
  /** The cable is pulled: the host's bridge port goes down. */
  unplug (): Promise<void>
  plugIn (): Promise<void>
  setPacketLoss (percent: number): Promise<void>
  /** Whether a TCP connection from this host to `other` gets through right now. */
  reaches (other: LanHost): Promise<boolean>
  /** The TCP round trip from this host to `other`, in ms (the smallest of a few echoes). */
  roundTripMs (other: LanHost): Promise<number>
  /** Frames forwarded and dropped by this host's delay link (LAN_NO_DELAY_LINK when it has none). */
  linkCounts (): Promise<LinkCounts>
  status (): Promise<PeerStatus>
  results (job?: string, top?: number): Promise<ResultsView>
  submit (req: SubmitRequest): Promise<SubmitResult>
  /** The peer's log so far (all its runs on this data dir). */
  readLog (): Promise<string>
}

export interface Lan {
  readonly dir: string
  readonly net: LanNet
  readonly hosts: readonly LanHost[]
  readonly launch: PeerLaunch
  startAll (opts?: StartOptions): Promise<void>
  /** The last lines of every peer's log, for a failing test to print. */
  tails (lines?: number): Promise<string>
  /** Stops everything and removes the namespaces (and the run dir unless `keep`). Idempotent. */
  destroy (): Promise<void>
}
