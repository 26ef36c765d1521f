/**
 * The public strategy API: the only module a strategy may import (as `stratmesh/strategy`).
 *
 * ```ts
 * import { defineStrategy, int } from 'stratmesh/strategy'
 * export default defineStrategy({
 *   name: 'sma-cross',
 *   params: { fast: int(5, 50), slow: int(20, 200, 5) },
 *   constraints: p => p.fast < p.slow || 'fast must be below slow',
 *   positions (ctx, p) {
 *     const fast = ctx.sma(ctx.close, p.fast)
 *     const slow = ctx.sma(ctx.close, p.slow)
 *     const out = ctx.output()
 *     for (let i = 0; i < ctx.length; i++) out[i] = fast[i] > slow[i] ? 1 : 0
 *     return out
 *   }
 * })
 * ```
 */

export interface IntParam { readonly kind: 'int', readonly min: number, readonly max: number, readonly step: number }
export interface FloatParam { readonly kind: 'float', readonly min: number, readonly max: number }
export interface ChoiceParam<T extends string | number = string | number> { readonly kind: 'choice', readonly options: readonly T[] }
export type ParamSpec = IntParam | FloatParam | ChoiceParam
export type ParamSpace = Readonly<Record<string, ParamSpec>>

/** The value type of one parameter spec (distributes over a union of specs). */
export type ParamValueOf<P extends ParamSpec> = P extends ChoiceParam<infer T> ? T : number

/** The value type of each parameter, so `p.fast` autocompletes as a number. */
export type ParamsOf<S extends ParamSpace> = {
  readonly [K in keyof S]: ParamValueOf<S[K]>
}

export interface BollingerBands { readonly upper: Float64Array, readonly middle: Float64Array, readonly lower: Float64Array }
export interface MacdLines { readonly macd: Float64Array, readonly signal: Float64Array, readonly histogram: Float64Array }
export interface DonchianChannel { readonly upper: Float64Array, readonly middle: Float64Array, readonly lower: Float64Array }
/** The candles of a higher timeframe, one value per base bar (StrategyContext.higher). */
export interface HigherCandles {
  /** Open time of the higher bar shown at each base bar. */
  readonly time: Float64Array
  readonly open: Float64Array
  readonly high: Float64Array
  readonly low: Float64Array
  readonly close: Float64Array
  readonly volume: Float64Array
}

/**
 * What a strategy sees: the candles as columns and the engine's indicators. Indicator results are
 * cached per evaluator, keyed by (indicator, input series, parameters), so they are shared between
 * genomes and MUST NOT be mutated. Warm-up bars are NaN.
 */
export interface StrategyContext {
  readonly length: number
  readonly time: Float64Array
  readonly open: Float64Array
  readonly high: Float64Array
  readonly low: Float64Array
  readonly close: Float64Array
  readonly volume: Float64Array
  /** A zeroed Float64Array of `length` for the positions; reused between calls, so fill every bar. */
  output (): Float64Array
  sma (src: Float64Array, period: number): Float64Array
  ema (src: Float64Array, period: number): Float64Array
  wma (src: Float64Array, period: number): Float64Array
  rsi (src: Float64Array, period: number): Float64Array
  /** Population standard deviation over a rolling window. */
  stdev (src: Float64Array, period: number): Float64Array
  atr (period: number): Float64Array
  bollinger (src: Float64Array, period: number, mult: number): BollingerBands
  macd (src: Float64Array, fast: number, slow: number, signal: number): MacdLines
  donchian (period: number): DonchianChannel
  /**
   * A higher timeframe ('4h', '1d': a whole multiple of the bars' step; or 4: four bars' steps,
   * whatever the data's timeframe) aligned to these bars: at
   * bar i, the last higher bar that closed before bar i's own higher bar began (visible from the
   * bar after the one that closes it, so never the future). NaN before the first complete higher
   * bar has closed. Buckets are UTC multiples of the timeframe (weeks start on Monday). Cached and
   * shared like indicator results: do not mutate.
   */
  higher (timeframe: string | number): HigherCandles
}

/**
 * Returns true when the parameters are acceptable, or a string saying why they are not. Declared
 * through a method so a definition with a specific space is still assignable to the general one.
 */
export type Constraint<S extends ParamSpace> = { check (p: ParamsOf<S>): boolean | string }['check']

/**
 * Engine-managed stops of one genome, each optional, as a fraction of the trade's entry price
 * (0.02 = 2 %). The backtester resolves them inside each bar from its open, high and low (the
 * order is in backtest-stops.ts); after a stop or target exit the position stays flat until the
 * strategy's target position changes.
 */
export interface Stops {
  /** Exit when the price moves this far against the entry (0 < stopLoss < 1). */
  readonly stopLoss?: number
  /** Exit when the price moves this far in favour of the entry (> 0). */
  readonly takeProfit?: number
  /** Exit when the price falls this far from the best price since entry (0 < trailingStop < 1). */
  readonly trailingStop?: number
}

/** The stops of a genome, from its parameters (declared through a method, as Constraint is). */
export type StopsRule<S extends ParamSpace> = { rule (p: ParamsOf<S>): Stops }['rule']

export interface StrategyDefinition<S extends ParamSpace = ParamSpace> {
  readonly name: string
  readonly description?: string
  readonly params: S
  readonly constraints?: Constraint<S> | readonly Constraint<S>[]
  /** Stop-loss, take-profit and trailing stop as functions of the params, so the GA tunes them. */
  readonly stops?: StopsRule<S>
  /** Target position per bar, -1 (all-in short) .. 1 (all-in long), decided at the bar's close. */
  positions (ctx: StrategyContext, p: ParamsOf<S>): Float64Array
}

export function defineStrategy<const S extends ParamSpace> (def: StrategyDefinition<S>): StrategyDefinition<S> {
  return def
}

/** An integer parameter in [min, max] on a grid of `step`. */
export function int (min: number, max: number, step = 1): IntParam {
  return { kind: 'int', min, max, step }
}

/** A real-valued parameter in [min, max]. */
export function float (min: number, max: number): FloatParam {
  return { kind: 'float', min, max }
}

/** One of a fixed list of values. */
export function choice<const T extends string | number> (options: readonly T[]): ChoiceParam<T> {
  return { kind: 'choice', options }
}
