// Volatility breakout: go long on a close above the upper band, exit on a close back below the middle.
import { defineStrategy, float, int } from 'stratmesh/strategy'

export default defineStrategy({
  name: 'bollinger-breakout',
  description: 'Long on a close above the upper Bollinger band; exit below the middle band.',
  params: { period: int(10, 200, 2), mult: float(1, 3.5) },
  positions (ctx, p) {
    const bands = ctx.bollinger(ctx.close, p.period, p.mult)
    const close = ctx.close
    const out = ctx.output()
    let pos = 0
    for (let i = 0; i < ctx.length; i++) {
      if (close[i] > bands.upper[i]) pos = 1
      else if (close[i] < bands.middle[i]) pos = 0
      out[i] = pos
    }
    return out
  },
})
