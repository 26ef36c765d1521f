/**
 * `peer data fetch EXCHANGE SYMBOL TIMEFRAME`: a local tool, no peer needed. Progress on stderr, the
 * file's path (or with --json the summary) on stdout, so `peer submit s.ts --data "$(peer data
 * fetch ...)"` works.
 */
import { resolve } from 'node:path'
import { EXCHANGE_URL_ENV, fetchCandles, type FetchSummary } from '../data-fetch/index.js'
import { createProgressLine } from './progress.js'

export interface DataFetchOptions {
  readonly since?: number
  readonly until?: number
  readonly out?: string
  readonly json?: boolean
}

/** `binance-BTC-USDT-1h.csv`: the file name when --out is not given. */
export function defaultOutName (exchange: string, symbol: string, timeframe: string): string {
  return `${exchange}-${symbol.replace(/[^A-Za-z0-9.]+/g, '-')}-${timeframe}.csv`
}

/** Cells of the progress bar. */
const BAR_CELLS = 20

/** `[#########-----------]  45%`. */
function progressBar (fraction: number): string {
  const full = Math.round(fraction * BAR_CELLS)
  return `[${'#'.repeat(full)}${'-'.repeat(BAR_CELLS - full)}] ${String(Math.round(fraction * 100)).padStart(3)}%`
}

const shortIso = (t: string | null): string => t === null ? '-' : t.replace(/:00\.000Z$/, 'Z').replace(/\.000Z$/, 'Z')

function describeFetch (s: FetchSummary): string {
  const what = s.resumedAfter === null ? `fetched ${s.newBars} bars` : `resumed after ${shortIso(s.resumedAfter)}: ${s.newBars} new bars`
  const gaps = s.gaps === 0
    ? 'no gaps'
    : `${s.gaps} gap${s.gaps === 1 ? '' : 's'} (${s.missingBars} missing bars; first after ${shortIso(s.gapList[0]?.after ?? null)})`
  const unsound = s.unsoundBars === 0 ? '' : `; ${s.unsoundBars} bars left out for impossible prices (high below low, a price not above 0)`
  return `${what} of ${s.symbol} ${s.timeframe} from ${s.exchange} in ${s.requests} requests; ${s.file} holds ${s.bars} bars, ${shortIso(s.firstTime)} to ${shortIso(s.lastTime)}; ${gaps}${unsound}`
}

export async function dataFetchCommand (exchange: string, symbol: string, timeframe: string, opts: DataFetchOptions): Promise<void> {
  const out = resolve(opts.out ?? defaultOutName(exchange, symbol, timeframe))
  const progress = createProgressLine()
  const summary = await (async () => {
    try {
      return await fetchCandles(
        { exchange, symbol, timeframe, since: opts.since, until: opts.until, out, apiUrl: process.env[EXCHANGE_URL_ENV] },
        p => { progress.update(`${exchange} ${symbol} ${timeframe}: ${progressBar(p.fraction)} ${p.newBars} bars, up to ${shortIso(new Date(p.lastTime).toISOString())}`) },
      )
    } finally {
      progress.done()
    }
  })()
  if (opts.json === true) {
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n')
    return
  }
  process.stderr.write(describeFetch(summary) + '\n')
  process.stdout.write(summary.file + '\n')
}
