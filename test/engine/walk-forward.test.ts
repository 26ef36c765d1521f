import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseWindowLength, resolveWalkForward } from '../../src/engine/walk-forward.js'
import { parameterStability } from '../../src/engine/walk-forward-result.js'
import { createJobSpec, evalSetupFor, totalUnits } from '../../src/engine/job-setup.js'
import { validateJobSpec } from '../../src/protocol/job-spec-check.js'
import { unitInputs, unitIslands, windowOf } from '../../src/protocol/unit-layout.js'
import type { JobSpec, WalkForward } from '../../src/protocol/job-spec.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import type { ErrorCode } from '../../src/protocol/error-codes.js'
import { jobSpecFixture } from '../helpers/job-spec-fixture.js'

const HOUR = 3_600_000
/** Hourly bars from t = 0. */
function hours (n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => i * HOUR)
}

function refusedFor (fn: () => unknown, code: ErrorCode, option: string): void {
  assert.throws(fn, (err: unknown) => isStratmeshError(err, code) && (err.details?.option === option || err.details?.field === option), `${code} naming ${option}`)
}

test('rolling defaults tile the data: test = bars / (K + 3), train = 3 x test, the last test ends at the last bar', () => {
  const wf = resolveWalkForward({ mode: 'rolling' }, hours(800))
  const test = 100
  assert.equal(wf.windows.length, 5)
  wf.windows.forEach((w, k) => {
    assert.equal(w.testTo - w.trainTo, test)
    assert.equal(w.trainTo - w.trainFrom, 3 * test)
    if (k > 0) assert.equal(w.trainTo, wf.windows[k - 1].testTo, 'test ranges follow each other')
  })
  assert.equal(wf.windows[0].trainFrom, 0)
  assert.equal(wf.windows[4].testTo, 800)
})

test('anchored windows all train from bar 0; lengths as fractions or durations', () => {
  const wf = resolveWalkForward({ mode: 'anchored', windows: 3, test: '0.1' }, hours(1000))
  assert.deepEqual(wf.windows, [{ trainFrom: 0, trainTo: 700, testTo: 800 }, { trainFrom: 0, trainTo: 800, testTo: 900 }, { trainFrom: 0, trainTo: 900, testTo: 1000 }])
  const days = resolveWalkForward({ mode: 'rolling', windows: 2, train: '10d', test: '2d' }, hours(1000))
  assert.deepEqual(days.windows, [{ trainFrom: 1000 - 240 - 96, trainTo: 1000 - 96, testTo: 1000 - 48 }, { trainFrom: 1000 - 240 - 48, trainTo: 1000 - 48, testTo: 1000 }])
  assert.deepEqual(parseWindowLength('12w', '--train'), { ms: 12 * 7 * 24 * HOUR })
  for (const bad of ['1.5', '0', '90', '90y', '-0.2', 'd']) refusedFor(() => parseWindowLength(bad, '--test'), 'WALK_FORWARD_INVALID', '--test')
})

test('windows that do not fit the data are refused naming the option', () => {
  refusedFor(() => resolveWalkForward({ mode: 'rolling', windows: 5, train: '0.6', test: '0.1' }, hours(1000)), 'WALK_FORWARD_INVALID', '--train')
  refusedFor(() => resolveWalkForward({ mode: 'rolling', windows: 2, test: '0.6' }, hours(1000)), 'WALK_FORWARD_INVALID', '--test')
  refusedFor(() => resolveWalkForward({ mode: 'rolling', windows: 50 }, hours(100)), 'WALK_FORWARD_INVALID', '--windows')
  refusedFor(() => resolveWalkForward({ mode: 'anchored', train: '0.5' }, hours(1000)), 'WALK_FORWARD_INVALID', '--train')
})

const windows: WalkForward = { mode: 'rolling', windows: [{ trainFrom: 0, trainTo: 600, testTo: 800 }, { trainFrom: 200, trainTo: 800, testTo: 1000 }] }

