/**
 * Every error code stratmesh throws, records or sends, with what it means to each consumer: the
 * local API's HTTP status, the CLI's exit code, whether the user's input is at fault, whether it
 * stops the job. The API, the CLI, the scheduler and the README's table all read this one table,
 * so they cannot disagree about a code, and StratmeshError accepts no code missing from it.
 */

/** A failure not caused by the input: network, disk, a bug. The message says which. */
export const EXIT_FAILURE = 1
/** Bad input: an option, a strategy file, a CSV, a request field. */
export const EXIT_USAGE = 2
/** No peer runs on the data dir: a script may start one and retry. */
export const EXIT_PEER_NOT_RUNNING = 3
/** No such job: its own code, so a script can tell a wrong job id from a failure. */
export const EXIT_JOB_NOT_FOUND = 4
/** Ended by Ctrl-C: 128 + SIGINT, as shells report it. */
export const EXIT_INTERRUPTED = 130

/** Where a code comes from; the README groups its table by these, in this order. */
export const ERROR_AREAS = {
  cli: 'Command line',
  strategy: 'Strategy file',
  genome: 'Strategy at run time (recorded per genome)',
  job: 'Job settings',
  engine: 'Engine arguments (a bug or a bad strategy call)',
  evaluator: 'Evaluator processes',
  mesh: 'Mesh membership',
  storage: 'Identity and storage',
  ledger: 'Ledger entries received (rejected and counted per peer)',
  sync: 'Replication',
  blob: 'Blobs (code and data by hash)',
  api: 'Local API and dashboard',
  data: 'Candle files and datasets',
  fetch: 'Fetching candles from an exchange (`peer data fetch`)',
} as const

export type ErrorArea = keyof typeof ERROR_AREAS

/** How a code is declared below; what is left out takes the default of its kind. */
interface ErrorCodeSpec {
  readonly area: ErrorArea
  readonly meaning: string
  /** The user's input (a file, an option, a request field) is wrong: HTTP 400, exit 2. */
  readonly input?: boolean
  /** Default: 400 for input, else 500. */
  readonly http?: number
  /** Default: EXIT_USAGE for input, else EXIT_FAILURE. */
  readonly exit?: number
  /** A unit failing with it stops the whole job: every unit would fail the same way. */
  readonly breaksJob?: boolean
  /** A genome failed here for this machine's limits (time, memory, a crash); another may pass it. */
  readonly machineDependent?: boolean
}

export interface ErrorCodeInfo {
  readonly code: ErrorCode
  readonly area: ErrorArea
  readonly meaning: string
  readonly input: boolean
  readonly http: number
  readonly exit: number
  readonly breaksJob: boolean
  readonly machineDependent: boolean
}

const input = true

