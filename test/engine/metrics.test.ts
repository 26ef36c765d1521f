import { test } from 'node:test'
import assert from 'node:assert/strict'
import { barsPerYear, emptyMetrics, METRIC_CAP, summarise, YEAR_MS, type RangeTotals } from '../../src/engine/metrics.js'
import { fitnessOf, objectiveValue } from '../../src/engine/objective.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import type { Metrics, Objective } from '../../src/protocol/types.js'

const DAY = 86_400_000
const BASE: RangeTotals = {
  bars: 504, finalEquity: 1.21, mean: 0.001, m2: 504 * 0.0001, downside2: 504 * 0.00004,
  maxDrawdown: 0.2, trades: 8, wins: 6, grossWin: 0.9, grossLoss: 0.3, exposedBars: 252,
}

function near (actual: number, expected: number, what: string, tol = 1e-12): void {
  assert.ok(Math.abs(actual - expected) <= tol * Math.max(1, Math.abs(expected)), `${what}: got ${actual}, expected ${expected}`)
}

test('summarise: two years to 1.21 is a 10 % CAGR; ratios from the totals', () => {
  const m = summarise(BASE, 252)
  near(m.totalReturn, 0.21, 'totalReturn')
  near(m.cagr, 0.1, 'cagr')
  near(m.calmar, 0.5, 'calmar')
  near(m.sharpe, 0.001 / 0.01 * Math.sqrt(252), 'sharpe') // std = sqrt(1e-4)
  near(m.sortino, 0.001 / Math.sqrt(0.00004) * Math.sqrt(252), 'sortino')
  assert.equal(m.winRate, 0.75)
  near(m.profitFactor, 3, 'profitFactor')
  assert.equal(m.exposure, 0.5)
  assert.equal(m.bars, 504)
  assert.equal(m.trades, 8)
})

test('summarise fallbacks: every field finite, as documented', () => {
  const all = (m: Metrics): void => { for (const [k, v] of Object.entries(m)) assert.ok(Number.isFinite(v), `${k} = ${v}`) }
  assert.deepEqual(summarise({ ...BASE, bars: 0 }, 252), emptyMetrics())
  const flat = summarise({ ...BASE, finalEquity: 1, mean: 0, m2: 0, downside2: 0, maxDrawdown: 0, trades: 0, wins: 0, grossWin: 0, grossLoss: 0 }, 252)
  all(flat)
  assert.equal(flat.sharpe, 0)
  assert.equal(flat.sortino, 0)
  assert.equal(flat.calmar, 0)
  assert.equal(flat.profitFactor, 0)
  assert.equal(flat.winRate, 0)
  const lucky = summarise({ ...BASE, downside2: 0, maxDrawdown: 0, grossLoss: 0, wins: 8 }, 252)
  all(lucky)
  assert.equal(lucky.sortino, METRIC_CAP)
  assert.equal(lucky.calmar, METRIC_CAP)
  assert.equal(lucky.profitFactor, METRIC_CAP)
  // No downside but a negative mean (cannot happen from real returns, but must not be +cap).
  assert.equal(summarise({ ...BASE, mean: -0.001, downside2: 0 }, 252).sortino, 0)
  const ruined = summarise({ ...BASE, finalEquity: 0, maxDrawdown: 1 }, 252)
  assert.equal(ruined.cagr, -1)
  assert.equal(ruined.calmar, -1)
  assert.equal(ruined.totalReturn, -1)
  // A tiny spread cannot blow the Sharpe ratio past the cap.
  assert.equal(summarise({ ...BASE, m2: 1e-300 }, 252).sharpe, METRIC_CAP)
  assert.equal(summarise({ ...BASE, mean: -0.001, m2: 1e-300 }, 252).sharpe, -METRIC_CAP)
  // CAGR over a few minutes of a doubling overflows; it is capped.
  assert.equal(summarise({ ...BASE, bars: 5, finalEquity: 2 }, 525960).cagr, METRIC_CAP)
})

test('summarise refuses a non-finite result with BACKTEST_NON_FINITE', () => {
  assert.throws(() => summarise({ ...BASE, finalEquity: Infinity }, 252), (e: unknown) => isStratmeshError(e, 'BACKTEST_NON_FINITE'))
  assert.throws(() => summarise({ ...BASE, mean: NaN }, 252), (e: unknown) => isStratmeshError(e, 'BACKTEST_NON_FINITE'))
})

test('barsPerYear: calendar days 365.25, 24/7 minutes 525960, weekdays ~260.9', () => {
  const days = Float64Array.from({ length: 1000 }, (_, i) => 1_700_000_000_000 + i * DAY)
  near(barsPerYear(days), 365.25, 'calendar days')
  const minutes = Float64Array.from({ length: 1441 }, (_, i) => 1_700_000_000_000 + i * 60_000)
  near(barsPerYear(minutes), 525960, 'minutes', 1e-12)
  // Ten years of Monday-Friday bars (stock data, before holidays take it to ~252).
  const weekdays: number[] = []
  const monday = Date.UTC(2015, 0, 5)
  for (let d = 0; d < 3650; d++) if (d % 7 < 5) weekdays.push(monday + d * DAY)
  const bpy = barsPerYear(Float64Array.from(weekdays))
  near(bpy, (weekdays.length - 1) / ((weekdays[weekdays.length - 1] - weekdays[0]) / YEAR_MS), 'weekdays')
  assert.ok(Math.abs(bpy - 365.25 * 5 / 7) < 0.2, `weekdays: ${bpy}`)
})

test('barsPerYear refuses fewer than two increasing time stamps', () => {
  for (const t of [[], [1], [5, 5], [5, 4]]) {
    assert.throws(() => barsPerYear(Float64Array.from(t)), (e: unknown) => isStratmeshError(e, 'BACKTEST_BAD_TIME'))
  }
})

test('objectives pick their metric; fitness is null below minTrades', () => {
  const m = summarise(BASE, 252)
  const expected: Record<Objective, number> = { sharpe: m.sharpe, sortino: m.sortino, calmar: m.calmar, return: m.totalReturn, robust: m.sharpe }
  for (const [objective, value] of Object.entries(expected) as [Objective, number][]) {
    assert.equal(objectiveValue(m, objective), value)
    assert.equal(fitnessOf(m, objective, 8), value)
    assert.equal(fitnessOf(m, objective, 9), null)
  }
  assert.equal(fitnessOf(emptyMetrics(), 'sharpe', 0), 0)
  assert.throws(() => objectiveValue(m, 'profit' as Objective), (e: unknown) => isStratmeshError(e, 'OBJECTIVE_UNKNOWN'))
})
