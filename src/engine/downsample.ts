/**
 * Shrinking series for a chart: a browser draws a few thousand points per series well, and a
 * million-bar curve would be tens of megabytes of JSON. Curves keep the lowest and highest point
 * of each bucket (so a drawdown's trough and an equity peak survive), candles are merged into
 * coarser candles (first open, highest high, lowest low, last close).
 */
import { StratmeshError } from '../protocol/errors.js'
import type { GenomeDetail, RangeDetail, Trade } from './backtest-detail.js'
import type { Candles, Metrics, ParamValues } from '../protocol/types.js'

/** A curve sampled at some bars: `bars[k]` is the bar index of `values[k]`, increasing. */
export interface SampledCurve {
  readonly bars: Int32Array
  readonly values: Float64Array
}

/** Candles merged in buckets of `bucketBars` bars; `bars[k]` is the first bar of bucket k. */
export interface CandleBuckets {
  readonly bucketBars: number
  readonly bars: Int32Array
  readonly time: Float64Array
  readonly open: Float64Array
  readonly high: Float64Array
  readonly low: Float64Array
  readonly close: Float64Array
}

function checkMax (what: string, max: number, least: number): void {
  if (!Number.isInteger(max) || max < least) throw new StratmeshError('DOWNSAMPLE_BAD_ARGS', `${what} must be an integer >= ${least}, got ${max}`)
}

/**
 * At most `maxPoints` points of `values` (whose element k belongs to bar `offset + k`): all of
 * them when they fit, else the first and last point and, per bucket, its lowest and highest.
 */
export function downsampleMinMax (values: Float64Array, offset: number, maxPoints: number): SampledCurve {
  checkMax('maxPoints', maxPoints, 4)
  const n = values.length
  if (n <= maxPoints) {
    return { bars: Int32Array.from({ length: n }, (_, k) => offset + k), values: Float64Array.from(values) }
  }
  const buckets = Math.floor((maxPoints - 2) / 2)
  const keep: number[] = [0]
  // Buckets over the inner points 1..n-2; each contributes its min and max, in bar order.
  const inner = n - 2
  for (let b = 0; b < buckets; b++) {
    const lo = 1 + Math.floor(b * inner / buckets)
    const hi = 1 + Math.floor((b + 1) * inner / buckets)
    if (hi <= lo) continue
    let iMin = lo
    let iMax = lo
    for (let k = lo + 1; k < hi; k++) {
      if (values[k] < values[iMin]) iMin = k
      if (values[k] > values[iMax]) iMax = k
    }
    if (iMin === iMax) keep.push(iMin)
    else keep.push(Math.min(iMin, iMax), Math.max(iMin, iMax))
  }
  keep.push(n - 1)
  return { bars: Int32Array.from(keep, k => offset + k), values: Float64Array.from(keep, k => values[k]) }
}

/** The candles of [from, to) merged into at most `maxCandles` buckets of equal bar count. */
export function aggregateCandles (candles: Candles, from: number, to: number, maxCandles: number): CandleBuckets {
  checkMax('maxCandles', maxCandles, 1)
  if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > candles.length || from > to) {
    throw new StratmeshError('DOWNSAMPLE_BAD_ARGS', `range [${from}, ${to}) is not within the ${candles.length} candles`)
  }
  const bucketBars = Math.max(1, Math.ceil((to - from) / maxCandles))
  const count = Math.ceil((to - from) / bucketBars)
  const out: CandleBuckets = {
    bucketBars,
    bars: new Int32Array(count),
    time: new Float64Array(count),
    open: new Float64Array(count),
    high: new Float64Array(count),
    low: new Float64Array(count),
    close: new Float64Array(count),
  }
  for (let b = 0; b < count; b++) {
    const start = from + b * bucketBars
    const end = Math.min(to, start + bucketBars)
    let hi = candles.high[start]
    let lo = candles.low[start]
    for (let j = start + 1; j < end; j++) {
      if (candles.high[j] > hi) hi = candles.high[j]
      if (candles.low[j] < lo) lo = candles.low[j]
    }
    out.bars[b] = start
    out.time[b] = candles.time[start]
    out.open[b] = candles.open[start]
    out.high[b] = hi
    out.low[b] = lo
    out.close[b] = candles.close[end - 1]
  }
  return out
}

/** A range's detail shrunk for a chart: curves sampled, trades capped (the first ones kept). */
export interface SampledRange {
  readonly from: number
  readonly to: number
  readonly metrics: Metrics
  readonly equity: SampledCurve
  readonly drawdown: SampledCurve
  readonly trades: readonly Trade[]
  /** Trades in the range, of which `trades` holds the first. */
  readonly tradeCount: number
}

export interface SampledGenomeDetail {
  readonly params: ParamValues
  readonly fitness: number | null
  readonly inSample: SampledRange
  readonly outOfSample: SampledRange
}

export interface SampleLimits {
  readonly maxPoints: number
  readonly maxTrades: number
}

function sampleRange (r: RangeDetail, limits: SampleLimits): SampledRange {
  return {
    from: r.from,
    to: r.to,
    metrics: r.metrics,
    equity: downsampleMinMax(r.equity, r.from, limits.maxPoints),
    drawdown: downsampleMinMax(r.drawdown, r.from, limits.maxPoints),
    trades: r.trades.slice(0, limits.maxTrades),
    tradeCount: r.trades.length,
  }
}

/** A genome's detail with every series within the limits. */
export function sampleGenomeDetail (d: GenomeDetail, limits: SampleLimits): SampledGenomeDetail {
  checkMax('maxTrades', limits.maxTrades, 0)
  return { params: d.params, fitness: d.fitness, inSample: sampleRange(d.inSample, limits), outOfSample: sampleRange(d.outOfSample, limits) }
}