const SPECS = {
  // Command line
  USAGE: { area: 'cli', input, meaning: 'the command line does not parse: an unknown command or option, a missing argument' },
  OPTION_INVALID: { area: 'cli', input, meaning: 'an option has a value it cannot take, or options that exclude each other' },
  STRATEGY_NOT_FOUND: { area: 'cli', input, meaning: 'the strategy file does not exist or is not a file' },
  DEMO_STRATEGY_MISSING: { area: 'cli', meaning: 'the example strategy bundled for `--demo` is missing from this install' },
  PEER_NOT_RUNNING: { area: 'cli', exit: EXIT_PEER_NOT_RUNNING, meaning: 'no peer is running on this data dir' },
  PEER_ALREADY_RUNNING: { area: 'cli', meaning: 'a peer is already running on this data dir' },
  JOB_NOT_FOUND: { area: 'cli', http: 404, exit: EXIT_JOB_NOT_FOUND, meaning: 'no such job, or no job submitted yet' },
  STOP_TIMEOUT: { area: 'cli', meaning: 'the peer accepted `peer stop` but is still running after the wait' },
  SECRET_ON_COMMAND_LINE: { area: 'cli', input, meaning: '`--secret` was given: a command line is readable by every local user; use STRATMESH_SECRET, `--secret-file` or the prompt' },
  SECRET_PROMPT_CANCELLED: { area: 'cli', exit: EXIT_INTERRUPTED, meaning: 'Ctrl-C at the mesh secret prompt; nothing was written' },

  // Job control: `peer cancel`, `peer priority`, `peer forget`
  JOB_AMBIGUOUS: { area: 'cli', input, meaning: 'a job prefix names more than one job: give more of its id' },
  JOB_ALREADY_DONE: { area: 'cli', http: 409, meaning: '`peer cancel` of a job whose every unit is counted: there is nothing left to stop' },
  JOB_STILL_RUNNING: { area: 'cli', http: 409, meaning: '`peer forget` of a job that is queued or running: cancel it first, or wait until it is done' },
  JOB_FORGOTTEN: { area: 'cli', http: 410, exit: EXIT_JOB_NOT_FOUND, meaning: 'the job was forgotten on this peer (`peer forget`): its results are not kept here' },

  // `peer backtest`
  BACKTEST_BAD_PARAMS: { area: 'cli', input, meaning: '`peer backtest` parameters that are not the strategy\'s: an unknown or missing parameter, a value outside its range or grid' },
  BACKTEST_CONSTRAINT_BROKEN: { area: 'cli', input, meaning: '`peer backtest` parameters that break one of the strategy\'s constraints' },
  BACKTEST_RANGE_TOO_SHORT: { area: 'cli', input, meaning: '`--from`/`--to` leave fewer than 2 bars of the data to backtest' },
  BACKTEST_RANK_NOT_FOUND: { area: 'cli', input, meaning: '`--rank` beyond the job\'s leaderboard' },
  BACKTEST_STRATEGY_MISMATCH: { area: 'cli', input, meaning: '`--strategy` is not the strategy of the job given by `--job`' },
  BACKTEST_FILE_UNWRITABLE: { area: 'cli', input, meaning: 'the file given by `--trades` or `--equity` cannot be written' },
  PARAMS_FILE_UNREADABLE: { area: 'cli', input, meaning: 'the file given by `--params-file` cannot be read or does not hold a JSON object' },

  // Strategy file
  STRATEGY_BAD_FILE: { area: 'strategy', input, meaning: 'not a strategy module (a strategy is one .ts or .js file)' },
  STRATEGY_SYNTAX: { area: 'strategy', input, breaksJob: true, meaning: 'the strategy does not compile' },
  STRATEGY_TOO_LARGE: { area: 'strategy', input, meaning: 'the strategy file is larger than a strategy may be' },
  STRATEGY_FORBIDDEN_IMPORT: { area: 'strategy', input, breaksJob: true, meaning: 'imports other than `stratmesh/strategy`' },
  STRATEGY_LOAD_FAILED: { area: 'strategy', input, meaning: 'loading the strategy module threw' },
  STRATEGY_INVALID: { area: 'strategy', input, breaksJob: true, meaning: 'name, params or constraints malformed' },
  // Look-ahead and constraints (issue 13)
  STRATEGY_LOOKAHEAD: { area: 'strategy', input, breaksJob: true, meaning: 'a position changes when later bars are cut off: the strategy reads the future (names the genome, the first bar that differs and the cut)' },
  STRATEGY_CONSTRAINTS_UNSATISFIABLE: { area: 'strategy', input, breaksJob: true, meaning: 'no genome satisfying the constraints was found in the bounded number of tries (names the most frequent failure)' },

  // Strategy at run time
  STRATEGY_THREW: { area: 'genome', input, meaning: 'the strategy threw while computing positions' },
  STRATEGY_BAD_POSITIONS: { area: 'genome', input, meaning: 'positions of the wrong length, NaN, or outside [-1, 1]' },
  STRATEGY_BAD_STOPS: { area: 'genome', input, meaning: 'stops() returned a stop-loss, take-profit or trailing stop that is not a usable fraction of the entry price' },
  STRATEGY_NONDETERMINISTIC: { area: 'genome', input, meaning: 'the strategy used the clock or randomness, or one genome gave two results' },
  INDICATOR_CACHE_MUTATED: { area: 'genome', meaning: 'the strategy wrote into a shared indicator result' },
  EVAL_TIMEOUT: { area: 'genome', machineDependent: true, meaning: 'one evaluation ran past the time limit; its evaluator was replaced' },
  EVAL_OUT_OF_MEMORY: { area: 'genome', machineDependent: true, meaning: 'one evaluation passed the evaluator\'s memory limit' },
  EVAL_CRASHED: { area: 'genome', machineDependent: true, meaning: 'the evaluator process died during an evaluation' },
  GENOME_OUTSIDE_SPACE: { area: 'genome', meaning: 'a genome in another member\'s checkpoint that the strategy\'s parameter space does not allow: its check fails' },
  GENOME_BREAKS_CONSTRAINT: { area: 'genome', meaning: 'a genome that breaks one of the strategy\'s constraints (in another member\'s checkpoint): it is recorded as an error, not evaluated, so its check fails' },

  // Job settings
  JOB_INVALID: { area: 'job', input, meaning: 'a job setting is out of range or malformed (names the field)' },
  OBJECTIVE_UNKNOWN: { area: 'job', input, meaning: 'an objective other than sharpe, sortino, calmar, return or robust' },
  JOB_DATASET_MISMATCH: { area: 'job', meaning: 'the dataset does not have the bars the job expects' },
  ENGINE_INTERFACE_UNSUPPORTED: { area: 'job', meaning: 'the job\'s engine bundle speaks an isolate interface this peer\'s evaluators do not: the peer declines the job' },
  ENGINE_FINGERPRINT_MISMATCH: { area: 'job', meaning: 'this machine\'s runtime fingerprint for the job\'s engine bundle differs from the submitter\'s, so its bits would differ: the peer declines the job' },
  UNIT_BAD_INPUT: { area: 'job', meaning: 'a work unit\'s island or epoch is outside the job' },

  // Walk-forward jobs
  WALK_FORWARD_INVALID: { area: 'job', input, meaning: 'walk-forward windows that do not fit the data, a window length that is neither a fraction nor a duration, or walk-forward options that exclude each other (names the option)' },

  // Timeframes (issue 14)
  TIMEFRAME_INVALID: { area: 'data', input, meaning: '`--timeframe` is not a timeframe (15m, 1h, 4h, 1d, 1w), is finer than the data\'s bar step or not a whole multiple of it, or leaves fewer than 2 complete bars' },
  HIGHER_TIMEFRAME_INVALID: { area: 'engine', meaning: '`ctx.higher` got a timeframe that is not one (4h, 1d) or is not a whole multiple of the bars\' step' },
  // Basket jobs (several symbols)
  BASKET_INVALID: { area: 'job', input, meaning: 'a job over several symbols that cannot be built: a data file given twice, a folder without candle files, too many symbols, or an option that does not apply to a basket (names the option)' },

  // Engine arguments
  INDICATOR_BAD_PARAM: { area: 'engine', meaning: 'an indicator parameter is not a finite number >= 0' },
  INDICATOR_BAD_PERIOD: { area: 'engine', meaning: 'an indicator period is not a positive integer' },
  INDICATOR_BAD_SERIES: { area: 'engine', meaning: 'an indicator input is not a Float64Array' },
  INDICATOR_LENGTH_MISMATCH: { area: 'engine', meaning: 'an indicator\'s input series differ in length' },
  BACKTEST_BAD_ARGS: { area: 'engine', meaning: 'backtest arguments malformed (range, costs, positions)' },
  BACKTEST_BAD_TIME: { area: 'engine', meaning: 'fewer than 2 increasing time stamps, so no bars per year' },
  BACKTEST_NON_FINITE: { area: 'engine', meaning: 'a zero or non-finite price made equity or a metric not finite' },
  DOWNSAMPLE_BAD_ARGS: { area: 'engine', meaning: 'a chart downsampling size or range is out of bounds' },
  CANONICAL_BAD_VALUE: { area: 'engine', meaning: 'a value canonical JSON cannot encode (a non-finite number, a typed array)' },

  // Evaluator processes
  EVAL_START_FAILED: { area: 'evaluator', meaning: 'an evaluator process could not start' },
  EVAL_ISOLATE_UNAVAILABLE: { area: 'evaluator', meaning: 'isolated-vm does not load on this machine, and strategies run nowhere else; the message names the platforms it supports' },
  EVAL_BAD_MESSAGE: { area: 'evaluator', meaning: 'an evaluator sent a message that does not check out' },
  EVAL_BAD_SETUP: { area: 'evaluator', meaning: 'the in-sample split is not within the bars' },
  EVAL_BUSY: { area: 'evaluator', meaning: 'a request reached an evaluator that is not idle' },
  EVAL_CHILD_USED: { area: 'evaluator', meaning: 'an evaluator was asked to load a second strategy' },
  EVAL_CHILD_ERROR: { area: 'evaluator', meaning: 'an evaluator failed with an error that has no code' },
  EVAL_GONE: { area: 'evaluator', meaning: 'the evaluator has exited' },
  EVAL_JOB_NOT_LOADED: { area: 'evaluator', meaning: 'the evaluator has not loaded the job asked for' },
  EVAL_UNIT_FAILED: { area: 'evaluator', breaksJob: true, meaning: 'a unit failed outside any evaluation, so every unit of the job would' },
  UNIT_CANCELLED: { area: 'evaluator', meaning: 'another peer took or finished the unit' },
  POOL_BAD_OPTIONS: { area: 'evaluator', meaning: 'evaluator pool options out of range' },
  POOL_NOT_STARTED: { area: 'evaluator', meaning: 'the evaluator pool has not started' },
  POOL_STOPPED: { area: 'evaluator', meaning: 'the evaluator pool was stopped' },

  // Mesh membership
  SECRET_TOO_SHORT: { area: 'mesh', input, meaning: 'the mesh secret is too short' },
  SWARM_SECRET_TOO_SHORT: { area: 'mesh', input, meaning: 'the secret given to derive the private-network key is too short' },
  SECRET_UNREADABLE: { area: 'mesh', meaning: 'the stored mesh secret cannot be read' },
  SECRET_FILE_UNREADABLE: { area: 'mesh', input, meaning: 'the file given by `--secret-file` cannot be read, or is larger than a secret file may be' },
  SECRET_FILE_EXPOSED: { area: 'mesh', input, meaning: 'the file given by `--secret-file` is readable or writable by others than its owner (`chmod 600` it)' },
  SWARM_KEY_MISMATCH: { area: 'mesh', meaning: 'a peer with another secret' },
  SWARM_KEY_TIMEOUT: { area: 'mesh', meaning: 'a peer did not confirm the private-network handshake in time' },
  SWARM_KEY_UNCONFIRMED: { area: 'mesh', meaning: 'a peer closed the connection before confirming the private-network handshake (one under load or restarting, not proof of another secret)' },
  NODE_BAD_ADDRESS: { area: 'mesh', input, meaning: 'a peer address is not a multiaddr' },
  NODE_START_FAILED: { area: 'mesh', meaning: 'the libp2p node failed to start' },
  PEER_SILENT_AFTER_WAKE: { area: 'mesh', meaning: 'a connection gave no answer to a ping after this machine woke up' },
  PEER_STATE: { area: 'mesh', meaning: 'the peer was started twice, or used before it started' },
  PEER_STOPPING: { area: 'mesh', http: 503, meaning: 'the peer is stopping' },

  // Identity and storage
  IDENTITY_CORRUPT: { area: 'storage', meaning: 'the identity key file does not hold a key' },
  IDENTITY_UNREADABLE: { area: 'storage', meaning: 'the identity key file cannot be read' },
  DATA_DIR_LOCKED: { area: 'storage', meaning: 'another peer holds this data dir' },
  LOG_STORE_OPEN: { area: 'storage', meaning: 'the ledger database cannot be opened' },
  LOG_STORE_CORRUPT: { area: 'storage', meaning: 'the stored ledger disagrees with itself' },
  LOG_STORE_FORMAT: { area: 'storage', meaning: 'the ledger on disk has a format this peer does not read' },
  LOG_STORE_OPTIONS: { area: 'storage', meaning: 'a log store was created without a data dir or a database' },
  LOG_STORE_STOPPED: { area: 'storage', meaning: 'the log store is not started' },
  LOG_STORE_WRITE: { area: 'storage', meaning: 'received entries could not be written' },
  LOG_BAD_RANGE: { area: 'storage', meaning: 'a ledger range read with a bad start or limit' },
  LOG_AUTHOR_FROZEN: { area: 'storage', meaning: 'this peer\'s own identity is frozen: start with a new identity' },

  // Ledger entries received
  ENTRY_BAD_SCHEMA: { area: 'ledger', meaning: 'an entry or its body is malformed (names the field)' },
  ENTRY_TOO_LARGE: { area: 'ledger', meaning: 'an entry is larger than an entry may be' },
  ENTRY_BAD_SIGNATURE: { area: 'ledger', meaning: 'an entry\'s signature does not match its author' },
  ENTRY_BAD_AUTHOR: { area: 'ledger', meaning: 'an entry\'s author is not the peer id of an Ed25519 key' },
  ENTRY_BAD_PREV: { area: 'ledger', meaning: 'an entry does not link to its author\'s previous entry' },
  ENTRY_GAP: { area: 'ledger', meaning: 'an entry ahead of a gap, with the pool for such entries full' },
  ENTRY_BAD_HLC: { area: 'ledger', meaning: 'an entry\'s clock does not increase along its author\'s log' },
  ENTRY_CLOCK_SKEW: { area: 'ledger', meaning: 'an entry\'s clock is too far ahead of this peer\'s: fetched again later' },
  HLC_TOO_FAR_AHEAD: { area: 'ledger', meaning: 'a remote clock is too far ahead of this peer\'s' },
  ENTRY_EQUIVOCATION: { area: 'ledger', meaning: 'two entries at one seq: the author is frozen' },
  ENTRY_AUTHOR_FROZEN: { area: 'ledger', meaning: 'an entry of a frozen author, from the seq it is frozen at' },
  LEDGER_BAD_EVIDENCE: { area: 'ledger', meaning: 'equivocation evidence that is not two different entries of one author at one seq' },

  // Replication
  SYNC_BAD_MESSAGE: { area: 'sync', meaning: 'a truncated or malformed sync frame' },
  SYNC_TOO_LARGE: { area: 'sync', meaning: 'a sync frame over the size cap' },
  SYNC_TIMEOUT: { area: 'sync', meaning: 'a peer stopped answering a sync stream' },
  SYNC_ABORTED: { area: 'sync', meaning: 'a sync request was aborted here' },
  SYNC_STREAM_ERROR: { area: 'sync', meaning: 'a sync stream was reset or its connection lost' },
  SYNC_REMOTE_ERROR: { area: 'sync', meaning: 'the other peer answered with an error (its code is kept in the details)' },
  SYNC_HANDLER_FAILED: { area: 'sync', meaning: 'answering a peer\'s sync request failed here' },
  SYNC_UNSUPPORTED_PROTOCOL: { area: 'sync', meaning: 'an incompatible peer' },
  SYNC_NO_PROGRESS: { area: 'sync', meaning: 'a peer\'s log stopped advancing during a pull' },

  // Blobs
  BLOB_BAD_HASH: { area: 'blob', meaning: 'not a sha256 hex digest' },
  BLOB_BAD_RANGE: { area: 'blob', meaning: 'a byte range outside the blob' },
  BLOB_HASH_MISMATCH: { area: 'blob', meaning: 'downloaded bytes hash to something else' },
  BLOB_SIZE_MISMATCH: { area: 'blob', meaning: 'a peer gave another size for the blob' },
  BLOB_TOO_LARGE: { area: 'blob', meaning: 'a blob larger than a blob may be' },
  BLOB_NOT_FOUND: { area: 'blob', meaning: 'this peer does not have the blob' },
  BLOB_UNAVAILABLE: { area: 'blob', meaning: 'no connected peer has announced the blob' },
  BLOB_FETCH_FAILED: { area: 'blob', meaning: 'the blob could not be fetched from the peers that have it' },

  // Local API and dashboard
  API_BAD_CONTENT_TYPE: { area: 'api', http: 415, meaning: 'a request body that is not application/json' },
  API_BAD_HOST: { area: 'api', http: 403, meaning: 'a request not addressed to 127.0.0.1 or localhost' },
  API_BAD_ORIGIN: { area: 'api', http: 403, meaning: 'a request from a page other than the peer\'s own dashboard' },
  API_BAD_OPTIONS: { area: 'api', meaning: 'API server options out of range (it listens on 127.0.0.1 only)' },
  API_BAD_REQUEST: { area: 'api', input, meaning: 'a request field is missing or malformed (names the field)' },
  API_BAD_RESPONSE: { area: 'api', meaning: 'the peer answered with something that is not an API answer' },
  API_BODY_TOO_LARGE: { area: 'api', http: 413, meaning: 'a request body over the size cap' },
  API_BUSY: { area: 'api', http: 503, meaning: 'too many live dashboard streams' },
  API_FORBIDDEN: { area: 'api', http: 403, meaning: 'a dashboard session asked for what needs the API token' },
  API_UNAUTHORIZED: { area: 'api', http: 401, meaning: 'a missing or wrong API token' },
  API_LOGIN_INVALID: { area: 'api', http: 401, meaning: 'a dashboard link already used, expired or of another peer run' },
  API_INFO_UNREADABLE: { area: 'api', meaning: 'the running peer\'s API address file cannot be read' },
  API_TOKEN_UNREADABLE: { area: 'api', meaning: 'the API token file cannot be read' },
  API_LISTEN_FAILED: { area: 'api', meaning: 'the local API cannot listen on its port' },
  API_METHOD_NOT_ALLOWED: { area: 'api', http: 405, meaning: 'a route asked with the wrong HTTP method' },
  API_NOT_FOUND: { area: 'api', http: 404, meaning: 'no such API route' },
  API_NOT_STARTED: { area: 'api', meaning: 'the local API is not running' },
  API_REQUEST_FAILED: { area: 'api', meaning: 'the peer could not be reached' },
  API_RESPONSE_TOO_LARGE: { area: 'api', meaning: 'an API answer over the size cap' },
  API_TIMEOUT: { area: 'api', meaning: 'the peer did not answer in time' },
  INTERNAL: { area: 'api', meaning: 'a failure without a code (a bug); the message says what' },
  ROW_NOT_FOUND: { area: 'api', http: 404, meaning: 'the job has no such leaderboard row' },
  DETAIL_BUSY: { area: 'api', http: 503, meaning: 'too many row details are being computed; try again' },
  DETAIL_FAILED: { area: 'api', meaning: 'recomputing a leaderboard row failed' },
  DETAIL_NOT_READY: { area: 'api', http: 503, meaning: 'the job\'s code or data is not on this peer yet' },
  DETAIL_UNAVAILABLE: { area: 'api', http: 409, meaning: 'this peer cannot recompute the job\'s rows' },
  DASHBOARD_ASSET_MISSING: { area: 'api', meaning: 'a dashboard file is missing from this install' },

  // Candle files and datasets
  CSV_EMPTY: { area: 'data', input, meaning: 'the file is empty' },
  CSV_BINARY: { area: 'data', input, meaning: 'binary content (not a text export)' },
  CSV_UNKNOWN_FORMAT: { area: 'data', input, meaning: 'no header or column layout we recognise' },
  CSV_HEADER_ONLY: { area: 'data', input, meaning: 'a header and no rows' },
  CSV_TOO_FEW_ROWS: { area: 'data', input, meaning: 'too few candles to backtest' },
  JSON_TOO_FEW_ROWS: { area: 'data', input, meaning: 'too few candles to backtest' },
  CSV_MISSING_COLUMN: { area: 'data', input, meaning: 'a required column (time, open, high, low, close) is missing' },
  CSV_BAD_ROW: { area: 'data', input, meaning: 'a row with the wrong number of fields' },
  CSV_BAD_TIME: { area: 'data', input, meaning: 'a time that is not a date or a plausible timestamp' },
  CSV_BAD_NUMBER: { area: 'data', input, meaning: 'a field that is not a number' },
  CSV_BAD_PRICE: { area: 'data', input, meaning: 'a price that is zero, negative or not finite' },
  CSV_NEGATIVE_VOLUME: { area: 'data', input, meaning: 'a negative volume' },
  CSV_HIGH_BELOW_LOW: { area: 'data', input, meaning: 'high below low' },
  CSV_PRICE_OUTSIDE_RANGE: { area: 'data', input, meaning: 'open or close outside the bar\'s [low, high]' },
  CSV_TIME_NOT_INCREASING: { area: 'data', input, meaning: 'a time repeated or going backwards (in a file that is otherwise in order)' },
  JSON_SYNTAX: { area: 'data', input, meaning: 'not JSON' },
  JSON_BAD_SHAPE: { area: 'data', input, meaning: 'not an array of 6-number arrays' },
  DATA_TOO_LARGE: { area: 'data', input, meaning: 'more rows or bytes than a dataset may hold (see [docs/LIMITS.md](docs/LIMITS.md))' },
  DATA_NOT_FOUND: { area: 'data', input, meaning: 'the file does not exist' },
  DATASET_CORRUPT: { area: 'data', meaning: 'a stored dataset whose bytes do not check out' },
  DATASET_INVALID: { area: 'data', input, meaning: 'a stored dataset whose columns do not check out' },

  // `peer data fetch` (issue 14)
  FETCH_EXCHANGE_UNKNOWN: { area: 'fetch', input, meaning: 'an exchange id ccxt does not know (ids are lower case: binance, coinbase, kraken)' },
  FETCH_SYMBOL_UNKNOWN: { area: 'fetch', input, meaning: 'the exchange lists no market of that symbol (ccxt\'s unified form: BTC/USDT)' },
  FETCH_TIMEFRAME_UNSUPPORTED: { area: 'fetch', input, meaning: 'the exchange offers no candles of that timeframe, or no candles at all (names the timeframes it has)' },
  FETCH_NETWORK: { area: 'fetch', meaning: 'the exchange could not be reached, timed out or kept refusing for the rate limit; what was fetched before stays in the file, and the same command resumes' },
  FETCH_EXCHANGE_ERROR: { area: 'fetch', meaning: 'the exchange answered with an error or with something ccxt could not read' },
  FETCH_NO_BARS: { area: 'fetch', input, meaning: 'the exchange has no closed bars in the range asked for; no file was written' },
  FETCH_OUT_NOT_RESUMABLE: { area: 'fetch', input, meaning: 'the `--out` file cannot be read or written, or exists but was not written by `peer data fetch` or ends inside a line, so it is not appended to' },
} as const satisfies Readonly<Record<string, ErrorCodeSpec>>

