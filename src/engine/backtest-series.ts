/**
 * A range's detail (backtest-detail.ts) as one Float64Array, for `peer backtest`: an equity curve
 * of a million bars is tens of megabytes as JSON, and 8 bytes a value as a typed array, which
 * isolated-vm and the evaluator's IPC channel copy as it is. Layout: the equity of each bar, its
 * drawdown, then five values per trade (entry bar, exit bar, side, open as 0/1, return).
 */
import { StratmeshError } from '../protocol/errors.js'
import type { RangeDetail, Trade } from './backtest-detail.js'

const TRADE_FIELDS = 5

/** Values a range of `bars` bars with `trades` trades packs into. */
export function seriesLength (bars: number, trades: number): number {
  return 2 * bars + TRADE_FIELDS * trades
}

export function packRangeSeries (d: RangeDetail): Float64Array {
  const bars = d.to - d.from
  const out = new Float64Array(seriesLength(bars, d.trades.length))
  out.set(d.equity.subarray(0, bars), 0)
  out.set(d.drawdown.subarray(0, bars), bars)
  let k = 2 * bars
  for (const t of d.trades) {
    out[k++] = t.entryBar
    out[k++] = t.exitBar
    out[k++] = t.side
    out[k++] = t.open ? 1 : 0
    out[k++] = t.return
  }
  return out
}

export interface RangeSeries {
  readonly equity: Float64Array
  readonly drawdown: Float64Array
  readonly trades: readonly Trade[]
}

function bad (problem: string): StratmeshError {
  return new StratmeshError('EVAL_BAD_MESSAGE', `backtest series ${problem}`)
}

/**
 * The series of [from, to) with `tradeCount` trades, checked value by value: it comes out of an
 * evaluator, which runs other people's code.
 */
export function unpackRangeSeries (series: unknown, from: number, to: number, tradeCount: number): RangeSeries {
  const bars = to - from
  if (!(series instanceof Float64Array) || series.length !== seriesLength(bars, tradeCount)) throw bad(`is not ${seriesLength(bars, tradeCount)} Float64 values`)
  const equity = series.slice(0, bars)
  const drawdown = series.slice(bars, 2 * bars)
  for (let k = 0; k < bars; k++) {
    if (!(equity[k] >= 0 && Number.isFinite(equity[k]))) throw bad(`equity at bar ${from + k} is ${equity[k]}`)
    if (!(drawdown[k] >= -1 && drawdown[k] <= 0)) throw bad(`drawdown at bar ${from + k} is ${drawdown[k]}`)
  }
  const trades: Trade[] = []
  for (let i = 0, k = 2 * bars; i < tradeCount; i++, k += TRADE_FIELDS) {
    const [entryBar, exitBar, side, open, ret] = series.subarray(k, k + TRADE_FIELDS)
    if (!Number.isInteger(entryBar) || !Number.isInteger(exitBar) || entryBar < from || entryBar > exitBar || exitBar >= to) throw bad(`trade ${i} has bars outside the range`)
    if ((side !== 1 && side !== -1) || (open !== 0 && open !== 1) || !(ret >= -1 && Number.isFinite(ret))) throw bad(`trade ${i} is malformed`)
    trades.push({ side, entryBar, exitBar, open: open === 1, return: ret })
  }
  return { equity, drawdown, trades }
}
