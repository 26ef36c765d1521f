/**
 * Every option and command of `peer`, declared once. main.ts builds the commander program from
 * these tables, and `commandReference()` renders them as the README's command reference, so help
 * and docs cannot drift apart.
 */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { multiaddr } from '@multiformats/multiaddr'
import { StratmeshError } from '../../protocol/errors.js'
import { MAX_CORES, MAX_LEASE_TTL_MS, MAX_PEER_NAME_CHARS, MIN_LEASE_TTL_MS, DEFAULT_JOB_PRIORITY, MAX_JOB_PRIORITY, MIN_JOB_PRIORITY } from '../../protocol/limits.js'
import { DEFAULT_BASKET_AGGREGATE, DEFAULT_GA, DEFAULT_MIN_TRADES, DEFAULT_OOS_FRACTION } from '../../engine/job-setup.js'
import { JOB_LIMITS, MAX_COST, MAX_OOS_FRACTION, MAX_WALK_FORWARD_WINDOWS } from '../../protocol/job-spec-check.js'
import { DEFAULT_TRAIN_TEST_RATIO, DEFAULT_WALK_FORWARD_WINDOWS, parseWindowLength, WALK_FORWARD_MODES } from '../../engine/walk-forward.js'
import { OBJECTIVES } from '../../protocol/types.js'
import { parseTimeframe } from '../../engine/data/timeframe.js'
import { BASKET_AGGREGATES } from '../../protocol/job-spec.js'
import { DEFAULT_TOP, MAX_TOP } from '../api/index.js'
import { MAX_CACHE_MB_OPTION } from '../evaluators/index.js'
import { DEFAULT_LEASE_TTL_MS } from '../work/index.js'
import { DEFAULT_FETCH_DAYS } from '../data-fetch/index.js'

export const DATA_DIR_ENV = 'STRATMESH_DATA_DIR'
export const SECRET_ENV = 'STRATMESH_SECRET'

/** `$STRATMESH_DATA_DIR`, else `~/.stratmesh`. */
export function defaultDataDir (env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[DATA_DIR_ENV]
  return fromEnv !== undefined && fromEnv !== '' ? fromEnv : join(homedir(), '.stratmesh')
}

/** OPTION_INVALID naming the option, the problem and the value given. */
export function invalid (flag: string, problem: string, value: string): StratmeshError {
  return new StratmeshError('OPTION_INVALID', `${flag} ${problem}, got '${value}'`, { details: { option: flag, value } })
}

/** A value parser for an integer option in [lo, hi], naming the option when the value is not one. */
export function intIn (flag: string, lo: number, hi: number): (value: string) => number {
  return value => {
    const n = /^[-+]?\d+$/.test(value.trim()) ? Number(value) : NaN
    if (!Number.isSafeInteger(n) || n < lo || n > hi) throw invalid(flag, `must be an integer in [${lo}, ${hi}]`, value)
    return n
  }
}

export function realIn (flag: string, lo: number, hi: number): (value: string) => number {
  return value => {
    const n = value.trim() === '' ? NaN : Number(value)
    if (!Number.isFinite(n) || n < lo || n > hi) throw invalid(flag, `must be a number in [${lo}, ${hi}]`, value)
    return n
  }
}

/** A walk-forward length, checked here and resolved by the peer against the data. */
function windowLength (flag: string): (value: string) => string {
  return value => {
    try {
      parseWindowLength(value, flag)
    } catch {
      throw invalid(flag, 'must be a fraction of the data between 0 and 1 (0.2) or a duration (90d, 12w, 36h, 30m)', value)
    }
    return value
  }
}

/** A timeframe, checked here for its form; the peer checks it against the data's bar step. */
function timeframeOption (flag: string): (value: string) => string {
  return value => {
    if (parseTimeframe(value) === null) throw invalid(flag, 'must be a whole number of s, m, h, d or w (15m, 1h, 4h, 1d, 1w)', value)
    return value
  }
}

function oneOf (flag: string, allowed: readonly string[]): (value: string) => string {
  return value => {
    if (!allowed.includes(value)) throw invalid(flag, `must be one of ${allowed.join(', ')}`, value)
    return value
  }
}

