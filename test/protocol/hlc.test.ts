import { test } from 'node:test'
import assert from 'node:assert/strict'
import { compareHlc, observe, tick } from '../../src/protocol/hlc.js'
import { MAX_CLOCK_SKEW_MS, MAX_HLC_COUNTER } from '../../src/protocol/limits.js'
import { isStratmeshError } from '../../src/protocol/errors.js'

test('tick follows the wall clock forward and counts when it stalls or goes back', () => {
  assert.deepEqual(tick(null, 1000), [1000, 0])
  assert.deepEqual(tick([1000, 0], 1500), [1500, 0])
  assert.deepEqual(tick([1000, 3], 1000), [1000, 4])
  assert.deepEqual(tick([1000, 3], 400), [1000, 4], 'a clock that went back never makes time go back')
  assert.deepEqual(tick([1000, MAX_HLC_COUNTER], 1000), [1001, 0], 'counter overflow carries into the wall time')
  assert.deepEqual(tick(null, 1000.7), [1000, 0])
})

test('observe returns a time after both clocks', () => {
  assert.deepEqual(observe([1000, 2], [900, 9], 950), [1000, 3], 'local ahead')
  assert.deepEqual(observe([1000, 2], [1200, 5], 950), [1200, 6], 'remote ahead of local and of now')
  assert.deepEqual(observe([1000, 2], [1000, 7], 950), [1000, 8], 'same wall time: max counter + 1')
  assert.deepEqual(observe([1000, 2], [1100, 7], 2000), [2000, 0], 'now ahead of both')
  assert.deepEqual(observe(null, [500, 1], 100), [500, 2])
  const a = observe([1000, 2], [1000, 7], 950)
  assert.ok(compareHlc(a, [1000, 7]) > 0 && compareHlc(a, [1000, 2]) > 0)
})

test('observe refuses a remote clock too far ahead of local time', () => {
  assert.deepEqual(observe(null, [1000 + MAX_CLOCK_SKEW_MS, 0], 1000), [1000 + MAX_CLOCK_SKEW_MS, 1])
  assert.throws(() => observe(null, [1001 + MAX_CLOCK_SKEW_MS, 0], 1000), err => isStratmeshError(err, 'HLC_TOO_FAR_AHEAD'))
})

test('compareHlc orders by wall time, then counter', () => {
  assert.ok(compareHlc([1, 5], [2, 0]) < 0)
  assert.ok(compareHlc([2, 1], [2, 0]) > 0)
  assert.equal(compareHlc([2, 1], [2, 1]), 0)
})
