/** `peer data fetch`: candles from an exchange through ccxt into a CSV that `peer submit --data` takes. */
export { fetchCandles, DEFAULT_FETCH_DAYS, MAX_FETCH_PAGES, type FetchRequest, type FetchSummary, type FetchProgress } from './fetch-candles.js'
export { EXCHANGE_URL_ENV } from './exchange.js'
