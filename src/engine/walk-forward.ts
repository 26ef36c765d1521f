/**
 * Resolving a walk-forward request (mode, window count, train and test lengths given as fractions
 * of the data or durations) into explicit bar ranges, once, by the submitter: the job carries the
 * ranges, so peers compute nothing and every peer agrees on them.
 *
 * Layout. The K test ranges follow each other and the last ends at the last bar (the most recent
 * data is the one a trader acts on). Rolling: each window trains on the `train` bars before its
 * test range, so the windows slide by `test` bars; bars before the first train range only warm
 * indicators up. Anchored: every window trains from bar 0 to its test range, so `--train` does not
 * apply. Defaults: K = 5, test = bars / (K + 3), train = 3 * test, so rolling windows tile the data.
 */
import { StratmeshError } from '../protocol/errors.js'
import { MIN_WINDOW_BARS } from '../protocol/job-spec-check.js'
import type { WalkForward, WalkForwardWindow } from '../protocol/job-spec.js'

export const WALK_FORWARD_MODES = ['rolling', 'anchored'] as const
export type WalkForwardMode = typeof WALK_FORWARD_MODES[number]

/** Windows of a walk-forward job unless told otherwise. */
export const DEFAULT_WALK_FORWARD_WINDOWS = 5
/** Rolling train length in test lengths by default: 3 : 1 is the usual in-sample to out-of-sample ratio. */
export const DEFAULT_TRAIN_TEST_RATIO = 3

export interface WalkForwardRequest {
  readonly mode: WalkForwardMode
  readonly windows?: number
  /** A fraction of the data ("0.2") or a duration ("90d", "12w", "36h", "30m"). */
  readonly train?: string
  readonly test?: string
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }

function invalid (option: string, problem: string): StratmeshError {
  return new StratmeshError('WALK_FORWARD_INVALID', `${option} ${problem}`, { details: { option } })
}

/** A window length as written: a fraction in (0, 1) or a duration in ms. Throws naming the option. */
export function parseWindowLength (text: string, option: string): { fraction: number } | { ms: number } {
  const duration = /^(\d+(?:\.\d+)?)([mhdw])$/.exec(text)
  if (duration !== null) {
    const ms = Number(duration[1]) * UNIT_MS[duration[2]]
    if (ms > 0) return { ms }
  } else if (/^0?\.\d+$/.test(text)) {
    const fraction = Number(text)
    if (fraction > 0 && fraction < 1) return { fraction }
  }
  throw invalid(option, `must be a fraction of the data between 0 and 1 (0.2) or a duration (90d, 12w, 36h, 30m), got ${JSON.stringify(text)}`)
}

/** Bars in a length: a fraction of all bars, or a duration at the data's mean bar spacing. */
function barsOf (text: string, option: string, time: Float64Array): number {
  const length = parseWindowLength(text, option)
  const n = time.length
  if ('fraction' in length) return Math.floor(n * length.fraction)
  const span = time[n - 1] - time[0]
  return span > 0 ? Math.round(length.ms * (n - 1) / span) : 0
}

/** The windows of `req` on candles with these time stamps; throws WALK_FORWARD_INVALID naming the option at fault. */
export function resolveWalkForward (req: WalkForwardRequest, time: Float64Array): WalkForward {
  const n = time.length
  const k = req.windows ?? DEFAULT_WALK_FORWARD_WINDOWS
  if (!(WALK_FORWARD_MODES as readonly string[]).includes(req.mode)) throw invalid('--walk-forward', `must be one of ${WALK_FORWARD_MODES.join(', ')}, got ${JSON.stringify(req.mode)}`)
  if (req.mode === 'anchored' && req.train !== undefined) throw invalid('--train', 'does not apply to an anchored walk-forward: every window trains from the first bar to its test range')
  const test = req.test === undefined ? Math.floor(n / (k + DEFAULT_TRAIN_TEST_RATIO)) : barsOf(req.test, '--test', time)
  if (test < MIN_WINDOW_BARS) throw invalid(req.test === undefined ? '--windows' : '--test', `gives test ranges of ${test} bars; each needs at least ${MIN_WINDOW_BARS} (the data has ${n} bars)`)
  const firstTest = n - k * test
  const train = req.mode === 'anchored' ? firstTest : req.train === undefined ? DEFAULT_TRAIN_TEST_RATIO * test : barsOf(req.train, '--train', time)
  if (train < MIN_WINDOW_BARS) throw invalid(req.mode === 'anchored' || req.train === undefined ? '--windows' : '--train', `leaves a train range of ${train} bars; it needs at least ${MIN_WINDOW_BARS} (the data has ${n} bars)`)
  if (firstTest - train < 0) {
    const option = req.train !== undefined ? '--train' : req.test !== undefined ? '--test' : '--windows'
    throw invalid(option, `does not fit the data: ${k} windows of ${train} train and ${test} test bars need ${train + k * test} bars, the data has ${n}`)
  }
  const windows: WalkForwardWindow[] = []
  for (let w = 0; w < k; w++) {
    const trainTo = firstTest + w * test
    windows.push({ trainFrom: req.mode === 'anchored' ? 0 : trainTo - train, trainTo, testTo: trainTo + test })
  }
  return { mode: req.mode, windows }
}
