/** Candles as a header CSV (timestamp in ms, then OHLCV): what a user's export looks like, for tests and benches that submit a job from a file. */
import type { Candles } from '../../src/protocol/types.js'

export function candlesCsv (c: Candles): string {
  const lines = ['timestamp,open,high,low,close,volume']
  for (let i = 0; i < c.length; i++) lines.push(`${c.time[i]},${c.open[i]},${c.high[i]},${c.low[i]},${c.close[i]},${c.volume[i]}`)
  return lines.join('\n') + '\n'
}
