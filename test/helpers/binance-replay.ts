/**
 * A stand-in for Binance's public REST API on 127.0.0.1, for `peer data fetch` tests: ccxt's
 * binance class runs unchanged against it (STRATMESH_EXCHANGE_URL points every API host here), and
 * no exchange is reached. Responses follow Binance's documented shapes
 * (developers.binance.com: spot `GET /api/v3/exchangeInfo` and `GET /api/v3/klines`; the futures
 * `exchangeInfo` endpoints that ccxt's loadMarkets also reads answer with no symbols).
 *
 * Klines behave as the documented endpoint does: bars opening at or after startTime (and at or
 * before endTime), oldest first, at most `limit` (default 500, at most 1000). Every request is
 * recorded so a test can check how the client paged.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface ServedBar {
  readonly time: number
  readonly open: string
  readonly high: string
  readonly low: string
  readonly close: string
  readonly volume: string
}

export interface ReplayRequest {
  readonly path: string
  readonly query: Readonly<Record<string, string>>
}

export interface BinanceReplay {
  readonly url: string
  readonly requests: ReplayRequest[]
  /** The klines of BTCUSDT at this interval; may be replaced between runs. */
  bars: ServedBar[]
  readonly interval: string
  close (): Promise<void>
}

const HOUR_MS = 3_600_000

/**
 * `count` hourly bars from `start`, prices from a fixed formula (no randomness), with the bars at
 * the indexes in `missing` left out (a gap in the exchange's data).
 */
export function hourlyBars (start: number, count: number, missing: ReadonlySet<number> = new Set()): ServedBar[] {
  const bars: ServedBar[] = []
  for (let i = 0; i < count; i++) {
    if (missing.has(i)) continue
    const mid = 40_000 + 500 * Math.sin(i / 24) + 3 * (i % 7)
    const open = mid - 1.25
    const close = mid + (i % 2 === 0 ? 2.5 : -2.5)
    const fx = (x: number): string => x.toFixed(8)
    bars.push({ time: start + i * HOUR_MS, open: fx(open), high: fx(Math.max(open, close) + 10.5), low: fx(Math.min(open, close) - 9.75), close: fx(close), volume: fx(12 + (i % 13) * 0.125) })
  }
  return bars
}

function spotSymbol (symbol: string, base: string, quote: string): Record<string, unknown> {
  return {
    symbol,
    status: 'TRADING',
    baseAsset: base,
    baseAssetPrecision: 8,
    quoteAsset: quote,
    quotePrecision: 8,
    quoteAssetPrecision: 8,
    baseCommissionPrecision: 8,
    quoteCommissionPrecision: 8,
    orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
    icebergAllowed: true,
    ocoAllowed: true,
    quoteOrderQtyMarketAllowed: true,
    allowTrailingStop: true,
    cancelReplaceAllowed: true,
    isSpotTradingAllowed: true,
    isMarginTradingAllowed: true,
    filters: [
      { filterType: 'PRICE_FILTER', minPrice: '0.01000000', maxPrice: '1000000.00000000', tickSize: '0.01000000' },
      { filterType: 'LOT_SIZE', minQty: '0.00001000', maxQty: '9000.00000000', stepSize: '0.00001000' },
      { filterType: 'NOTIONAL', minNotional: '5.00000000', applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
    ],
    permissions: [],
    permissionSets: [['SPOT', 'MARGIN']],
    defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
    allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
  }
}

function exchangeInfo (symbols: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    timezone: 'UTC',
    serverTime: 1_710_000_000_000,
    rateLimits: [
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 100 },
    ],
    exchangeFilters: [],
    symbols,
  }
}

/** A kline row as Binance sends it: open time, o, h, l, c, volume, close time, quote volume, trades, taker buy base, taker buy quote, ignore. */
function klineRow (b: ServedBar, stepMs: number): unknown[] {
  return [b.time, b.open, b.high, b.low, b.close, b.volume, b.time + stepMs - 1, '0', 100, '0', '0', '0']
}

function klines (replay: BinanceReplay, q: Record<string, string>): { status: number, body: unknown } {
  if (q.symbol !== 'BTCUSDT' && q.symbol !== 'ETHUSDT') return { status: 400, body: { code: -1121, msg: 'Invalid symbol.' } }
  if (q.interval !== replay.interval) return { status: 400, body: { code: -1120, msg: 'Invalid interval.' } }
  const limit = Math.min(Number(q.limit ?? 500), 1000)
  const start = q.startTime === undefined ? -Infinity : Number(q.startTime)
  const end = q.endTime === undefined ? Infinity : Number(q.endTime)
  const rows = replay.bars.filter(b => b.time >= start && b.time <= end).slice(0, limit)
  return { status: 200, body: rows.map(b => klineRow(b, HOUR_MS)) }
}

/** Starts the server on a free port of 127.0.0.1, serving hourly BTCUSDT klines. */
export async function startBinanceReplay (bars: ServedBar[]): Promise<BinanceReplay> {
  const replay: BinanceReplay = {
    url: '',
    requests: [],
    bars,
    interval: '1h',
    close: async () => { await new Promise(resolve => server.close(resolve)) },
  }
  const server: Server = createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1')
    const query = Object.fromEntries(u.searchParams)
    replay.requests.push({ path: u.pathname, query })
    let answer: { status: number, body: unknown }
    if (u.pathname === '/api/v3/exchangeInfo') answer = { status: 200, body: exchangeInfo([spotSymbol('BTCUSDT', 'BTC', 'USDT'), spotSymbol('ETHUSDT', 'ETH', 'USDT')]) }
    else if (u.pathname === '/fapi/v1/exchangeInfo' || u.pathname === '/dapi/v1/exchangeInfo') answer = { status: 200, body: { ...exchangeInfo([]), assets: [] } }
    else if (u.pathname === '/api/v3/klines') answer = klines(replay, query)
    else answer = { status: 404, body: { code: -1, msg: `not served here: ${u.pathname}` } }
    res.writeHead(answer.status, { 'content-type': 'application/json;charset=UTF-8' })
    res.end(JSON.stringify(answer.body))
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return Object.assign(replay, { url: `http://127.0.0.1:${port}` })
}

/** A port of 127.0.0.1 nothing listens on: one just opened and closed again. */
export async function closedPort (): Promise<number> {
  const s = createServer()
  await new Promise<void>(resolve => s.listen(0, '127.0.0.1', resolve))
  const { port } = s.address() as AddressInfo
  await new Promise(resolve => s.close(resolve))
  return port
}
