// Multi-timeframe trend following: trade a moving-average cross on the data's bars, but only in
// the direction of the trend of a timeframe `ratio` times coarser (long when both point up, short
// when both point down, flat when they disagree). The higher bars are read through ctx.higher,
// which shows a higher bar only from the bar after it closed, so the filter never sees the future.
import { choice, defineStrategy, int } from 'stratmesh/strategy'

export default defineStrategy({
  name: 'higher-timeframe-trend',
  description: 'SMA(fast) vs SMA(slow) on the bars, traded only with the trend of a timeframe ratio x coarser: its close vs the SMA of its closes.',
  params: { fast: int(5, 60, 1), slow: int(20, 240, 5), ratio: choice([4, 8, 16]), trend: int(2, 30, 1) },
  constraints: p => p.fast < p.slow || 'fast must be below slow',
  positions (ctx, p) {
    const fast = ctx.sma(ctx.close, p.fast)
    const slow = ctx.sma(ctx.close, p.slow)
    const higher = ctx.higher(p.ratio)
    // The aligned column repeats each higher close for `ratio` bars, so `trend` higher bars span
    // trend * ratio of them.
    const higherTrend = ctx.sma(higher.close, p.trend * p.ratio)
    const out = ctx.output()
    for (let i = 0; i < ctx.length; i++) {
      const up = higher.close[i] > higherTrend[i]
      const down = higher.close[i] < higherTrend[i]
      out[i] = fast[i] > slow[i] ? (up ? 1 : 0) : fast[i] < slow[i] ? (down ? -1 : 0) : 0
    }
    return out
  },
})
