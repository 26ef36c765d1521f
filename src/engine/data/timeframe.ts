/**
 * Timeframes ("5m", "1h", "4h", "1d", "1w") and the UTC buckets they cut time into, shared by
 * resampling at submit (resample.ts) and by a strategy's higher timeframe (higher-timeframe.ts),
 * so a 4h bar means the same bars in both.
 *
 * Buckets are aligned to UTC multiples of the timeframe counted from the epoch, as exchanges
 * align them: a 4h bucket starts at 00:00, 04:00, … UTC. Timeframes of whole weeks are the
 * exception: the epoch fell on a Thursday, and exchanges start their weeks on Monday, so they count
 * from Monday 1970-01-05 instead. Months are not timeframes (they have no fixed length).
 */

const UNIT_MS: Readonly<Record<string, number>> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }
const WEEK_MS = UNIT_MS.w
/** Monday 1970-01-05 00:00 UTC: weekly buckets start on Mondays. */
const WEEK_ORIGIN_MS = 4 * UNIT_MS.d

/** The timeframe's length in ms, or null when the text is not a whole number of s, m, h, d or w. */
export function parseTimeframe (text: string): number | null {
  const m = /^([1-9]\d{0,5})([smhdw])$/.exec(text)
  return m === null ? null : Number(m[1]) * UNIT_MS[m[2]]
}

/** A length in ms written as a timeframe in the largest unit that divides it ("90m", "4h"). */
export function formatTimeframe (ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's']) {
    const size = UNIT_MS[unit]
    if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`
  }
  return `${ms}ms`
}

/** The open time of the bucket of `timeframeMs` that holds the time `t` (ms UTC). */
export function bucketStart (t: number, timeframeMs: number): number {
  const origin = timeframeMs % WEEK_MS === 0 ? WEEK_ORIGIN_MS : 0
  return origin + Math.floor((t - origin) / timeframeMs) * timeframeMs
}

/**
 * The bars' step: the smallest interval between two consecutive bars (a gap only makes intervals
 * longer). NaN for fewer than two bars.
 */
export function barStep (time: Float64Array): number {
  let step = Infinity
  for (let i = 1; i < time.length; i++) {
    const d = time[i] - time[i - 1]
    if (d < step) step = d
  }
  return step === Infinity ? NaN : step
}

/**
 * Whether the bucket of the first bar holds all its bars: it does unless a whole bar would fit
 * between the bucket's start and the first bar. The same answer on every prefix of the data.
 */
export function firstBucketComplete (time: Float64Array, timeframeMs: number, stepMs: number): boolean {
  return time.length > 0 && time[0] - stepMs < bucketStart(time[0], timeframeMs)
}
