// Momentum: long while the MACD line is above its signal line (and, optionally, above zero).
import { choice, defineStrategy, int } from 'stratmesh/strategy'

export default defineStrategy({
  name: 'macd-trend',
  description: 'Long while MACD > signal; with `filter` = "zero", only when MACD is also above zero.',
  params: { fast: int(4, 40), slow: int(10, 120, 2), signal: int(3, 30), filter: choice(['none', 'zero']) },
  constraints: p => p.fast < p.slow || 'fast must be below slow',
  positions (ctx, p) {
    const m = ctx.macd(ctx.close, p.fast, p.slow, p.signal)
    const out = ctx.output()
    const needZero = p.filter === 'zero'
    for (let i = 0; i < ctx.length; i++) {
      const up = m.macd[i] > m.signal[i] && (!needZero || m.macd[i] > 0)
      out[i] = up ? 1 : 0
    }
    return out
  },
})
