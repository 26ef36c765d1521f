/**
 * The StrategyContext an evaluator hands to a strategy: the candles as columns plus the indicator
 * kernels behind a per-evaluator cache, so a GA generation that asks for SMA(20) sixty times
 * computes it once.
 *
 * Cache keys are (indicator, input series, parameters). The context's own columns have fixed ids;
 * any other series (one a strategy derived itself, or an indicator result passed back in, as in
 * the ema of an sma) is identified by object identity through a WeakMap, so chains of indicators
 * are cached at every link. Identity keys assume inputs do not change: a strategy must not mutate
 * a series after passing it to an indicator, nor mutate any result it gets back (results are
 * shared between genomes). The `verify` option checks both, at the price of recomputing on every
 * hit. The buffer from output() is mutated by design, so it is never cached.
 */
import { StratmeshError } from '../protocol/errors.js'
import { atr, bollingerFrom, difference, donchian, ema, rsi, sma, stdev, wma } from './indicators/index.js'
import { assertNonNegative, assertPeriod } from './indicators/validate.js'
import type { BollingerBands, DonchianChannel, HigherCandles, MacdLines, StrategyContext } from './strategy-api.js'
import { barStep } from './data/timeframe.js'
import { higherCandles, higherTimeframeMs } from './higher-timeframe.js'
import type { Candles } from '../protocol/types.js'

/**
 * Bound on cached indicator bytes for a context created without one (tests, benches, tools). The
 * evaluators do not use it: the pool sizes their bound from the machine's memory and its core
 * count (src/node/evaluators/cache-budget.ts), since there is one evaluator per core and a bound that suits a
 * 2-core box would make a 10-core laptop swap. 256 MiB holds 32 series of 1M bars, or 320 of 100k.
 */
export const DEFAULT_MAX_CACHE_BYTES = 256 * 1024 * 1024

export interface StrategyContextOptions {
  /** Bound on the bytes of cached results; least recently used entries are evicted past it. */
  readonly maxCacheBytes?: number
  /**
   * Debug mode: recompute on every cache hit and throw INDICATOR_CACHE_MUTATED when the cached
   * result differs, which means a strategy mutated a shared result or an input series it had
   * already passed in. Roughly doubles indicator cost.
   */
  readonly verify?: boolean
  /**
   * The bars' step in ms, which ctx.higher checks timeframes against; by default the smallest
   * interval between two bars. A prefix context of the look-ahead check gets its full data's, so
   * a timeframe is refused on every prefix or on none.
   */
  readonly barStepMs?: number
}

export interface CacheStats {
  /** Lookups answered from the cache and lookups that computed, since the context was created. */
  readonly hits: number
  readonly misses: number
  /** Bytes of the typed arrays held now, counting an array shared by two entries twice. */
  readonly bytes: number
  readonly entries: number
}

export interface CachedStrategyContext extends StrategyContext {
  readonly cacheStats: () => CacheStats
  /** Drops every cached result; the hit and miss counters keep counting. */
  clearCache (): void
}

type Cached = Float64Array | BollingerBands | MacdLines | DonchianChannel | HigherCandles

interface Entry { readonly value: Cached, readonly bytes: number }

/** The typed arrays a cached value holds, for byte accounting and verification. */
function arraysOf (value: Cached): Float64Array[] {
  return value instanceof Float64Array ? [value] : Object.values(value) as Float64Array[]
}

function sameBits (a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false
  return true
}

function assertSeries (indicator: string, src: unknown): asserts src is Float64Array {
  if (!(src instanceof Float64Array)) {
    throw new StratmeshError('INDICATOR_BAD_SERIES', `${indicator}: the input series must be a Float64Array (ctx.close, an indicator result…)`,
      { details: { indicator } })
  }
}

