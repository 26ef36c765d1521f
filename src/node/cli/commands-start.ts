/**
 * `peer start`: runs a peer in the foreground with the local API in front of it, a live progress
 * line, and a graceful stop on `peer stop`, SIGINT or SIGTERM (a second Ctrl-C forces the exit).
 * `--demo` also submits the bundled example strategy and prints its leaderboard when done.
 */
import { stat } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { EXIT_INTERRUPTED } from '../../protocol/error-codes.js'
import { StratmeshError } from '../../protocol/errors.js'
import { connectToPeer, createApiServer, type ApiServer, DEFAULT_TOP } from '../api/index.js'
import { START_LINK_TTL_MS } from '../dashboard/index.js'
import { SECRET_FILE } from '../mesh/index.js'
import type { Peer, PeerOptions } from '../peer.js'
import type { PeerControl, ResultsView } from '../peer-types.js'
import { describeSubmit } from './commands-submit.js'
import { resultsText, waitForStatistics } from './commands-results.js'
import { dataDirFrom, SECRET_ENV } from './options.js'
import { createProgressLine, progressText, type ProgressLine } from './progress.js'
import { checkDataDir, dataDirOrigin, givenSecret, makeDataDir, undoDataDir, type GivenSecret } from './start-inputs.js'

/** The live line is refreshed this often. */
export const PROGRESS_INTERVAL_MS = 1000
/** The demo checks whether its job is done this often. */
const DEMO_POLL_MS = 1000

/**
 * The demo's strategy: three levels up from src/node/cli and from dist/node/cli alike. RSI mean
 * reversion, because on the bundled one-minute data the trend followers lose after costs (best
 * of 40 random SMA-cross genomes: Sharpe -8.7; RSI reversion: +0.6 before any optimising), and a
 * first run that shows only losing strategies looks like a broken optimiser.
 */
export function demoStrategyPath (): string {
  return fileURLToPath(new URL('../../../strategies/rsi-reversion.ts', import.meta.url))
}

export interface StartOptions {
  readonly dataDir?: string
  readonly name?: string
  readonly cpus?: number
  readonly cacheMb?: number
  readonly listen?: string[]
  readonly bootstrap?: string[]
  readonly mdns?: boolean
  readonly secretFile?: string
  readonly apiPort?: number
  /** Seconds (the option's unit); the peer takes milliseconds. */
  readonly leaseTtl?: number
  readonly demo?: boolean
  readonly keepRunning?: boolean
}

function announce (peer: Peer, dataDir: string, name: string, api: ApiServer, progress: ProgressLine): void {
  progress.log(`peer ${name} ${peer.id}`)
  progress.log(`data dir ${dataDir}`)
  for (const a of peer.listenAddresses()) progress.log(`listening on ${a}`)
  progress.log(`local API on 127.0.0.1:${api.port}`)
  progress.log(`dashboard: ${api.dashboardUrl(START_LINK_TTL_MS)}`)
  progress.log('  (this link signs in one browser; `peer open` opens the dashboard with a new one)')
  if (peer.secretInfo.generated) {
    // The secret itself is not printed, nor a command holding it: a typed command stays in the
    // shell history, and this output may go to a log (a service's journal). It goes by the prompt,
    // or by a copy of the owner-only file; `$(cat …)` puts only the file's name in the history.
    const path = join(dataDir, SECRET_FILE)
    progress.log(`a new mesh secret was generated and saved in ${path} (readable by you only); to join your other machines to this mesh:`)
    progress.log(`  on a machine that has no mesh secret yet, run \`peer start\` and paste the secret when it asks (\`cat ${path}\` here shows it)`)
    progress.log(`  or copy the file there (e.g. \`scp -p ${path} <machine>:\`) and run \`peer start --secret-file mesh.secret\` (or ${SECRET_ENV}="$(cat mesh.secret)" peer start)`)
    progress.log('  where mDNS cannot see this machine, add --bootstrap <one of the addresses above>')
  }
}