/** A JSON object given on the command line (`--params`). */
function jsonObject (flag: string): (value: string) => Record<string, unknown> {
  return value => {
    let v: unknown
    try { v = JSON.parse(value) } catch (err) { throw invalid(flag, `must be a JSON object (${(err as Error).message})`, value) }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalid(flag, 'must be a JSON object like {"fast":10}', value)
    return v as Record<string, unknown>
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?)?$/

/** A date as milliseconds since the epoch: ISO 8601 (UTC unless it names a zone) or a number of milliseconds. */
export function dateOption (flag: string): (value: string) => number {
  return value => {
    const v = value.trim()
    let ms = NaN
    if (/^\d{1,15}$/.test(v)) ms = Number(v)
    else if (ISO_DATE.test(v)) ms = Date.parse(/T/.test(v) && !/(Z|[+-]\d{2}:\d{2})$/.test(v) ? `${v}Z` : v)
    if (!Number.isFinite(ms)) throw invalid(flag, 'must be a date like 2024-03-01 or 2024-03-01T12:00Z (UTC unless a zone is given), or milliseconds since 1970', value)
    return ms
  }
}

function text (flag: string, maxChars: number): (value: string) => string {
  return value => {
    if (value.trim() === '' || value.length > maxChars) throw invalid(flag, `must be 1 to ${maxChars} characters`, value)
    return value
  }
}

/**
 * A multiaddr this peer can listen on: ip4 or ip6, then tcp and a port (its only transport).
 * Checked while the command line is read, so a typo fails before the data dir is touched.
 */
function listenAddress (flag: string): (value: string) => string {
  return value => {
    let names: string[]
    try {
      names = multiaddr(value).getComponents().map(c => c.name)
    } catch (err) {
      throw invalid(flag, `must be a multiaddr like /ip4/0.0.0.0/tcp/4001 (${(err as Error).message})`, value)
    }
    if (names.length !== 2 || (names[0] !== 'ip4' && names[0] !== 'ip6') || names[1] !== 'tcp') {
      throw invalid(flag, 'must be an ip4 or ip6 address and a tcp port, like /ip4/0.0.0.0/tcp/4001', value)
    }
    return value
  }
}

export interface OptionSpec {
  /** Commander flags: `--islands <n>`; `<x...>` takes several values. */
  readonly flags: string
  readonly description: string
  /** Checks and converts the value; throws OPTION_INVALID naming the flag. */
  readonly parse?: (value: string) => unknown
  /** An option given several times collects every value in an array. */
  readonly repeatable?: boolean
  /** Environment variable read when the flag is absent. */
  readonly env?: string
  /** Shown in help and docs; the value itself is applied by the command (or the peer). */
  readonly defaultText?: string
}

/** Every option of every command. Commands refer to them by key. */
export const OPTIONS = {
  dataDir: { flags: '--data-dir <dir>', description: 'where this peer keeps its identity, ledger and blobs', env: DATA_DIR_ENV, defaultText: '~/.stratmesh' },
  name: { flags: '--name <name>', description: 'name shown to other peers', parse: text('--name', MAX_PEER_NAME_CHARS), defaultText: 'the host name' },
  cpus: { flags: '--cpus <n>', description: 'evaluator processes to run (cores to use)', parse: intIn('--cpus', 1, MAX_CORES), defaultText: 'one per core, fewer where they do not fit in half the memory' },
  cacheMb: { flags: '--cache-mb <n>', description: 'indicator cache of each evaluator process, in MiB (0: none); results do not depend on it', parse: intIn('--cache-mb', 0, MAX_CACHE_MB_OPTION), defaultText: 'sized with the evaluator count so the peer stays under half the memory, 64 to 1024 each' },
  listen: { flags: '--listen <addr>', description: 'multiaddr to listen on (repeatable)', parse: listenAddress('--listen'), repeatable: true, defaultText: '/ip4/0.0.0.0/tcp/0' },
  bootstrap: { flags: '--bootstrap <addr...>', description: 'multiaddrs of peers to dial (for peers mDNS cannot see)' },
  noMdns: { flags: '--no-mdns', description: 'do not discover peers on the local network by mDNS' },
  secretFile: { flags: '--secret-file <path>', description: 'a file holding the mesh secret shared by all your machines, readable by you only (mode 0600)', defaultText: `$${SECRET_ENV}, else the one stored in the data dir, else asked for on a terminal, else a new one` },
  apiPort: { flags: '--api-port <port>', description: 'port of the local API on 127.0.0.1', parse: intIn('--api-port', 0, 65535), defaultText: 'any free port' },
  leaseTtl: { flags: '--lease-ttl <seconds>', description: 'how long a claim on a work unit lasts unless renewed: how soon the others take over the units of a peer that stops answering; mainly for testing', parse: realIn('--lease-ttl', MIN_LEASE_TTL_MS / 1000, MAX_LEASE_TTL_MS / 1000), defaultText: String(DEFAULT_LEASE_TTL_MS / 1000) },
  demo: { flags: '--demo', description: 'also submit the bundled example strategy on the bundled data, show the leaderboard, then stop' },
  keepRunning: { flags: '--keep-running', description: 'with --demo: keep the peer running after the demo' },
  data: { flags: '--data <csv>', description: "candle file (CSV or JSON), or 'default' for the bundled dataset; give it several times, or give a folder (its CSV and JSON files, by name), for a job over several symbols", repeatable: true, defaultText: 'default' },
  aggregate: { flags: '--aggregate <how>', description: `how a job over several symbols combines their fitness: ${BASKET_AGGREGATES.join(', ')}`, parse: oneOf('--aggregate', BASKET_AGGREGATES), defaultText: DEFAULT_BASKET_AGGREGATE },
  islands: { flags: '--islands <n>', description: 'GA islands (independent populations in a ring)', parse: intIn('--islands', ...JOB_LIMITS.islands), defaultText: String(DEFAULT_GA.islands) },
  population: { flags: '--population <n>', description: 'genomes per island', parse: intIn('--population', ...JOB_LIMITS.population), defaultText: String(DEFAULT_GA.population) },
  epochs: { flags: '--epochs <n>', description: 'epochs (migrations between islands)', parse: intIn('--epochs', ...JOB_LIMITS.epochs), defaultText: String(DEFAULT_GA.epochs) },
  generations: { flags: '--generations <n>', description: 'generations per island per epoch', parse: intIn('--generations', ...JOB_LIMITS.generations), defaultText: String(DEFAULT_GA.generations) },
  objective: { flags: '--objective <name>', description: `fitness: ${OBJECTIVES.join(', ')}`, parse: oneOf('--objective', OBJECTIVES), defaultText: 'sharpe' },
  minTrades: { flags: '--min-trades <n>', description: 'in-sample trades a genome needs to get a fitness', parse: intIn('--min-trades', ...JOB_LIMITS.minTrades), defaultText: String(DEFAULT_MIN_TRADES) },
  fee: { flags: '--fee <fraction>', description: 'fee per side, as a fraction (0.001 = 0.1 %)', parse: realIn('--fee', 0, MAX_COST), defaultText: '0.001' },
  slippage: { flags: '--slippage <fraction>', description: 'slippage per side, as a fraction', parse: realIn('--slippage', 0, MAX_COST), defaultText: '0.0005' },
  oos: { flags: '--oos <fraction>', description: 'fraction of bars at the end kept out of sample', parse: realIn('--oos', 0, MAX_OOS_FRACTION), defaultText: String(DEFAULT_OOS_FRACTION) },
  walkForward: { flags: '--walk-forward <mode>', description: `a walk-forward job: ${WALK_FORWARD_MODES.join(' or ')} windows, each optimised on its train range and scored on the test range after it`, parse: oneOf('--walk-forward', WALK_FORWARD_MODES) },
  windows: { flags: '--windows <k>', description: 'walk-forward windows', parse: intIn('--windows', 1, MAX_WALK_FORWARD_WINDOWS), defaultText: String(DEFAULT_WALK_FORWARD_WINDOWS) },
  train: { flags: '--train <length>', description: 'walk-forward train range (rolling only): a fraction of the data (0.3) or a duration (90d, 12w, 36h)', parse: windowLength('--train'), defaultText: `${DEFAULT_TRAIN_TEST_RATIO} x the test range` },
  test: { flags: '--test <length>', description: 'walk-forward test range: a fraction of the data (0.1) or a duration (30d, 4w, 36h)', parse: windowLength('--test'), defaultText: `the data / (windows + ${DEFAULT_TRAIN_TEST_RATIO})` },
  timeframe: { flags: '--timeframe <tf>', description: 'resample the data to this timeframe (15m, 1h, 4h, 1d, 1w: a whole multiple of its bar step) before the job is built; buckets are UTC-aligned, a partial first or last bucket is dropped', parse: timeframeOption('--timeframe') },
  seed: { flags: '--seed <n>', description: 'GA seed (same seed, same leaderboard)', parse: intIn('--seed', 0, Number.MAX_SAFE_INTEGER), defaultText: '1' },
  priority: { flags: '--priority <n>', description: `the job's priority, ${MIN_JOB_PRIORITY} to ${MAX_JOB_PRIORITY}: peers take units of higher priority first, and share the mesh between jobs of equal priority; not part of the job's spec, so its id does not change (\`peer priority\` changes it later)`, parse: intIn('--priority', MIN_JOB_PRIORITY, MAX_JOB_PRIORITY), defaultText: String(DEFAULT_JOB_PRIORITY) },
  json: { flags: '--json', description: 'print JSON instead of a table' },
  csv: { flags: '--csv', description: 'print the leaderboard as CSV' },
  top: { flags: '--top <n>', description: 'leaderboard rows to show', parse: intIn('--top', 1, MAX_TOP), defaultText: String(DEFAULT_TOP) },
  wait: { flags: '--wait', description: 'wait until the job is complete and its overfitting statistics are computed (at most a minute more)' },
  watch: { flags: '--watch', description: 'refresh every 2 seconds until Ctrl-C' },
  noBrowser: { flags: '--no-browser', description: 'only print the address; do not start a browser' },
  // `peer backtest`
  strategy: { flags: '--strategy <file>', description: 'the strategy file (.ts or .js); with --job, only the job\'s own strategy is accepted' },
  params: { flags: '--params <json>', description: 'the parameter values as a JSON object, e.g. \'{"fast":10,"slow":50}\'', parse: jsonObject('--params') },
  paramsFile: { flags: '--params-file <file>', description: 'a file holding the parameter values as a JSON object' },
  job: { flags: '--job <id>', description: 'run a leaderboard row of this job (id or a prefix of at least 8 characters): its strategy, params, costs, objective and, unless --data is given, dataset' },
  rank: { flags: '--rank <n>', description: 'with --job: the row to run', parse: intIn('--rank', 1, MAX_TOP), defaultText: '1' },
  symbol: { flags: '--symbol <name>', description: 'with --job on a job over several symbols: the symbol to run on, by its data file\'s name', defaultText: 'the job\'s first symbol' },
  backtestData: { flags: '--data <csv>', description: "candle file (CSV or JSON, as `peer submit` takes them), or 'default' for the bundled dataset", defaultText: "the job's dataset with --job, else 'default'" },
  from: { flags: '--from <date>', description: 'first bar the metrics cover (its open time, ISO 8601, UTC unless a zone is given); the strategy still runs over the bars before it, so indicators warm up', parse: dateOption('--from'), defaultText: 'the first bar' },
  to: { flags: '--to <date>', description: 'the metrics cover bars that open before this time', parse: dateOption('--to'), defaultText: 'after the last bar' },
  backtestFee: { flags: '--fee <fraction>', description: 'fee per side, as a fraction (0.001 = 0.1 %)', parse: realIn('--fee', 0, MAX_COST), defaultText: "the job's with --job, else 0.001" },
  backtestSlippage: { flags: '--slippage <fraction>', description: 'slippage per side, as a fraction', parse: realIn('--slippage', 0, MAX_COST), defaultText: "the job's with --job, else 0.0005" },
  trades: { flags: '--trades <file.csv>', description: 'write every trade as CSV: entry_time, exit_time, side, return, open' },
  equity: { flags: '--equity <file.csv>', description: 'write the equity curve as CSV, one row per bar: time, equity, drawdown' },
  backtestJson: { flags: '--json', description: 'print one JSON object: metrics, range, params, strategy and dataset hashes, trade count, files written' },
  // `peer data fetch`
  since: { flags: '--since <date>', description: 'first bar to fetch (its open time, ISO 8601, UTC unless a zone is given); ignored when --out already holds bars, which are resumed after their last one', parse: dateOption('--since'), defaultText: `${DEFAULT_FETCH_DAYS} days before --until` },
  until: { flags: '--until <date>', description: 'fetch bars that open before this time; only closed bars are written', parse: dateOption('--until'), defaultText: 'now' },
  out: { flags: '--out <file.csv>', description: 'the CSV to write, or to resume when it exists (appended to, never rewritten)', defaultText: 'EXCHANGE-SYMBOL-TIMEFRAME.csv in the current directory, e.g. binance-BTC-USDT-1h.csv' },
  fetchJson: { flags: '--json', description: 'print one JSON object: bars, new bars, first and last time, gaps, requests, file' },
} as const satisfies Record<string, OptionSpec>

export type OptionKey = keyof typeof OPTIONS

export interface ArgumentSpec {
  readonly name: string
  readonly description: string
  readonly required: boolean
}

/** `peer jobs|cancel|priority|forget` (commands-jobs.ts). */
type JobControlCommand = 'jobs' | 'cancel' | 'priority' | 'forget'

export interface CommandSpec {
  /** A name of two words is a subcommand: `data fetch` is `fetch` under `peer data` (COMMAND_GROUPS). */
  readonly name: 'start' | 'submit' | 'status' | 'results' | 'backtest' | 'open' | 'stop' | 'data fetch' | JobControlCommand
  readonly summary: string
  readonly args: readonly ArgumentSpec[]
  readonly options: readonly OptionKey[]
}

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'start',
    summary: 'run a peer in the foreground: join the mesh and work on every job it can',
    args: [],
    options: ['dataDir', 'name', 'cpus', 'cacheMb', 'listen', 'bootstrap', 'noMdns', 'secretFile', 'apiPort', 'leaseTtl', 'demo', 'keepRunning'],
  },
  {
    name: 'submit',
    summary: 'check a strategy and its data, then publish an optimisation job; prints the job id',
    args: [{ name: 'strategy', description: 'the strategy file (.ts or .js)', required: true }],
    options: ['dataDir', 'data', 'aggregate', 'timeframe', 'islands', 'population', 'epochs', 'generations', 'objective', 'minTrades', 'fee', 'slippage', 'oos', 'walkForward', 'windows', 'train', 'test', 'seed', 'priority', 'json'],
  },
  {
    name: 'status',
    summary: 'the mesh: peers, cores, leases, evaluations per second, jobs and their progress',
    args: [],
    options: ['dataDir', 'json', 'watch'],
  },
  {
    name: 'results',
    summary: 'the merged leaderboard of a job (the latest job when none is given)',
    args: [{ name: 'job', description: 'job id (or a prefix of at least 8 characters)', required: false }],
    options: ['dataDir', 'json', 'csv', 'top', 'wait'],
  },
  {
    name: 'backtest',
    summary: 'run one parameter set (given, or a job\'s leaderboard row) on some data on the local peer, with the engine and sandbox of jobs; publishes nothing',
    args: [],
    options: ['dataDir', 'strategy', 'params', 'paramsFile', 'job', 'rank', 'symbol', 'backtestData', 'from', 'to', 'backtestFee', 'backtestSlippage', 'trades', 'equity', 'backtestJson'],
  },
  {
    name: 'open',
    summary: 'open the dashboard of the local peer in a browser, signed in (prints its one-time address too)',
    args: [],
    options: ['dataDir', 'json', 'noBrowser'],
  },
  {
    name: 'stop',
    summary: 'stop the local peer gracefully: release leases, flush, end every evaluator',
    args: [],
    options: ['dataDir'],
  },
  // Job control
  {
    name: 'jobs',
    summary: 'every job the mesh knows: id, state (queued, running, done, cancelled, stopped), units counted of total, priority, submitter and age',
    args: [],
    options: ['dataDir', 'json'],
  },
  {
    name: 'cancel',
    summary: 'cancel a job for the whole mesh (a signed entry any member may write): every peer stops its units within a lease TTL plus 5 s; the units counted so far stay readable, marked partial',
    args: [{ name: 'job', description: 'job id or a unique prefix of it', required: true }],
    options: ['dataDir', 'json'],
  },
  {
    name: 'priority',
    summary: 'set a job\'s priority for the whole mesh (a signed entry; the latest one holds): higher priority is claimed first, equal priorities share the mesh',
    args: [{ name: 'job', description: 'job id or a unique prefix of it', required: true }, { name: 'priority', description: `an integer from ${MIN_JOB_PRIORITY} to ${MAX_JOB_PRIORITY} (default of a job: ${DEFAULT_JOB_PRIORITY})`, required: true }],
    options: ['dataDir', 'json'],
  },
  {
    name: 'forget',
    summary: 'on this peer only, drop a done, cancelled or stopped job: its blobs no other job needs, its cached statistics and results; they are not fetched or checked again, across restarts (its ledger entries stay)',
    args: [{ name: 'job', description: 'job id or a unique prefix of it', required: true }],
    options: ['dataDir', 'json'],
  },
  {
    name: 'data fetch',
    summary: 'download candles from an exchange through ccxt into a CSV that `peer submit --data` takes: pages through the range at the exchange\'s rate limit, resumes where the file ends, reports gaps; needs no peer',
    args: [
      { name: 'exchange', description: 'a ccxt exchange id: binance, coinbase, kraken, bybit, okx…', required: true },
      { name: 'symbol', description: 'the market in ccxt\'s unified form: BTC/USDT, ETH/USD, BTC/USDT:USDT for a perpetual swap (or the exchange\'s own id of it, BTCUSDT)', required: true },
      { name: 'timeframe', description: 'a timeframe the exchange offers: 1m, 5m, 1h, 1d…', required: true },
    ],
    options: ['since', 'until', 'out', 'fetchJson'],
  },
]

