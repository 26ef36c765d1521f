/**
 * The bundled default dataset, generated rather than shipped: 1-minute candles shaped like a
 * liquid crypto market, from the seeded PRNG only, so every peer builds the same bytes (and the
 * same dataset id) from a few lines of code.
 *
 * The model, per bar, in log price:
 * - a Markov chain of regimes (bull, bear, sideways) lasting a day or two on average: bull and
 *   bear add a drift a trend follower can catch; sideways pulls the price back to where the regime
 *   began (an Ornstein-Uhlenbeck pull with a half-life of about 90 minutes) for mean reversion;
 * - GARCH(1,1) volatility (clusters that fade over about an hour) times a slow log-volatility
 *   factor (calm and busy days), an intraday and weekend seasonality, and a per-regime level;
 * - rare jumps of about 1 %, which also feed the GARCH variance, as real news shocks do;
 * - open = previous close; high and low drawn from the exact distribution of the maximum and
 *   minimum of a Brownian bridge from open to close over the bar (the intrabar path);
 * - volume following the intraday cycle, the volatility and the bar's own move, with noise.
 * Prices are rounded to a 0.01 tick and volumes to 0.001.
 */
import type { Candles } from '../../protocol/types.js'
import { createPrng } from '../prng.js'

export const DEFAULT_DATASET_NAME = 'synthetic-btc-1m'

export interface SyntheticOptions {
  /** Number of 1-minute bars (default 500 000, about 347 days). */
  readonly bars?: number
  readonly seed?: number
  /** Open time of the first bar, ms UTC (default 2023-01-01T00:00:00Z). */
  readonly startTime?: number
  readonly startPrice?: number
}

export const SYNTHETIC_DEFAULTS = {
  bars: 500_000,
  seed: 1,
  startTime: 1_672_531_200_000,
  startPrice: 30_000,
} as const

/** Regime codes of syntheticMarket's `regimes` array (labels, not limits). */
export const REGIME_BULL = 0
export const REGIME_BEAR = 1
export const REGIME_SIDEWAYS = 2

const BAR_MS = 60_000
const MINUTES_PER_DAY = 1440
/** Long-run volatility per 1-minute bar: about 2.7 % a day, 50 % a year, like BTC. */
const SIGMA_BAR = 0.0007
const GARCH_ALPHA = 0.05
const GARCH_BETA = 0.94
const GARCH_OMEGA = SIGMA_BAR * SIGMA_BAR * (1 - GARCH_ALPHA - GARCH_BETA)
/** The variance is capped at this many times its long-run level, so a jump cannot blow it up. */
const GARCH_CAP = 64
/**
 * Slow log-volatility: AR(1) with a half-life of about a day and a stationary sd of 0.3, stepped
 * every SLOW_VOL_EVERY bars (it moves over hours, and each draw costs time on 500k bars).
 */
const SLOW_VOL_EVERY = 8
const SLOW_VOL_PHI = Math.pow(0.9995, SLOW_VOL_EVERY)
const SLOW_VOL_SD = 0.3
const SLOW_VOL_STEP = SLOW_VOL_SD * Math.sqrt(1 - SLOW_VOL_PHI * SLOW_VOL_PHI)
const JUMP_PROB = 1 / 4000
const JUMP_SD = 0.012
/** Per-regime drift per bar, mean duration in bars, volatility level, and where it goes next. */
const DRIFT = [2e-5, -2.8e-5, 0]
const MEAN_BARS = [2400, 1800, 2000]
const VOL_LEVEL = [1, 1.25, 0.8]
// On leaving a regime: u < [0] goes bull, u < [1] bear, else sideways. A bull run ends in a range
// more often than in a crash; a range breaks out either way.
const NEXT: readonly (readonly [number, number])[] = [
  [0, 0.35], // from bull: 35 % bear, 65 % sideways
  [0.4, 0.4], // from bear: 40 % bull, 60 % sideways
  [0.55, 1], // from sideways: 55 % bull, 45 % bear
]
const SIDEWAYS_PULL = Math.LN2 / 90
/**
 * A temporary price component (overshoots that fade, half-life 20 bars) on top of the permanent
 * one, as in permanent/temporary price models: it gives short-horizon mean reversion in every
 * regime, while the regime drift gives long-horizon trends. Innovation in units of sigma.
 */
const TRANSIENT_PHI = Math.pow(2, -1 / 20)
const TRANSIENT_SD = 0.7
const BASE_VOLUME = 25
const TICK = 100 // prices in cents
const VOLUME_STEP = 1000

/** Relative volume by minute of the day (UTC), mean 1: Asian lull, European and US opens. */
function volumeSeasonTable (): Float64Array {
  const t = new Float64Array(MINUTES_PER_DAY)
  let sum = 0
  for (let m = 0; m < MINUTES_PER_DAY; m++) {
    const h = m / 60
    t[m] = 0.75 + 0.25 * Math.cos(2 * Math.PI * (h - 15) / 24) +
      0.35 * Math.exp(-(((h - 14.5) / 1.2) ** 2)) + 0.15 * Math.exp(-(((h - 8) / 1) ** 2))
    sum += t[m]
  }
  for (let m = 0; m < MINUTES_PER_DAY; m++) t[m] /= sum / MINUTES_PER_DAY
  return t
}

