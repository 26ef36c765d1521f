/**
 * `peer data fetch`: pages through an exchange's candles with ccxt from where the --out file ends
 * (or --since) to --until (or now), appending each page as it arrives. ccxt's rate limiter spaces
 * the requests by the exchange's documented rate (exchange.rateLimit).
 */
import { StratmeshError } from '../../protocol/errors.js'
import { acceptRows, csvLines, findGaps, MAX_LISTED_GAPS, type Gap } from '../../engine/data/index.js'
import { openOhlcvSource, type OhlcvSource } from './exchange.js'
import { appendToOut, readExistingOut } from './out-file.js'

/** Without --since and without a file to resume, the last 30 days: a first look, as freqtrade's download-data does. */
export const DEFAULT_FETCH_DAYS = 30

/**
 * Requests one run may make. An exchange that keeps answering with bars yet never reaches --until
 * would otherwise loop for ever; 100 000 pages of 1000 bars is more than any exchange holds.
 */
export const MAX_FETCH_PAGES = 100_000

const DAY_MS = 86_400_000

export interface FetchRequest {
  readonly exchange: string
  readonly symbol: string
  readonly timeframe: string
  readonly since?: number
  readonly until?: number
  readonly out: string
  /** See EXCHANGE_URL_ENV. */
  readonly apiUrl?: string
}

export interface FetchProgress {
  readonly newBars: number
  readonly lastTime: number
  /** How far through the range, 0 to 1, by time. */
  readonly fraction: number
}

export interface FetchSummary {
  readonly exchange: string
  readonly symbol: string
  readonly timeframe: string
  readonly file: string
  /** Bars in the file now, and how many this run added. */
  readonly bars: number
  readonly newBars: number
  readonly firstTime: string | null
  readonly lastTime: string | null
  /** The last bar the file held before this run, when it resumed one. */
  readonly resumedAfter: string | null
  /** Gaps in what this run added (and at its seam with the file), by the timeframe's step. */
  readonly gaps: number
  readonly missingBars: number
  readonly gapList: ReadonlyArray<{ readonly after: string, readonly before: string, readonly missingBars: number }>
  /** Bars the exchange sent that the importer would refuse (see acceptRows), left out and so counted in the gaps. */
  readonly unsoundBars: number
  readonly requests: number
}

const iso = (ms: number | null): string | null => ms === null ? null : new Date(ms).toISOString()

interface PageLoop {
  readonly source: OhlcvSource
  readonly req: FetchRequest
  readonly start: number
  readonly until: number
  readonly stepMs: number
  readonly clock: () => number
  readonly onProgress: (p: FetchProgress) => void
  isNew: boolean
  last: number | null
  first: number | null
  newBars: number
  unsound: number
  requests: number
  readonly gaps: Gap[]
}

async function fetchPages (s: PageLoop): Promise<void> {
  let since = s.start
  while (since < s.until && s.requests < MAX_FETCH_PAGES) {
    let page: unknown[]
    try {
      page = await s.source.fetchOHLCV(s.source.symbol, s.req.timeframe, since, s.source.pageLimit)
    } catch (err) {
      throw s.source.translate(err, `fetching ${s.source.symbol} ${s.req.timeframe} from ${new Date(since).toISOString()}`)
    }
    s.requests++
    const { rows, unsound } = acceptRows(page, { from: since, until: s.until, closedBy: s.clock(), stepMs: s.stepMs })
    s.unsound += unsound
    // Nothing at or after `since`: the exchange has no later closed bar in the range.
    if (rows.length === 0) return
    s.gaps.push(...findGaps(s.last, rows.map(r => r[0]), s.stepMs))
    await appendToOut(s.req.out, csvLines(rows), s.isNew)
    s.isNew = false
    s.first ??= rows[0][0]
    s.last = rows[rows.length - 1][0]
    s.newBars += rows.length
    s.onProgress({ newBars: s.newBars, lastTime: s.last, fraction: Math.min(1, (s.last + s.stepMs - s.start) / (s.until - s.start)) })
    since = s.last + s.stepMs
  }
}

function checkRange (start: number, until: number): void {
  if (start >= until) {
    throw new StratmeshError('OPTION_INVALID', `nothing to fetch: the range starts at ${new Date(start).toISOString()}, not before --until ${new Date(until).toISOString()}`, { details: { option: '--until' } })
  }
}

/** Fetches into req.out and says what it did. Any failure is a StratmeshError; pages written before it stay. */
export async function fetchCandles (req: FetchRequest, onProgress: (p: FetchProgress) => void, clock: () => number = Date.now): Promise<FetchSummary> {
  const existing = await readExistingOut(req.out)
  const source = await openOhlcvSource(req.exchange, req.symbol, req.timeframe, req.apiUrl)
  const stepMs = source.stepMs(req.timeframe)
  const until = req.until ?? clock()
  const resumeAt = existing === null || existing.lastTime === null ? null : existing.lastTime + stepMs
  const start = resumeAt ?? req.since ?? until - DEFAULT_FETCH_DAYS * DAY_MS
  if (resumeAt === null) checkRange(start, until)
  const loop: PageLoop = {
    source, req, start, until, stepMs, clock, onProgress,
    isNew: existing === null, last: existing?.lastTime ?? null, first: existing?.firstTime ?? null,
    newBars: 0, unsound: 0, requests: 0, gaps: [],
  }
  await fetchPages(loop)
  if (loop.last === null) {
    throw new StratmeshError('FETCH_NO_BARS', `${req.exchange} has no closed ${req.timeframe} bars of ${source.symbol} from ${new Date(start).toISOString()} to ${new Date(until).toISOString()}; nothing was written`, { details: { exchange: req.exchange, symbol: req.symbol } })
  }
  return {
    exchange: req.exchange,
    symbol: source.symbol,
    timeframe: req.timeframe,
    file: req.out,
    bars: (existing?.bars ?? 0) + loop.newBars,
    newBars: loop.newBars,
    firstTime: iso(loop.first),
    lastTime: iso(loop.last),
    resumedAfter: iso(existing?.lastTime ?? null),
    gaps: loop.gaps.length,
    missingBars: loop.gaps.reduce((n, g) => n + g.missingBars, 0),
    gapList: loop.gaps.slice(0, MAX_LISTED_GAPS).map(g => ({ after: iso(g.after) as string, before: iso(g.before) as string, missingBars: g.missingBars })),
    unsoundBars: loop.unsound,
    requests: loop.requests,
  }
}
