/**
 * The exchange side of `peer data fetch`, through ccxt: opens an exchange by its ccxt id, checks the
 * symbol and the timeframe against what it lists, and turns ccxt's errors into our codes.
 *
 * ccxt is imported here, at run time, and nothing else imports this file statically: loading ccxt
 * takes about two seconds (it defines every exchange it knows), which `peer start` and the other
 * commands must not pay.
 */
import { StratmeshError } from '../../protocol/errors.js'

/**
 * Points every API host of the exchange at this base URL, keeping each path. For tests only: they
 * run a server on 127.0.0.1 that replays the exchange's documented responses, so the real ccxt code
 * path runs and no exchange is reached.
 */
export const EXCHANGE_URL_ENV = 'STRATMESH_EXCHANGE_URL'

/** What the fetch loop uses of a ccxt exchange. */
export interface OhlcvSource {
  readonly id: string
  /** The market's unified symbol (the one asked for, or the one its exchange id names). */
  readonly symbol: string
  readonly rateLimit: number
  /** Milliseconds of one bar of the timeframe. */
  stepMs (timeframe: string): number
  /** Most bars one request may ask for, when the exchange says. */
  readonly pageLimit: number | undefined
  fetchOHLCV (symbol: string, timeframe: string, since: number, limit: number | undefined): Promise<unknown[]>
  /** Maps a ccxt error to ours; anything else is returned unchanged. */
  translate (err: unknown, doing: string): unknown
}

type Ccxt = typeof import('ccxt')
type Exchange = InstanceType<Ccxt['Exchange']>

function rewriteHosts (urls: unknown, base: string): unknown {
  if (typeof urls === 'string') return urls.replace(/^[a-z]+:\/\/[^/]+/i, base.replace(/\/+$/, ''))
  if (typeof urls !== 'object' || urls === null) return urls
  return Object.fromEntries(Object.entries(urls).map(([k, v]) => [k, rewriteHosts(v, base)]))
}

function translator (ccxt: Ccxt, exchangeId: string): OhlcvSource['translate'] {
  return (err, doing) => {
    if (err instanceof StratmeshError || !(err instanceof ccxt.BaseError)) return err
    const first = (err.message.split('\n')[0] ?? '').slice(0, 300)
    // NetworkError covers timeouts, refused connections, DDoS protection and rate-limit answers.
    if (err instanceof ccxt.NetworkError) {
      return new StratmeshError('FETCH_NETWORK', `${exchangeId} could not be reached while ${doing} (${err.name}: ${first})`, { cause: err, details: { exchange: exchangeId } })
    }
    return new StratmeshError('FETCH_EXCHANGE_ERROR', `${exchangeId} answered with an error while ${doing} (${err.name}: ${first})`, { cause: err, details: { exchange: exchangeId } })
  }
}

/** The largest page the exchange documents for this market's type, from ccxt's feature table. */
function pageLimitOf (ex: Exchange, market: { type?: string, linear?: boolean | undefined }): number | undefined {
  const features = (ex as unknown as { features?: Record<string, unknown> }).features ?? {}
  let entry = features[market.type ?? 'spot'] as Record<string, unknown> | undefined
  if (entry !== undefined && !('fetchOHLCV' in entry)) entry = entry[market.linear === false ? 'inverse' : 'linear'] as Record<string, unknown> | undefined
  const limit = (entry?.fetchOHLCV as { limit?: unknown } | undefined)?.limit
  return typeof limit === 'number' && limit > 0 ? limit : undefined
}

/**
 * Opens `exchangeId` with ccxt's rate limiter on, loads its markets and checks that `symbol` and
 * `timeframe` exist there. Each failure is one StratmeshError naming what to give instead.
 */
export async function openOhlcvSource (exchangeId: string, symbol: string, timeframe: string, apiUrl: string | undefined): Promise<OhlcvSource> {
  const ccxt: Ccxt = await import('ccxt')
  const ids = ccxt.default.exchanges
  if (!ids.includes(exchangeId)) {
    const near = ids.filter(id => id.startsWith(exchangeId.toLowerCase().slice(0, 3))).slice(0, 8)
    throw new StratmeshError('FETCH_EXCHANGE_UNKNOWN', `ccxt knows no exchange '${exchangeId}'${near.length === 0 ? '' : `; similar: ${near.join(', ')}`} (${ids.length} exchanges, lower-case ids)`, { details: { exchange: exchangeId } })
  }
  const ExchangeClass = (ccxt.exchanges as unknown as Record<string, new (config: object) => Exchange>)[exchangeId]
  // enableRateLimit is ccxt's default; set here so the throttle between pages cannot be lost.
  const ex = new ExchangeClass({ enableRateLimit: true })
  if (apiUrl !== undefined && apiUrl !== '') ex.urls.api = rewriteHosts(ex.urls.api, apiUrl) as typeof ex.urls.api
  const translate = translator(ccxt, exchangeId)
  if (ex.has.fetchOHLCV !== true && ex.has.fetchOHLCV !== 'emulated') {
    throw new StratmeshError('FETCH_TIMEFRAME_UNSUPPORTED', `${exchangeId} offers no candles through ccxt (fetchOHLCV)`, { details: { exchange: exchangeId } })
  }
  const timeframes = Object.keys(ex.timeframes ?? {})
  if (!timeframes.includes(timeframe)) {
    throw new StratmeshError('FETCH_TIMEFRAME_UNSUPPORTED', `${exchangeId} has no '${timeframe}' candles; it has ${timeframes.join(', ')}`, { details: { exchange: exchangeId, timeframe, timeframes } })
  }
  try {
    await ex.loadMarkets()
  } catch (err) {
    throw translate(err, 'loading its markets')
  }
  // The unified symbol, or the exchange's own id for it (BTCUSDT on Binance) when that names one market.
  const byId = ex.markets_by_id?.[symbol] as Array<{ symbol: string }> | undefined
  const unified = ex.markets?.[symbol] === undefined && byId?.length === 1 ? byId[0].symbol : symbol
  const market = ex.markets?.[unified] as { type?: string, linear?: boolean } | undefined
  if (market === undefined) {
    const base = symbol.split(/[/:-]/)[0]?.toUpperCase() ?? ''
    const near = ex.symbols.filter(s => s.startsWith(`${base}/`)).slice(0, 8)
    throw new StratmeshError('FETCH_SYMBOL_UNKNOWN', `${exchangeId} lists no market '${symbol}'${near.length === 0 ? '' : `; markets of ${base}: ${near.join(', ')}`} (ccxt's unified form: BASE/QUOTE, BASE/QUOTE:SETTLE for swaps)`, { details: { exchange: exchangeId, symbol } })
  }
  return {
    id: exchangeId,
    symbol: unified,
    rateLimit: ex.rateLimit ?? 0,
    stepMs: tf => ex.parseTimeframe(tf) * 1000,
    pageLimit: pageLimitOf(ex, market),
    fetchOHLCV: async (s, tf, since, limit) => await ex.fetchOHLCV(s, tf, since, limit),
    translate,
  }
}