export function createStrategyContext (candles: Candles, opts: StrategyContextOptions = {}): CachedStrategyContext {
  const maxBytes = opts.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES
  assertNonNegative('createStrategyContext', 'maxCacheBytes', maxBytes)
  const cache = createIndicatorCache(maxBytes, opts.verify === true)
  const cached = cache.cached
  const idOf = seriesIds(candles)
  const out = new Float64Array(candles.length)
  const stepMs = opts.barStepMs ?? barStep(candles.time)

  /** One-series, one-period indicators share this path. */
  function single (name: string, kernel: (src: Float64Array, period: number) => Float64Array, src: Float64Array, period: number): Float64Array {
    assertSeries(name, src)
    assertPeriod(name, 'period', period)
    if (src === out) return kernel(src, period)
    return cached(`${name}:${idOf(src)}:${period}`, () => kernel(src, period))
  }

  const ctx: CachedStrategyContext = {
    length: candles.length,
    time: candles.time,
    open: candles.open,
    high: candles.high,
    low: candles.low,
    close: candles.close,
    volume: candles.volume,

    output (): Float64Array {
      return out.fill(0)
    },

    sma: (src, period) => single('sma', sma, src, period),
    ema: (src, period) => single('ema', ema, src, period),
    wma: (src, period) => single('wma', wma, src, period),
    rsi: (src, period) => single('rsi', rsi, src, period),
    stdev: (src, period) => single('stdev', stdev, src, period),

    atr (period: number): Float64Array {
      assertPeriod('atr', 'period', period)
      return cached(`atr::${period}`, () => atr(candles.high, candles.low, candles.close, period))
    },

    bollinger (src: Float64Array, period: number, mult: number): BollingerBands {
      assertSeries('bollinger', src)
      assertPeriod('bollinger', 'period', period)
      assertNonNegative('bollinger', 'mult', mult)
      const compute = (): BollingerBands => bollingerFrom(ctx.sma(src, period), ctx.stdev(src, period), mult)
      if (src === out) return compute()
      return cached(`bollinger:${idOf(src)}:${period},${mult}`, compute)
    },

    macd (src: Float64Array, fast: number, slow: number, signal: number): MacdLines {
      assertSeries('macd', src)
      assertPeriod('macd', 'fast', fast)
      assertPeriod('macd', 'slow', slow)
      assertPeriod('macd', 'signal', signal)
      // Built from cached links so a GA varying only `signal` reuses both emas and the macd line.
      const compute = (): MacdLines => {
        const fastEma = ctx.ema(src, fast)
        const slowEma = ctx.ema(src, slow)
        const line = src === out
          ? difference(fastEma, slowEma)
          : cached(`macd-line:${idOf(src)}:${fast},${slow}`, () => difference(fastEma, slowEma))
        const sig = ctx.ema(line, signal)
        return { macd: line, signal: sig, histogram: difference(line, sig) }
      }
      if (src === out) return compute()
      return cached(`macd:${idOf(src)}:${fast},${slow},${signal}`, compute)
    },

    donchian (period: number): DonchianChannel {
      assertPeriod('donchian', 'period', period)
      return cached(`donchian::${period}`, () => donchian(candles.high, candles.low, period))
    },

    higher (timeframe: string | number): HigherCandles {
      const tfMs = higherTimeframeMs(timeframe, stepMs)
      return cached(`higher::${tfMs}`, () => higherCandles(candles, tfMs, stepMs))
    },

    cacheStats: cache.stats,
    clearCache: cache.clear,
  }
  return ctx
}

/**
 * Ids for series in cache keys: the context's columns first, so they always get ids 0..5, then any
 * other series by identity (a WeakMap, so a strategy's own arrays can still be collected).
 */
function seriesIds (candles: Candles): (series: Float64Array) => number {
  const ids = new WeakMap<Float64Array, number>()
  let nextId = 0
  for (const column of [candles.time, candles.open, candles.high, candles.low, candles.close, candles.volume]) {
    if (!ids.has(column)) ids.set(column, nextId++)
  }
  nextId = 6
  return (series: Float64Array): number => {
    let id = ids.get(series)
    if (id === undefined) { id = nextId++; ids.set(series, id) }
    return id
  }
}

/** The context's least-recently-used cache of indicator results, bounded in bytes. */
interface IndicatorCache {
  /** The result under `key`, computed (and kept, if it fits) on a miss. */
  cached<T extends Cached> (key: string, compute: () => T): T
  stats (): CacheStats
  clear (): void
}

function createIndicatorCache (maxBytes: number, verify: boolean): IndicatorCache {
  const entries = new Map<string, Entry>() // insertion order is recency order: oldest first
  let bytes = 0
  let hits = 0
  let misses = 0

  function cached<T extends Cached> (key: string, compute: () => T): T {
    const hit = entries.get(key)
    if (hit !== undefined) {
      hits++
      entries.delete(key)
      entries.set(key, hit)
      if (verify) check(key, hit.value, compute())
      return hit.value as T
    }
    misses++
    const value = compute()
    let size = 0
    for (const a of arraysOf(value)) size += a.byteLength
    // A result larger than the whole cache would evict everything and still not fit.
    if (size > maxBytes) return value
    entries.set(key, { value, bytes: size })
    bytes += size
    for (const [oldKey, old] of entries) {
      if (bytes <= maxBytes) break
      entries.delete(oldKey)
      bytes -= old.bytes
    }
    return value
  }

  function check (key: string, cachedValue: Cached, fresh: Cached): void {
    const a = arraysOf(cachedValue); const b = arraysOf(fresh)
    for (let i = 0; i < a.length; i++) {
      if (!sameBits(a[i], b[i])) {
        throw new StratmeshError('INDICATOR_CACHE_MUTATED',
          `${key.split(':')[0]}: a cached result no longer matches its inputs; the strategy mutated an indicator result or an input series it had already used`,
          { details: { key } })
      }
    }
  }

  return {
    cached,
    stats: () => ({ hits, misses, bytes, entries: entries.size }),
    clear (): void {
      entries.clear()
      bytes = 0
    },
  }
}