/** Every code stratmesh uses; StratmeshError takes nothing else. */
export type ErrorCode = keyof typeof SPECS

function resolve (code: ErrorCode, spec: ErrorCodeSpec): ErrorCodeInfo {
  const isInput = spec.input === true
  return {
    code,
    area: spec.area,
    meaning: spec.meaning,
    input: isInput,
    http: spec.http ?? (isInput ? 400 : 500),
    exit: spec.exit ?? (isInput ? EXIT_USAGE : EXIT_FAILURE),
    breaksJob: spec.breaksJob === true,
    machineDependent: spec.machineDependent === true,
  }
}

export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = Object.freeze(Object.fromEntries(
  (Object.entries(SPECS) as Array<[ErrorCode, ErrorCodeSpec]>).map(([code, spec]) => [code, Object.freeze(resolve(code, spec))])
) as Record<ErrorCode, ErrorCodeInfo>)

/** True for a registered code; for codes that arrive at run time from outside this process. */
export function isErrorCode (code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(SPECS, code)
}

/** A string code's entry, or undefined when it is not ours (a Node errno, a remote's unknown code). */
export function errorCodeInfo (code: string | undefined): ErrorCodeInfo | undefined {
  return isErrorCode(code) ? ERROR_CODES[code] : undefined
}
