/**
 * `peer data fetch` from the build, against a replay of Binance's REST API on 127.0.0.1: the real
 * ccxt code path (loadMarkets, fetchOHLCV, its rate limiter) runs, and no exchange is reached.
 */
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { readFile, writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { importCandles } from '../../../src/engine/data/index.js'
import { EXCHANGE_URL_ENV, type FetchSummary } from '../../../src/node/data-fetch/index.js'
import { closedPort, hourlyBars, startBinanceReplay, type BinanceReplay, type ServedBar } from '../../helpers/binance-replay.js'
import { REPO_ROOT, runPeerCli, type CliRun } from '../../helpers/run-cli.js'
import { tempDir } from '../../helpers/temp-dir.js'

if (!existsSync(join(REPO_ROOT, 'dist', 'node', 'cli', 'main.js'))) throw new Error('the CLI is not built: run `npm run build` first')

const HOUR_MS = 3_600_000
const START = Date.UTC(2024, 0, 1)
const BARS = 2500
/** Bars the served data lacks: one gap of three bars inside the first page. */
const MISSING = new Set([100, 101, 102])
const UNTIL = START + BARS * HOUR_MS

async function fetchCli (args: readonly string[], apiUrl: string): Promise<CliRun> {
  const env: NodeJS.ProcessEnv = { ...process.env, [EXCHANGE_URL_ENV]: apiUrl }
  delete env.STRATMESH_DEBUG
  return await runPeerCli(['data', 'fetch', ...args], { timeoutMs: 60_000, env })
}

function summaryOf (r: CliRun): FetchSummary {
  assert.equal(r.code, 0, `exit 0, got ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as FetchSummary
}

function klineRequests (replay: BinanceReplay): Array<Record<string, string>> {
  return replay.requests.filter(q => q.path === '/api/v3/klines').map(q => q.query)
}

/** The file's data lines as [time ms, close]. */
async function fileBars (path: string): Promise<Array<[number, number]>> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n')
  assert.equal(lines[0], 'time,open,high,low,close,volume')
  return lines.slice(1).map(l => { const f = l.split(','); return [Date.parse(f[0]), Number(f[4])] })
}

const served = (bars: readonly ServedBar[]): Array<[number, number]> => bars.map(b => [b.time, Number(b.close)])

const dir = await tempDir('stratmesh-data-fetch-')
const replay = await startBinanceReplay(hourlyBars(START, BARS, MISSING))
after(async () => { await replay.close() })

test('a fetch over several pages: each page starts after the last bar, the file holds every bar once, in order, and imports', async () => {
  const out = join(dir.path, 'paged.csv')
  replay.requests.length = 0
  const r = await fetchCli(['binance', 'BTC/USDT', '1h', '--since', '2024-01-01', '--until', String(UNTIL), '--out', out, '--json'], replay.url)
  const s = summaryOf(r)
  const pages = klineRequests(replay)
  assert.equal(pages.length, 3, `three requests of at most 1000 bars for ${BARS - MISSING.size} bars: ${JSON.stringify(pages)}`)
  assert.deepEqual(pages.map(p => p.limit), ['1000', '1000', '1000'], 'binance\'s documented page size, from ccxt\'s feature table')
  assert.equal(Number(pages[0].startTime), START, '--since is the first page\'s start')
  const bars = await fileBars(out)
  for (let k = 1; k < pages.length; k++) {
    // Each page starts one step after the last bar written so far.
    const lastBefore = replay.bars.filter(b => b.time < Number(pages[k].startTime)).at(-1)
    assert.equal(Number(pages[k].startTime), (lastBefore?.time ?? NaN) + HOUR_MS, `page ${k + 1} starts after the last bar of page ${k}`)
  }
  assert.deepEqual(bars, served(replay.bars), 'every served bar once, in order, prices as served')
  assert.equal(s.bars, replay.bars.length)
  assert.equal(s.newBars, replay.bars.length)
  assert.equal(s.firstTime, new Date(START).toISOString())
  assert.equal(s.lastTime, new Date(replay.bars.at(-1)?.time ?? 0).toISOString())
  assert.equal(s.file, out)
  assert.equal(s.requests, 3)
  assert.match(r.stderr, new RegExp(`binance BTC/USDT 1h: \\[#{20}\\] 100% ${replay.bars.length} bars, up to `), 'progress on stderr')
  const imported = importCandles(await readFile(out), out)
  assert.equal(imported.candles.length, replay.bars.length, 'the importer of `peer submit --data` reads it whole')
  assert.deepEqual(Array.from(imported.candles.close), served(replay.bars).map(b => b[1]))
})

test('a gap in the exchange\'s data is reported by the timeframe\'s step, in --json and in the text summary', async () => {
  const out = join(dir.path, 'gap.csv')
  // Binance's own id of the market names it too.
  const s = summaryOf(await fetchCli(['binance', 'BTCUSDT', '1h', '--since', '2024-01-01', '--until', String(START + 300 * HOUR_MS), '--out', out, '--json'], replay.url))
  assert.equal(s.symbol, 'BTC/USDT')
  assert.equal(s.gaps, 1)
  assert.equal(s.missingBars, MISSING.size)
  assert.deepEqual(s.gapList, [{ after: new Date(START + 99 * HOUR_MS).toISOString(), before: new Date(START + 103 * HOUR_MS).toISOString(), missingBars: 3 }])
  const text = await fetchCli(['binance', 'BTC/USDT', '1h', '--since', '2024-01-01', '--until', String(START + 300 * HOUR_MS), '--out', join(dir.path, 'gap-text.csv')], replay.url)
  assert.equal(text.code, 0, text.stderr)
  assert.equal(text.stdout.trim(), join(dir.path, 'gap-text.csv'), 'stdout is the file, for $(...)')
  assert.match(text.stderr, /1 gap \(3 missing bars; first after 2024-01-05T03:00Z\)/)
})

test('resume: a second run appends only the bars after the file\'s last one and leaves the rest byte for byte', async () => {
  const out = join(dir.path, 'resume.csv')
  const all = replay.bars
  try {
    replay.bars = all.slice(0, 1200)
    const first = summaryOf(await fetchCli(['binance', 'BTC/USDT', '1h', '--since', '2024-01-01', '--until', String(UNTIL), '--out', out, '--json'], replay.url))
    assert.equal(first.bars, 1200)
    const before = await readFile(out)
    replay.bars = all
    replay.requests.length = 0
    // --since is earlier than the file's end: the file wins, nothing is fetched twice.
    const second = summaryOf(await fetchCli(['binance', 'BTC/USDT', '1h', '--since', '2024-01-01', '--until', String(UNTIL), '--out', out, '--json'], replay.url))
    const pages = klineRequests(replay)
    assert.equal(Number(pages[0].startTime), all[1199].time + HOUR_MS, 'the first request starts one step after the file\'s last bar')
    const after = await readFile(out)
    assert.deepEqual(after.subarray(0, before.length), before, 'what was there is not rewritten')
    assert.deepEqual(await fileBars(out), served(all), 'every bar once, in order')
    assert.equal(second.newBars, all.length - 1200)
    assert.equal(second.bars, all.length)
    assert.equal(second.resumedAfter, new Date(all[1199].time).toISOString())
    assert.equal(second.firstTime, new Date(START).toISOString(), 'the file\'s first bar')
    const third = summaryOf(await fetchCli(['binance', 'BTC/USDT', '1h', '--until', String(UNTIL), '--out', out, '--json'], replay.url))
    assert.equal(third.newBars, 0, 'nothing new: nothing appended')
    assert.deepEqual(await readFile(out), after)
  } finally {
    replay.bars = all
  }
})

/** One line on stderr, `peer: CODE: ...`, a non-zero exit, nothing on stdout and no file. */
function assertOneLine (r: CliRun, exit: number, code: string, names: RegExp, out: string): void {
  assert.equal(r.code, exit, `exit ${exit}, got ${r.code}: ${r.stderr}`)
  assert.equal(r.stdout, '')
  const lines = r.stderr.split('\n').filter(l => l !== '')
  assert.equal(lines.length, 1, `one line: ${r.stderr}`)
  assert.match(lines[0], new RegExp(`^peer: ${code}: `))
  assert.match(lines[0], names)
  assert.equal(existsSync(out), false, 'no file written')
}

test('unknown exchange, symbol or timeframe, an unreachable exchange and a bad date: one line each, a non-zero exit', async () => {
  const out = join(dir.path, 'refused.csv')
  const base = ['--since', '2024-01-01', '--until', String(UNTIL), '--out', out]
  assertOneLine(await fetchCli(['nosuchexchange', 'BTC/USDT', '1h', ...base], replay.url), 2, 'FETCH_EXCHANGE_UNKNOWN', /'nosuchexchange'/, out)
  assertOneLine(await fetchCli(['binance', 'DOGE/EUR', '1h', ...base], replay.url), 2, 'FETCH_SYMBOL_UNKNOWN', /'DOGE\/EUR'/, out)
  assertOneLine(await fetchCli(['binance', 'BTC/USDT', '7m', ...base], replay.url), 2, 'FETCH_TIMEFRAME_UNSUPPORTED', /'7m'.*1h/, out)
  assertOneLine(await fetchCli(['binance', 'BTC/USDT', '1h', ...base], `http://127.0.0.1:${await closedPort()}`), 1, 'FETCH_NETWORK', /could not be reached/, out)
  assertOneLine(await fetchCli(['binance', 'BTC/USDT', '1h', '--since', '2023-01-01', '--until', '2023-06-01', '--out', out], replay.url), 2, 'FETCH_NO_BARS', /no closed 1h bars of BTC\/USDT/, out)
  assertOneLine(await fetchCli(['binance', 'BTC/USDT', '1h', '--since', 'last tuesday', '--out', out], replay.url), 2, 'OPTION_INVALID', /--since/, out)
  assertOneLine(await fetchCli(['binance', 'BTC/USDT', '1h', '--since', '2024-02-01', '--until', '2024-01-01', '--out', out], replay.url), 2, 'OPTION_INVALID', /--until/, out)
})

test('only `peer data fetch` imports ccxt: the other commands do not pay its load time', async () => {
  const probe = join(REPO_ROOT, 'test', 'fixtures', 'report-ccxt-import.mjs')
  const run = async (args: readonly string[]): Promise<CliRun> => {
    const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` }
    delete env.STRATMESH_DEBUG
    return await runPeerCli(args, { timeoutMs: 60_000, env })
  }
  const marker = '[ccxt imported]'
  assert.ok((await run(['data', 'fetch', 'binance', 'BTC/USDT', '7m'])).stderr.includes(marker), 'the probe sees the fetch command import ccxt')
  for (const args of [['--help'], ['status', '--data-dir', dir.path], ['submit', '--help']]) {
    const r = await run(args)
    assert.ok(!r.stderr.includes(marker), `peer ${args.join(' ')} does not import ccxt: ${r.stderr}`)
  }
})

test('an --out file this command did not write is refused and left as it was', async () => {
  const out = join(dir.path, 'foreign.csv')
  const foreign = 'Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-01,1,2,0.5,1.5,1.5,10\n'
  await writeFile(out, foreign)
  const r = await fetchCli(['binance', 'BTC/USDT', '1h', '--since', '2024-01-01', '--until', String(UNTIL), '--out', out], replay.url)
  assert.equal(r.code, 2, r.stderr)
  assert.match(r.stderr.trim(), /^peer: FETCH_OUT_NOT_RESUMABLE: .*not written by `peer data fetch`/)
  assert.equal(await readFile(out, 'utf8'), foreign)
})