export async function startCommand (opts: StartOptions): Promise<void> {
  const dataDir = dataDirFrom(opts)
  const origin = dataDirOrigin(opts)
  const progress = createProgressLine()
  const log = (line: string): void => { progress.log(line) }
  // Checked before anything is written: a broken install or a bad input leaves no files behind.
  await checkDataDir(dataDir, origin)
  const demoPath = opts.demo === true ? await checkedDemoStrategy() : undefined
  await refuseIfRunning(dataDir)
  const secret = await givenSecret(opts, dataDir)
  // Loaded here, not at the top: libp2p takes seconds to import, and only `start` needs it.
  const { createPeer } = await import('../peer.js')
  const created = await makeDataDir(dataDir, origin)
  let peer: Peer
  try {
    peer = await createPeer(peerOptions(opts, dataDir, secret, log))
    await peer.start()
  } catch (err) {
    await undoDataDir(created, err)
    throw err
  }

  const stop = new ForegroundStop(peer, progress, log)
  const unwatchSignals = watchSignals(stop)
  let announced = false
  try {
    const api = await startApi(peer, dataDir, opts.apiPort ?? 0, log, stop)
    announce(peer, dataDir, (await peer.status()).self.name, api, progress)
    announced = true
    stop.ticker = startProgressTicker(peer, progress, stop)
    if (demoPath !== undefined) await runDemoToEnd(peer, demoPath, opts.keepRunning === true, stop, progress, log)
    await peer.stopped()
    await stop.shutdown('the peer stopped')
  } catch (err) {
    // Never exit with a peer (and its evaluators) still running behind the error.
    await stop.shutdown(`error: ${(err as Error).message}`).catch(() => {})
    if (!announced) await undoDataDir(created, err)
    throw err
  } finally {
    unwatchSignals()
  }
}

async function checkedDemoStrategy (): Promise<string> {
  const demoPath = demoStrategyPath()
  await stat(demoPath).catch(err => { throw new StratmeshError('DEMO_STRATEGY_MISSING', `the bundled example strategy is missing: ${demoPath}`, { cause: err }) })
  return demoPath
}

/** The peer's options from the command's: only those given, the lease TTL in milliseconds. */
function peerOptions (opts: StartOptions, dataDir: string, secret: GivenSecret | undefined, log: (line: string) => void): PeerOptions {
  return {
    dataDir,
    mdns: opts.mdns !== false,
    log,
    ...(opts.name === undefined ? {} : { name: opts.name }),
    ...(opts.cpus === undefined ? {} : { cpus: opts.cpus }),
    ...(opts.cacheMb === undefined ? {} : { cacheMb: opts.cacheMb }),
    ...(opts.listen === undefined ? {} : { listen: opts.listen }),
    ...(opts.bootstrap === undefined ? {} : { bootstrap: opts.bootstrap }),
    ...(secret === undefined ? {} : { secret: secret.secret, secretFrom: secret.from }),
    ...(opts.leaseTtl === undefined ? {} : { leaseTtlMs: Math.round(opts.leaseTtl * 1000) }),
  }
}

/** The one graceful stop of a foreground peer, whoever asks first: `peer stop`, a signal, the demo, an error. */
class ForegroundStop {
  api: ApiServer | undefined
  ticker: NodeJS.Timeout | undefined
  private readonly peer: Peer
  private readonly progress: ProgressLine
  private readonly log: (line: string) => void
  private stopping: Promise<void> | undefined

  constructor (peer: Peer, progress: ProgressLine, log: (line: string) => void) {
    this.peer = peer
    this.progress = progress
    this.log = log
  }

  get requested (): boolean { return this.stopping !== undefined }

