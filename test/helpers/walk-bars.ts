/**
 * Hand-made bars at given open times, for tests of bucketing (resampling, higher timeframes):
 * prices from a seeded walk, each bar's high and low around its open and close.
 */
import { createPrng } from '../../src/engine/prng.js'
import type { Candles } from '../../src/protocol/types.js'

/** `volume(i, rng)` gives bar i's volume (a count, to see sums, or a random size). */
export function walkBars (times: readonly number[], seed: number, volume: (i: number, next: () => number) => number): Candles {
  const n = times.length
  const rng = createPrng(seed)
  const next = (): number => rng.next()
  const c = { length: n, time: Float64Array.from(times), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n) }
  let price = 100
  for (let i = 0; i < n; i++) {
    c.open[i] = price
    price *= 1 + (next() - 0.5) * 0.02
    c.close[i] = price
    c.high[i] = Math.max(c.open[i], price) * (1 + next() * 0.01)
    c.low[i] = Math.min(c.open[i], price) * (1 - next() * 0.01)
    c.volume[i] = volume(i, next)
  }
  return c
}
