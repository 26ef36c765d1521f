// Trend following with engine-managed exits: long when the fast EMA is above the slow one; the
// stop-loss, take-profit and trailing stop are params, so the GA tunes the exits with the entry.
// After a stop the engine keeps the position flat until the signal changes (the trend ends and a
// new one starts), so a stopped trade is not re-entered on the next bar.
import { defineStrategy, float, int } from 'stratmesh/strategy'

export default defineStrategy({
  name: 'trend-stops',
  description: 'Long while the fast EMA is above the slow EMA; exits by an optimised stop-loss, take-profit or trailing stop, or when the trend turns.',
  params: {
    fast: int(5, 60, 1),
    slow: int(20, 300, 5),
    stopLoss: float(0.002, 0.05),
    takeProfit: float(0.005, 0.15),
    trailingStop: float(0.002, 0.05),
  },
  constraints: p => p.fast < p.slow || 'fast must be below slow',
  stops: p => ({ stopLoss: p.stopLoss, takeProfit: p.takeProfit, trailingStop: p.trailingStop }),
  positions (ctx, p) {
    const fast = ctx.ema(ctx.close, p.fast)
    const slow = ctx.ema(ctx.close, p.slow)
    const out = ctx.output()
    for (let i = 0; i < ctx.length; i++) out[i] = fast[i] > slow[i] ? 1 : 0
    return out
  },
})