/** Candles and the regime of each bar (for tests and for explaining what a strategy found). */
export function syntheticMarket (options: SyntheticOptions = {}): { candles: Candles, regimes: Uint8Array } {
  const bars = options.bars ?? SYNTHETIC_DEFAULTS.bars
  const seed = options.seed ?? SYNTHETIC_DEFAULTS.seed
  const startTime = options.startTime ?? SYNTHETIC_DEFAULTS.startTime
  const startPrice = options.startPrice ?? SYNTHETIC_DEFAULTS.startPrice
  if (!Number.isSafeInteger(bars) || bars < 2) throw new RangeError(`bars must be an integer >= 2, got ${bars}`)
  if (!Number.isSafeInteger(startTime) || startTime % BAR_MS !== 0) throw new RangeError(`startTime must be a whole minute in ms, got ${startTime}`)
  if (!(startPrice >= 1 && Number.isFinite(startPrice))) throw new RangeError(`startPrice must be >= 1, got ${startPrice}`)

  const rng = createPrng(0x53594e54, seed) // 'SYNT': keeps this stream apart from GA streams of the same seed
  const time = new Float64Array(bars); const open = new Float64Array(bars); const high = new Float64Array(bars)
  const low = new Float64Array(bars); const close = new Float64Array(bars); const volume = new Float64Array(bars)
  const regimes = new Uint8Array(bars)
  const season = volumeSeasonTable()
  const round = (p: number): number => Math.round(p * TICK) / TICK

  let logP = Math.log(startPrice) // the permanent component
  let transient = 0
  let prevClose = round(startPrice)
  let h = SIGMA_BAR * SIGMA_BAR
  let slow = 0
  let regime = REGIME_SIDEWAYS
  let anchor = logP
  const startMinute = Math.floor(startTime / BAR_MS)

  for (let i = 0; i < bars; i++) {
    const minute = startMinute + i
    const minuteOfDay = minute % MINUTES_PER_DAY
    const dow = (Math.floor(minute / MINUTES_PER_DAY) + 4) % 7 // 1970-01-01 was a Thursday
    const weekend = dow === 0 || dow === 6

    // One uniform decides both rare events (a regime switch at the bottom of its range, a jump at
    // the top): they cannot coincide, which changes nothing visible and saves a draw per bar.
    const event = rng.next()
    if (event * MEAN_BARS[regime] < 1) {
      const u = rng.next(); const row = NEXT[regime]
      regime = u < row[0] ? REGIME_BULL : u < row[1] ? REGIME_BEAR : REGIME_SIDEWAYS
      if (regime === REGIME_SIDEWAYS) anchor = logP
    }
    regimes[i] = regime

    const vs = season[minuteOfDay]
    const scale = VOL_LEVEL[regime] * Math.sqrt(vs) * (weekend ? 0.85 : 1) * Math.exp(slow)
    const sigma = Math.sqrt(h) * scale
    const eps = rng.normal()
    const diffusion = sigma * eps
    const jump = event >= 1 - JUMP_PROB ? JUMP_SD * rng.normal() : 0
    const drift = regime === REGIME_SIDEWAYS ? -SIDEWAYS_PULL * (logP - anchor) : DRIFT[regime]
    const permanent = drift + diffusion + jump
    const nextTransient = TRANSIENT_PHI * transient + TRANSIENT_SD * sigma * rng.normal()
    const r = permanent + nextTransient - transient

    // The GARCH recursion runs on the shock in units of the base volatility.
    const z = (diffusion + jump) / scale
    h = Math.min(GARCH_OMEGA + GARCH_ALPHA * z * z + GARCH_BETA * h, GARCH_CAP * SIGMA_BAR * SIGMA_BAR)
    if (i % SLOW_VOL_EVERY === SLOW_VOL_EVERY - 1) slow = SLOW_VOL_PHI * slow + SLOW_VOL_STEP * rng.normal()

    // Extremes of a Brownian bridge from 0 to r with variance sigma^2 over the bar.
    const s2 = 2 * sigma * sigma
    const up = (r + Math.sqrt(r * r - s2 * Math.log(1 - rng.next()))) / 2
    const down = (r - Math.sqrt(r * r - s2 * Math.log(1 - rng.next()))) / 2
    const base = logP + transient
    const o = prevClose
    const c = round(Math.exp(base + r))
    // The clamps only matter where rounding to the tick moved open or close past an extreme.
    const hi = Math.max(round(Math.exp(base + up)), o, c)
    const lo = Math.min(round(Math.exp(base + down)), o, c)
    logP += permanent
    transient = nextTransient

    time[i] = startTime + i * BAR_MS
    open[i] = o; high[i] = hi; low[i] = lo; close[i] = c
    const activity = (0.4 + 0.6 * sigma / SIGMA_BAR) * (1 + 0.8 * Math.abs(eps)) * Math.exp(0.35 * rng.normal() - 0.06)
    volume[i] = Math.round(BASE_VOLUME * vs * (weekend ? 0.65 : 1) * activity * VOLUME_STEP) / VOLUME_STEP
    prevClose = c
  }
  return { candles: { length: bars, time, open, high, low, close, volume }, regimes }
}

/** Synthetic 1-minute candles (see the model above); the same options give the same numbers. */
export function syntheticCandles (options: SyntheticOptions = {}): Candles {
  return syntheticMarket(options).candles
}

/** The dataset a job uses when none is given: synthetic, labelled so in its name. */
export function defaultDataset (): { name: string, candles: Candles } {
  return { name: DEFAULT_DATASET_NAME, candles: syntheticCandles() }
}
