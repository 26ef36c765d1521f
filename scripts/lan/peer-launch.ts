/**
 * The one place that decides how the harness starts a peer and how it asks it things. Two ways:
 * - 'runner': scripts/lan/peer-runner.ts (createPeer plus the local API; takes a lease TTL, a
 *   clock offset and a test-only engine version, which the fault scenarios need);
 * - 'cli': the user's `peer start` from bin/peer.js (needs `npm run build`), queried with
 *   `peer status|results|submit --json` inside the namespace.
 * STRATMESH_LAN_LAUNCH=cli|runner forces one for a whole run; by default a LAN uses the CLI when it
 * is built and can do what the LAN asks (see defaultLaunch).
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type PeerLaunch = 'runner' | 'cli'

/** What `peer start`, peer-runner.ts and hostile-member.ts read the mesh secret from. */
export const SECRET_ENV = 'STRATMESH_SECRET'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))
const PEER_BIN = join(REPO_ROOT, 'bin', 'peer.js')
const BUILT_CLI = join(REPO_ROOT, 'dist', 'node', 'cli', 'main.js')
/** TypeScript entry points run through tsx. */
const TS_NODE_ARGS = ['--import', 'tsx']

export interface PeerStartSpec {
  readonly dataDir: string
  readonly name: string
  readonly secret: string
  readonly cpus: number
  readonly cacheMb?: number
  readonly leaseTtlMs?: number
  readonly clockOffsetMs?: number
  /** Test only: the engine bundle file the peer runs as its own instead of the one it was built with. */
  readonly engineBundleFile?: string
}

/**
 * STRATMESH_LAN_LAUNCH when set; otherwise the user's CLI wherever it can run this LAN (it is built
 * and nothing it lacks is asked for), else the runner.
 */
export function defaultLaunch (needs: Pick<PeerStartSpec, 'leaseTtlMs' | 'clockOffsetMs'> = {}): PeerLaunch {
  const env = process.env.STRATMESH_LAN_LAUNCH
  if (env === 'cli' || env === 'runner') return env
  return launchProblem('cli', needs) === undefined ? 'cli' : 'runner'
}

/** Why this launch cannot start a peer with this spec, or undefined when it can. */
export function launchProblem (launch: PeerLaunch, spec: Pick<PeerStartSpec, 'leaseTtlMs' | 'clockOffsetMs' | 'engineBundleFile'>): string | undefined {
  if (launch === 'runner') return undefined
  if (!existsSync(BUILT_CLI)) return 'the CLI is not built (run `npm run build`)'
  if (spec.leaseTtlMs !== undefined) return '`peer start` takes no lease TTL option'
  if (spec.clockOffsetMs !== undefined && spec.clockOffsetMs !== 0) return '`peer start` takes no clock offset'
  if (spec.engineBundleFile !== undefined) return '`peer start` runs the engine bundle it was built with'
  return undefined
}

/** The command (after `ip netns exec <ns>`) that runs one peer in the foreground; its secret goes by peerSecretEnv. */
export function peerArgv (launch: PeerLaunch, spec: PeerStartSpec): string[] {
  const problem = launchProblem(launch, spec)
  if (problem !== undefined) throw new Error(`cannot start a peer with launch '${launch}': ${problem}`)
  if (launch === 'cli') {
    // No --listen and no --bootstrap: the defaults (every interface, mDNS on) are what a user gets.
    const argv = [process.execPath, PEER_BIN, 'start', '--data-dir', spec.dataDir, '--name', spec.name, '--cpus', String(spec.cpus)]
    if (spec.cacheMb !== undefined) argv.push('--cache-mb', String(spec.cacheMb))
    return argv
  }
  const argv = [process.execPath, ...TS_NODE_ARGS, 'scripts/lan/peer-runner.ts', '--data-dir', spec.dataDir, '--name', spec.name, '--cpus', String(spec.cpus)]
  if (spec.cacheMb !== undefined) argv.push('--cache-mb', String(spec.cacheMb))
  if (spec.leaseTtlMs !== undefined) argv.push('--lease-ttl-ms', String(spec.leaseTtlMs))
  // One argument with '=': a negative offset given separately would read as an option (-25000).
  if (spec.clockOffsetMs !== undefined && spec.clockOffsetMs !== 0) argv.push(`--clock-offset-ms=${spec.clockOffsetMs}`)
  if (spec.engineBundleFile !== undefined) argv.push('--engine-bundle-for-test', spec.engineBundleFile)
  return argv
}

/**
 * The environment entries that give a peer started by peerArgv its secret: the secret goes by
 * STRATMESH_SECRET, never on the command line, where every user of the machine could read it.
 */
export function peerSecretEnv (spec: Pick<PeerStartSpec, 'secret'>): Record<string, string> {
  return { [SECRET_ENV]: spec.secret }
}

/** The host agent, which answers the harness's queries from inside the namespace. */
export function agentArgv (): string[] {
  return tsScriptArgv('scripts/lan/host-agent.ts')
}

/** Runs a TypeScript script of the repo (path relative to its root, which must be the cwd). */
export function tsScriptArgv (script: string, ...args: string[]): string[] {
  return [process.execPath, ...TS_NODE_ARGS, script, ...args]
}

/** How the agent asks the peer: the CLI's own commands when the peer is the CLI. */
export function queryVia (launch: PeerLaunch): 'api' | 'cli' {
  return launch === 'cli' ? 'cli' : 'api'
}
