// Mean reversion: buy when RSI is oversold, sell the position once it recovers above the exit level.
import { defineStrategy, int } from 'stratmesh/strategy'

export default defineStrategy({
  name: 'rsi-reversion',
  description: 'Long after RSI falls below `entry`; exit when it rises above `exit`.',
  params: { period: int(2, 50), entry: int(5, 45), exit: int(40, 90) },
  constraints: p => p.entry < p.exit || 'entry must be below exit',
  positions (ctx, p) {
    const r = ctx.rsi(ctx.close, p.period)
    const out = ctx.output()
    let pos = 0
    for (let i = 0; i < ctx.length; i++) {
      const v = r[i]
      if (v < p.entry) pos = 1
      else if (v > p.exit) pos = 0
      out[i] = pos
    }
    return out
  },
})
