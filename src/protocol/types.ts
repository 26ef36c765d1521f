/**
 * Core data shapes of the engine. Pure types, shared by data import, indicators, the backtester,
 * the GA and the evaluators.
 */

/** OHLCV candles in columns. `time` is the bar's open time in milliseconds since the Unix epoch (UTC). */
export interface Candles {
  readonly length: number
  readonly time: Float64Array
  readonly open: Float64Array
  readonly high: Float64Array
  readonly low: Float64Array
  readonly close: Float64Array
  readonly volume: Float64Array
}

/** Trading costs per side, as fractions of traded notional (0.001 = 0.1 %). */
export interface Costs {
  readonly fee: number
  readonly slippage: number
}

/**
 * Performance of one strategy over one range of bars. Every field is a finite number (the
 * canonical encoding refuses NaN and Infinity), with documented fallbacks where a ratio is
 * undefined (see src/engine/metrics.ts).
 */
export interface Metrics {
  /** Final equity / initial equity - 1. */
  readonly totalReturn: number
  readonly cagr: number
  readonly sharpe: number
  readonly sortino: number
  /** Largest peak-to-trough fall of the equity curve, as a positive fraction (0.25 = -25 %). */
  readonly maxDrawdown: number
  readonly calmar: number
  readonly trades: number
  /** Fraction of closed trades with a positive return. */
  readonly winRate: number
  readonly profitFactor: number
  /** Fraction of bars with a non-zero position. */
  readonly exposure: number
  readonly bars: number
}

/** 'robust': the in-sample Sharpe averaged over a genome and its one-step neighbours (src/engine/evaluate.ts robustFitness). */
export type Objective = 'sharpe' | 'sortino' | 'calmar' | 'return' | 'robust'
export const OBJECTIVES: readonly Objective[] = ['sharpe', 'sortino', 'calmar', 'return', 'robust']

/** A genome's parameter values, by parameter name. */
export type ParamValues = Readonly<Record<string, number | string>>

/** One symbol's part of a basket genome's result (its own fitness and ranges). */
export interface SymbolResult {
  readonly fitness: number | null
  readonly inSample: Metrics | null
  readonly outOfSample: Metrics | null
}

/** The outcome of evaluating one genome. `fitness` is null when the evaluation failed. */
export interface EvalResult {
  readonly fitness: number | null
  readonly inSample: Metrics | null
  readonly outOfSample: Metrics | null
  /** `CODE: message` when the strategy threw, timed out, ran out of memory or returned bad positions. */
  readonly error?: string
  /** A basket job's per-symbol results, in the order of spec.basket.datasets (engine/basket.ts). */
  readonly symbols?: readonly SymbolResult[]
}
