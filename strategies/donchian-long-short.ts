// Long/short channel breakout (turtle-style): long on a new N-bar high, short on a new N-bar low,
// leave on the opposite shorter channel, sized down when volatility (ATR / price) is high.
import { defineStrategy, float, int } from 'stratmesh/strategy'

export default defineStrategy({
  name: 'donchian-long-short',
  description: 'Long above the prior N-bar high, short below the prior N-bar low; exits on an M-bar channel; size scales with target volatility.',
  params: { entry: int(10, 300, 5), exit: int(5, 150, 5), atrPeriod: int(5, 100, 5), targetVol: float(0.0005, 0.02) },
  constraints: p => p.exit < p.entry || 'exit channel must be shorter than entry channel',
  positions (ctx, p) {
    const enter = ctx.donchian(p.entry)
    const leave = ctx.donchian(p.exit)
    const atr = ctx.atr(p.atrPeriod)
    const close = ctx.close
    const out = ctx.output()
    let side = 0
    for (let i = 1; i < ctx.length; i++) {
      // Compare with the previous bar's channel so the bar's own high/low cannot trigger itself.
      if (close[i] > enter.upper[i - 1]) side = 1
      else if (close[i] < enter.lower[i - 1]) side = -1
      else if (side === 1 && close[i] < leave.lower[i - 1]) side = 0
      else if (side === -1 && close[i] > leave.upper[i - 1]) side = 0
      const vol = atr[i] / close[i]
      const size = vol > 0 ? Math.min(1, p.targetVol / vol) : 0
      out[i] = side * size
    }
    return out
  },
})
