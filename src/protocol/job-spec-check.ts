/**
 * The bounds of a job description and the check every job passes, whether built by this peer or
 * read off the wire: a job outside them is refused before it can reach the engine.
 */
import { StratmeshError } from './errors.js'
import { BASKET_AGGREGATES, type JobSpec } from './job-spec.js'
import { OBJECTIVES } from './types.js'

/** Bounds on job settings: beyond them a job is a typo, not a plan (and checkpoints must fit an entry). */
export const JOB_LIMITS = {
  islands: [1, 256],
  population: [4, 1000],
  generations: [1, 1000],
  epochs: [1, 1000],
  minTrades: [0, 1_000_000],
} as const

/** Fees or slippage above 10 % per side are certainly a unit mistake (percent given as a fraction). */
export const MAX_COST = 0.1
/** Keep at least 10 % in sample, so fitness has data to stand on. */
export const MAX_OOS_FRACTION = 0.9
/**
 * Most windows of a walk-forward job. Each window is a whole GA (islands x epochs units), and
 * practitioners use 4 to 20; more windows only shrink each test range towards noise.
 */
export const MAX_WALK_FORWARD_WINDOWS = 50
/** Fewest bars in a train or test range: a backtest needs two bars to make one return. */
export const MIN_WINDOW_BARS = 2
/**
 * Most symbols of a basket job. Every evaluator of the job holds every symbol's candles and an
 * indicator cache per symbol, and every genome runs once per symbol; baskets people use for
 * robustness (a sector, the majors of a market) have 5 to 20 members.
 */
export const MAX_BASKET_SYMBOLS = 20

function bad (field: string, problem: string): StratmeshError {
  return new StratmeshError('JOB_INVALID', `job ${field} ${problem}`, { details: { field } })
}

function intIn (field: string, v: number, [lo, hi]: readonly [number, number]): void {
  if (!Number.isInteger(v) || v < lo || v > hi) throw bad(field, `must be an integer in [${lo}, ${hi}], got ${v}`)
}

function realIn (field: string, v: number, lo: number, hi: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < lo || v > hi) throw bad(field, `must be a number in [${lo}, ${hi}], got ${v}`)
}

/** Checks every field of a job spec; throws JOB_INVALID naming the first bad field. */
export function validateJobSpec (spec: JobSpec): JobSpec {
  const hex = /^[0-9a-f]{64}$/
  if (!hex.test(spec.engine?.hash ?? '')) throw bad('engine.hash', 'must be a sha256 hex string')
  if (!hex.test(spec.engine?.fingerprint ?? '')) throw bad('engine.fingerprint', 'must be a sha256 hex string')
  if (!hex.test(spec.strategy?.hash ?? '')) throw bad('strategy.hash', 'must be a sha256 hex string')
  if (!hex.test(spec.dataset?.hash ?? '')) throw bad('dataset.hash', 'must be a sha256 hex string')
  if (typeof spec.strategy.name !== 'string' || typeof spec.dataset.name !== 'string') throw bad('name', 'must be a string')
  if (!Number.isInteger(spec.dataset.bars) || spec.dataset.bars < 2) throw bad('dataset.bars', 'must be an integer >= 2')
  if (!OBJECTIVES.includes(spec.objective)) throw bad('objective', `must be one of ${OBJECTIVES.join(', ')}`)
  intIn('minTrades', spec.minTrades, JOB_LIMITS.minTrades)
  realIn('fee', spec.costs.fee, 0, MAX_COST)
  realIn('slippage', spec.costs.slippage, 0, MAX_COST)
  realIn('oosFraction', spec.oosFraction, 0, MAX_OOS_FRACTION)
  if (!Number.isSafeInteger(spec.seed) || spec.seed < 0) throw bad('seed', 'must be a non-negative safe integer')
  const ga = spec.ga
  intIn('islands', ga.islands, JOB_LIMITS.islands)
  intIn('population', ga.population, JOB_LIMITS.population)
  intIn('generations', ga.generations, JOB_LIMITS.generations)
  intIn('epochs', ga.epochs, JOB_LIMITS.epochs)
  intIn('elite', ga.elite, [0, ga.population - 1])
  intIn('tournament', ga.tournament, [1, ga.population])
  intIn('migrants', ga.migrants, [0, ga.population - 1])
  realIn('crossoverRate', ga.crossoverRate, 0, 1)
  realIn('mutationRate', ga.mutationRate, 0, 1)
  const inSample = Math.floor(spec.dataset.bars * (1 - spec.oosFraction))
  if (inSample < 2) throw bad('oosFraction', 'leaves fewer than 2 in-sample bars')
  if (spec.walkForward !== undefined) checkWalkForward(spec)
  if (spec.basket !== undefined) checkBasket(spec)
  return spec
}