/** Commands that only group subcommands, with their summaries. */
export const COMMAND_GROUPS: Readonly<Record<string, string>> = {
  data: 'candle data: `peer data fetch` downloads it from an exchange',
}

/**
 * Options that were removed for being unsafe. Each is still read, hidden from help and docs, so
 * giving it fails with why and what to use instead rather than a bare "unknown option".
 */
export const WITHDRAWN_OPTIONS: ReadonlyArray<{ readonly key: string, readonly flags: string, readonly command: CommandSpec['name'], readonly refusal: () => StratmeshError }> = [
  {
    key: 'secret',
    // The value is optional so that a bare `--secret` gets the same answer.
    flags: '--secret [secret]',
    command: 'start',
    refusal: () => new StratmeshError('SECRET_ON_COMMAND_LINE', `--secret is not accepted: a command line is readable by every local user (ps, /proc/<pid>/cmdline) and kept in shell history; give the mesh secret by ${SECRET_ENV}, by --secret-file <path> (mode 0600), or at the prompt of \`peer start\` on a terminal`, { details: { option: '--secret' } }),
  },
]

function argText (a: ArgumentSpec): string {
  return a.required ? `<${a.name}>` : `[${a.name}]`
}

/** The command reference as markdown, for the README. */
export function commandReference (): string {
  const out: string[] = []
  for (const c of COMMANDS) {
    out.push(`### \`peer ${c.name}${c.args.map(a => ' ' + argText(a)).join('')}\``, '', c.summary[0].toUpperCase() + c.summary.slice(1) + '.', '')
    for (const a of c.args) out.push(`- \`${argText(a)}\`: ${a.description}`)
    for (const key of c.options) {
      const o: OptionSpec = OPTIONS[key]
      const extra = [o.env === undefined ? '' : `env \`${o.env}\``, o.defaultText === undefined ? '' : `default: ${o.defaultText}`].filter(s => s !== '').join('; ')
      out.push(`- \`${o.flags}\`: ${o.description}${extra === '' ? '' : ` (${extra})`}`)
    }
    out.push('')
  }
  return out.join('\n')
}

/** The data dir a command works on, absolute (the option, else the environment, else ~/.stratmesh). */
export function dataDirFrom (opts: { dataDir?: string }): string {
  return resolve(opts.dataDir ?? defaultDataDir())
}