test('a walk-forward spec is checked: ordered ranges within the bars, contiguous tests, oosFraction 0, anchored from 0', () => {
  const good: JobSpec = { ...jobSpecFixture(), oosFraction: 0, walkForward: windows }
  assert.equal(validateJobSpec(good), good)
  const cases: Array<[WalkForward | undefined, number, string]> = [
    [windows, 0.3, 'oosFraction'],
    [{ ...windows, windows: [windows.windows[0], { trainFrom: 200, trainTo: 799, testTo: 1000 }] }, 0, 'walkForward.windows[1].trainTo'],
    [{ ...windows, windows: [windows.windows[0], { trainFrom: 200, trainTo: 800, testTo: 1001 }] }, 0, 'walkForward.windows[1].testTo'],
    [{ ...windows, windows: [{ trainFrom: 0, trainTo: 1, testTo: 800 }] }, 0, 'walkForward.windows[0].trainTo'],
    [{ ...windows, windows: [{ trainFrom: 0, trainTo: 600, testTo: 601 }] }, 0, 'walkForward.windows[0].testTo'],
    [{ ...windows, mode: 'anchored' }, 0, 'walkForward.windows[1].trainFrom'],
    [{ mode: 'sliding' as never, windows: windows.windows }, 0, 'walkForward.mode'],
    [{ mode: 'rolling', windows: [] }, 0, 'walkForward.windows'],
  ]
  for (const [walkForward, oosFraction, field] of cases) {
    assert.throws(() => validateJobSpec({ ...jobSpecFixture(), oosFraction, ...(walkForward === undefined ? {} : { walkForward }) }), (err: unknown) => isStratmeshError(err, 'JOB_INVALID') && err.details?.field === field, field)
  }
})

test('units: island = window x islands + i; the migration ring stays inside a window; each window evaluates on its own ranges', () => {
  const spec = createJobSpec({ engine: jobSpecFixture().engine, strategy: { hash: 'a'.repeat(64), name: 's' }, dataset: { hash: 'b'.repeat(64), name: 'd', bars: 1000 }, ga: { islands: 3, epochs: 2 }, walkForward: windows })
  assert.equal(spec.oosFraction, 0)
  assert.equal(unitIslands(spec), 6)
  assert.equal(totalUnits(spec), 12)
  assert.deepEqual([0, 2, 3, 5].map(i => windowOf(spec, i)), [0, 0, 1, 1])
  assert.deepEqual(unitInputs(3, 3, 1), { previous: [3, 0], migrants: [5, 0] }, 'window 1 ring: 3 <- 5')
  assert.deepEqual(unitInputs(3, 4, 1), { previous: [4, 0], migrants: [3, 0] })
  assert.deepEqual(unitInputs(3, 0, 1), { previous: [0, 0], migrants: [2, 0] }, 'a plain job ring as before')
  const candles = { length: 1000, time: hours(1000) } as never
  const at = (island: number): number[] => { const s = evalSetupFor(spec, candles, island); return [s.from, s.split, s.to] }
  assert.deepEqual(at(2), [0, 600, 800])
  assert.deepEqual(at(3), [200, 800, 1000])
  assert.throws(() => evalSetupFor(spec, candles, 6), (err: unknown) => isStratmeshError(err, 'UNIT_BAD_INPUT'))
})

test('parameter stability: 1 when the windows agree, lower as the winners scatter over the range; choices by the share agreeing', () => {
  const space = { fast: { kind: 'int', min: 0, max: 10, step: 1 }, kind: { kind: 'choice', options: ['a', 'b'] } } as const
  assert.deepEqual(parameterStability(space, [{ fast: 4, kind: 'a' }, { fast: 4, kind: 'a' }]), { overall: 1, params: { fast: 1, kind: 1 } })
  // Half at each end: std = range / 2, so the numeric score is 0; the choice splits evenly.
  const split = parameterStability(space, [{ fast: 0, kind: 'a' }, { fast: 10, kind: 'b' }])
  assert.deepEqual(split.params, { fast: 0, kind: 0.5 })
  assert.equal(parameterStability(space, [{ fast: 2, kind: 'a' }, { fast: 4, kind: 'a' }, { fast: 6, kind: 'b' }]).params.kind, 2 / 3)
  assert.deepEqual(parameterStability(space, []), { overall: null, params: {} })
})
