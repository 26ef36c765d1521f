/**
 * The invariants every dataset holds, checked in one pass over the columns: equal column lengths,
 * finite numbers, strictly increasing time, positive prices, open and close inside [low, high],
 * volume not negative. The importers check rows as they read them (with file and line); this
 * check guards the binary format, whose bytes may come from another peer.
 */
import type { Candles } from '../../protocol/types.js'

export interface CandleProblem {
  readonly row: number
  readonly field: 'length' | 'time' | 'open' | 'high' | 'low' | 'close' | 'volume'
  readonly message: string
}

const FIELDS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const

/** The first broken invariant, or null when the candles are sound. */
export function findCandleProblem (c: Candles): CandleProblem | null {
  const n = c.length
  for (const f of FIELDS) {
    if (c[f].length !== n) return { row: 0, field: 'length', message: `column ${f} has ${c[f].length} values, expected ${n}` }
  }
  const { time, open, high, low, close, volume } = c
  for (let i = 0; i < n; i++) {
    // One comparison chain per row; `!(x > 0)` also catches NaN.
    if (!Number.isFinite(time[i]) || (i > 0 && !(time[i] > time[i - 1]))) return { row: i, field: 'time', message: `time ${time[i]} is not finite or not after the previous row` }
    const o = open[i]; const h = high[i]; const l = low[i]; const cl = close[i]; const v = volume[i]
    if (!(l > 0) || !Number.isFinite(h)) return { row: i, field: 'low', message: `low ${l} is not a positive price or high ${h} is not finite` }
    if (!(h >= l)) return { row: i, field: 'high', message: `high ${h} is below low ${l}` }
    if (!(o >= l && o <= h)) return { row: i, field: 'open', message: `open ${o} is outside [${l}, ${h}]` }
    if (!(cl >= l && cl <= h)) return { row: i, field: 'close', message: `close ${cl} is outside [${l}, ${h}]` }
    if (!(v >= 0) || !Number.isFinite(v)) return { row: i, field: 'volume', message: `volume ${v} is negative or not finite` }
  }
  return null
}