/**
 * A walk-forward job's windows: within the bars, each range at least MIN_WINDOW_BARS long, test
 * ranges following each other without gap or overlap (window k's test range ends where window
 * k+1's begins), anchored windows all training from bar 0. The windows say what is out of sample,
 * so oosFraction must be 0.
 */
function checkWalkForward (spec: JobSpec): void {
  const wf = spec.walkForward as NonNullable<JobSpec['walkForward']>
  if (wf.mode !== 'rolling' && wf.mode !== 'anchored') throw bad('walkForward.mode', `must be 'rolling' or 'anchored', got ${String(wf.mode)}`)
  if (!Array.isArray(wf.windows) || wf.windows.length < 1 || wf.windows.length > MAX_WALK_FORWARD_WINDOWS) {
    throw bad('walkForward.windows', `must list 1 to ${MAX_WALK_FORWARD_WINDOWS} windows`)
  }
  if (spec.oosFraction !== 0) throw bad('oosFraction', 'must be 0 for a walk-forward job (its windows say what is out of sample)')
  const bars = spec.dataset.bars
  wf.windows.forEach((w, k) => {
    const field = `walkForward.windows[${k}]`
    intIn(`${field}.trainFrom`, w.trainFrom, [0, bars])
    intIn(`${field}.trainTo`, w.trainTo, [w.trainFrom + MIN_WINDOW_BARS, bars])
    intIn(`${field}.testTo`, w.testTo, [w.trainTo + MIN_WINDOW_BARS, bars])
    if (wf.mode === 'anchored' && w.trainFrom !== 0) throw bad(`${field}.trainFrom`, 'must be 0 in an anchored walk-forward')
    const previous = wf.windows[k - 1]
    if (previous !== undefined && w.trainTo !== previous.testTo) throw bad(`${field}.trainTo`, `must equal window ${k - 1}'s testTo (${previous.testTo}): test ranges follow each other`)
  })
}

/**
 * A basket: 2 to MAX_BASKET_SYMBOLS symbols, no symbol twice (by hash), the first being the job's
 * dataset, each leaving at least 2 in-sample bars. Walk-forward windows are bar indices of one
 * series, so a basket job has none.
 */
function checkBasket (spec: JobSpec): void {
  const basket = spec.basket as NonNullable<JobSpec['basket']>
  if (!BASKET_AGGREGATES.includes(basket.aggregate)) throw bad('basket.aggregate', `must be one of ${BASKET_AGGREGATES.join(', ')}`)
  if (!Array.isArray(basket.datasets) || basket.datasets.length < 2 || basket.datasets.length > MAX_BASKET_SYMBOLS) {
    throw bad('basket.datasets', `must list 2 to ${MAX_BASKET_SYMBOLS} symbols`)
  }
  if (spec.walkForward !== undefined) throw bad('walkForward', 'does not apply to a basket job (windows are bar indices of one series)')
  const seen = new Set<string>()
  basket.datasets.forEach((d, k) => {
    const field = `basket.datasets[${k}]`
    if (!/^[0-9a-f]{64}$/.test(d?.hash ?? '')) throw bad(`${field}.hash`, 'must be a sha256 hex string')
    if (typeof d.name !== 'string') throw bad(`${field}.name`, 'must be a string')
    if (!Number.isInteger(d.bars) || d.bars < 2) throw bad(`${field}.bars`, 'must be an integer >= 2')
    if (seen.has(d.hash)) throw bad(`${field}.hash`, `repeats symbol ${[...seen].indexOf(d.hash)} (the same candles twice)`)
    seen.add(d.hash)
    if (Math.floor(d.bars * (1 - spec.oosFraction)) < 2) throw bad('oosFraction', `leaves fewer than 2 in-sample bars of symbol ${d.name}`)
  })
  const first = basket.datasets[0]
  if (first.hash !== spec.dataset.hash || first.name !== spec.dataset.name || first.bars !== spec.dataset.bars) throw bad('basket.datasets[0]', 'must be the job\'s dataset')
}
