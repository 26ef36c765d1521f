/**
 * Donchian channel: the highest high and lowest low of the last `period` bars, and their midpoint.
 * Rolling extremes use monotonic deques of bar indices, so each bar is pushed and popped at most
 * once (O(n) whatever the period). The first `period - 1` bars are NaN, as is every window that
 * contains a bar whose high or low is not finite.
 */
import { assertPeriod, assertSameLength, nanArray } from './validate.js'
import type { DonchianChannel } from '../strategy-api.js'

export function donchian (high: Float64Array, low: Float64Array, period: number): DonchianChannel {
  assertPeriod('donchian', 'period', period)
  assertSameLength('donchian', high, low)
  const n = high.length
  const upper = nanArray(n)
  const lower = nanArray(n)
  const middle = nanArray(n)
  // Each index enters a deque once between resets, so n slots never overflow.
  const maxQ = new Int32Array(n)
  const minQ = new Int32Array(n)
  let maxHead = 0; let maxTail = 0
  let minHead = 0; let minTail = 0
  let lastGap = -1
  for (let i = 0; i < n; i++) {
    const h = high[i]; const l = low[i]
    if (h - h !== 0 || l - l !== 0) {
      lastGap = i
      maxHead = maxTail = minHead = minTail = 0
      continue
    }
    while (maxTail > maxHead && high[maxQ[maxTail - 1]] <= h) maxTail--
    maxQ[maxTail++] = i
    if (maxQ[maxHead] <= i - period) maxHead++
    while (minTail > minHead && low[minQ[minTail - 1]] >= l) minTail--
    minQ[minTail++] = i
    if (minQ[minHead] <= i - period) minHead++
    if (i - lastGap < period) continue
    const hi = high[maxQ[maxHead]]
    const lo = low[minQ[minHead]]
    upper[i] = hi
    lower[i] = lo
    middle[i] = (hi + lo) / 2
  }
  return { upper, middle, lower }
}