  shutdown (why: string): Promise<void> {
    this.stopping ??= (async () => {
      if (this.ticker !== undefined) clearInterval(this.ticker)
      this.progress.log(`stopping (${why}): releasing leases, ending evaluators`)
      try { await this.api?.stop() } catch (err) { this.log(`stopping the local API: ${(err as Error).message}`) }
      await this.peer.stop()
      this.progress.done()
      process.stderr.write('peer stopped\n')
    })()
    return this.stopping
  }
}

/** SIGINT and SIGTERM stop gracefully; a second one exits at once. Returns the undo. */
function watchSignals (stop: ForegroundStop): () => void {
  let signals = 0
  const onSignal = (sig: NodeJS.Signals): void => {
    signals++
    if (signals > 1) {
      process.stderr.write(`\n${sig} again: exiting without a graceful stop\n`)
      process.exit(EXIT_INTERRUPTED)
    }
    void stop.shutdown(sig)
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return () => {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

async function startApi (peer: Peer, dataDir: string, port: number, log: (line: string) => void, stop: ForegroundStop): Promise<ApiServer> {
  const control: PeerControl = {
    status: async () => await peer.status(),
    results: async (jobId, top) => await peer.results(jobId, top),
    submit: async req => await peer.submit(req),
    stop: async () => { await stop.shutdown('peer stop') },
  }
  const api = createApiServer({ control, dashboard: peer, backtest: peer, jobControl: peer, dataDir, port, log })
  stop.api = api
  try {
    await api.start()
  } catch (err) {
    await stop.shutdown('the local API could not start')
    throw err
  }
  return api
}

/** Refreshes the live line, one status at a time, until the stop begins. */
function startProgressTicker (peer: Peer, progress: ProgressLine, stop: ForegroundStop): NodeJS.Timeout {
  let busy = false
  return setInterval(() => {
    if (busy || stop.requested) return
    busy = true
    peer.status()
      .then(s => { if (!stop.requested) progress.update(progressText(s)) })
      .catch(() => {})
      .finally(() => { busy = false })
  }, PROGRESS_INTERVAL_MS)
}

/** Runs the demo job and prints its leaderboard; then stops the peer unless asked to keep it running. */
async function runDemoToEnd (peer: Peer, demoPath: string, keepRunning: boolean, stop: ForegroundStop, progress: ProgressLine, log: (line: string) => void): Promise<void> {
  const done = await runDemo(peer, demoPath, log, () => stop.requested)
  if (done === undefined) return
  if (!keepRunning) clearInterval(stop.ticker)
  progress.done()
  process.stdout.write(resultsText(done))
  if (!keepRunning) await stop.shutdown('demo complete')
  else log('demo complete; the peer keeps running (stop it with `peer stop` or Ctrl-C)')
}

/** A clearer message than the ledger's lock error when this data dir already has a live peer. */
async function refuseIfRunning (dataDir: string): Promise<void> {
  let pid: number
  try {
    pid = (await connectToPeer(dataDir)).info.pid
  } catch {
    return
  }
  if (pid === process.pid) return
  throw new StratmeshError('PEER_ALREADY_RUNNING', `a peer is already running with data dir ${dataDir} (pid ${pid}); stop it with \`peer stop\` or use another --data-dir`, { details: { dataDir, pid } })
}

/** Submits the example and waits for it; undefined when the peer is stopped first. */
async function runDemo (peer: Peer, strategyPath: string, log: (line: string) => void, stopped: () => boolean): Promise<ResultsView | undefined> {
  const submitted = await peer.submit({ strategyPath, data: 'default' })
  log(describeSubmit(submitted))
  log(`demo job ${submitted.jobId}: the leaderboard is printed when every unit is done`)
  for (;;) {
    if (stopped()) return undefined
    let r: ResultsView
    try {
      r = await peer.results(submitted.jobId, DEFAULT_TOP)
    } catch (err) {
      if (stopped()) return undefined
      throw err
    }
    if (r.done) return await waitForStatistics(peer, r, DEFAULT_TOP, DEMO_POLL_MS)
    await new Promise(resolve => setTimeout(resolve, DEMO_POLL_MS))
  }
}
