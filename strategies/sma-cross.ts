// Trend following: long while the fast moving average is above the slow one, flat otherwise.
import { defineStrategy, int } from 'stratmesh/strategy'

export default defineStrategy({
  name: 'sma-cross',
  description: 'Long when SMA(fast) > SMA(slow), flat otherwise.',
  params: { fast: int(5, 100, 1), slow: int(20, 400, 5) },
  constraints: p => p.fast < p.slow || 'fast must be below slow',
  positions (ctx, p) {
    const fast = ctx.sma(ctx.close, p.fast)
    const slow = ctx.sma(ctx.close, p.slow)
    const out = ctx.output()
    for (let i = 0; i < ctx.length; i++) out[i] = fast[i] > slow[i] ? 1 : 0
    return out
  },
})
