/**
 * The result of a walk-forward job: each window's winner (the best of the window's leaderboard,
 * ranked on its train range) scored on the test range after it, the test ranges chained into one
 * out-of-sample equity curve with its metrics, walk-forward efficiency and parameter stability.
 * A pure function of the job's committed checkpoints (through their winners), the candles and the
 * strategy, run in the engine bundle like every evaluation, so every peer gets the same bits.
 */
import { evaluateDetail } from './backtest-detail.js'
import { downsampleMinMax } from './downsample.js'
import { evalSetupFor } from './job-setup.js'
import { summarise } from './metrics.js'
import type { ParamSpace, StrategyContext, StrategyDefinition } from './strategy-api.js'
import type { JobSpec } from '../protocol/job-spec.js'
import type { Metrics, ParamValues } from '../protocol/types.js'
import { windowIslands } from '../protocol/unit-layout.js'

export interface WalkForwardWindowResult {
  readonly window: number
  readonly trainFrom: number
  readonly trainTo: number
  readonly testTo: number
  /** Time stamps (ms) of the first train bar, the first test bar and the last test bar. */
  readonly time: readonly [number, number, number]
  /** The window's winner; null when no genome of the window got a fitness (its test range is then flat). */
  readonly params: ParamValues | null
  readonly fitness: number | null
  readonly train: Metrics | null
  readonly test: Metrics | null
}

export interface WalkForwardResult {
  readonly windows: readonly WalkForwardWindowResult[]
  /** Metrics of the chained test ranges: each window's winner traded on its test range, from flat. */
  readonly stitched: Metrics
  /** Stitched CAGR / mean train CAGR of the winners; null when that mean is <= 0 (no efficiency to speak of). */
  readonly efficiency: number | null
  /** 1 when every window picked the same parameters, towards 0 as they scatter; null without winners. */
  readonly stability: number | null
  readonly paramStability: Readonly<Record<string, number>>
  /** The stitched equity (starting at 1) at sampled bars, for a chart. */
  readonly equity: { readonly bars: number[], readonly values: number[] }
}

/** One window's winner: the params, or null when the window has none. */
export type WindowWinner = { readonly params: ParamValues, readonly fitness: number } | null

/**
 * Per-bar returns and trade totals of the chained test ranges. Bar `from` of each range is flat
 * (return 0), as in the backtest kernel: each window's winner starts its test range from cash.
 */
function stitch (windows: ReadonlyArray<{ equity: Float64Array | null, bars: number, trades: ReadonlyArray<{ return: number }>, exposure: number }>, barsPerYear: number): { metrics: Metrics, equity: Float64Array } {
  const total = windows.reduce((n, w) => n + w.bars, 0)
  const returns = new Float64Array(total)
  const equity = new Float64Array(total)
  let k = 0
  let e = 1
  let trades = 0
  let wins = 0
  let grossWin = 0
  let grossLoss = 0
  let exposedBars = 0
  for (const w of windows) {
    for (let j = 0; j < w.bars; j++, k++) {
      const prev = j === 0 || w.equity === null ? 0 : w.equity[j - 1]
      returns[k] = prev > 0 && w.equity !== null ? w.equity[j] / prev - 1 : 0
      e *= 1 + returns[k]
      equity[k] = e
    }
    for (const t of w.trades) {
      trades++
      if (t.return > 0) { wins++; grossWin += t.return } else if (t.return < 0) grossLoss -= t.return
    }
    exposedBars += Math.round(w.exposure * w.bars)
  }
  let mean = 0
  for (let j = 0; j < total; j++) mean += returns[j]
  mean /= total
  let m2 = 0
  let downside2 = 0
  let peak = 1
  let maxDrawdown = 0
  for (let j = 0; j < total; j++) {
    m2 += (returns[j] - mean) ** 2
    if (returns[j] < 0) downside2 += returns[j] ** 2
    if (equity[j] > peak) peak = equity[j]
    maxDrawdown = Math.max(maxDrawdown, 1 - equity[j] / peak)
  }
  const metrics = summarise({ bars: total, finalEquity: e, mean, m2, downside2, maxDrawdown, trades, wins, grossWin, grossLoss, exposedBars }, barsPerYear)
  return { metrics, equity }
}

/**
 * Parameter stability across the winners: a numeric parameter scores 1 - 2 std / (max - min) of
 * its winning values (population std; 2 std reaches the range only when the winners sit half at
 * each end, so the score spans [0, 1]); a choice scores the share of windows that picked its most
 * common option. The job's stability is the mean over the parameters.
 */
export function parameterStability (space: ParamSpace, winners: readonly ParamValues[]): { overall: number | null, params: Record<string, number> } {
  const params: Record<string, number> = {}
  if (winners.length === 0) return { overall: null, params }
  for (const [name, p] of Object.entries(space).sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)) {
    const values = winners.map(w => w[name])
    if (p.kind === 'choice') {
      const counts = new Map<unknown, number>()
      for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1)
      params[name] = Math.max(...counts.values()) / values.length
    } else {
      const xs = values.map(Number)
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length
      const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length)
      params[name] = p.max > p.min ? Math.max(0, 1 - 2 * std / (p.max - p.min)) : 1
    }
  }
  const scores = Object.values(params)
  return { overall: scores.length === 0 ? null : scores.reduce((a, b) => a + b, 0) / scores.length, params }
}

/** The job's walk-forward result, given each window's winner (in window order). */
export function walkForwardResult (def: StrategyDefinition, ctx: StrategyContext, spec: JobSpec, winners: readonly WindowWinner[], maxPoints: number): WalkForwardResult {
  const ranges = spec.walkForward?.windows ?? []
  const windows: WalkForwardWindowResult[] = []
  const pieces = []
  let barsPerYear = 0
  for (const [w, range] of ranges.entries()) {
    const winner = winners[w] ?? null
    const setup = evalSetupFor(spec, ctx, windowIslands(spec, w).first)
    barsPerYear = setup.barsPerYear
    const detail = winner === null ? null : evaluateDetail(def, ctx, winner.params, setup)
    windows.push({
      window: w,
      ...range,
      time: [ctx.time[range.trainFrom], ctx.time[range.trainTo], ctx.time[range.testTo - 1]],
      params: winner?.params ?? null,
      fitness: winner?.fitness ?? null,
      train: detail?.inSample.metrics ?? null,
      test: detail?.outOfSample.metrics ?? null,
    })
    const out = detail?.outOfSample
    pieces.push({ equity: out?.equity ?? null, bars: range.testTo - range.trainTo, trades: out?.trades ?? [], exposure: out?.metrics.exposure ?? 0 })
  }
  const { metrics, equity } = stitch(pieces, barsPerYear)
  const scored = windows.filter(w => w.train !== null)
  const trainCagr = scored.length === 0 ? 0 : scored.reduce((a, w) => a + (w.train as Metrics).cagr, 0) / scored.length
  const stability = parameterStability(def.params, scored.map(w => w.params as ParamValues))
  const sampled = downsampleMinMax(equity, ranges[0]?.trainTo ?? 0, maxPoints)
  return {
    windows,
    stitched: metrics,
    efficiency: trainCagr > 0 ? metrics.cagr / trainCagr : null,
    stability: stability.overall,
    paramStability: stability.params,
    equity: { bars: Array.from(sampled.bars), values: Array.from(sampled.values) },
  }
}
