import { test } from 'node:test'
import assert from 'node:assert/strict'
import { detectDelimiter, parseNumber, splitFields } from '../../../src/engine/data/csv-fields.js'
import { parseTime } from '../../../src/engine/data/time-parse.js'

test('splitFields: quotes, escaped quotes, separators inside quotes, blanks around fields', () => {
  assert.deepEqual(splitFields('a, b ,c', ','), ['a', 'b', 'c'])
  assert.deepEqual(splitFields('"a,1","say ""hi""", c', ','), ['a,1', 'say "hi"', 'c'])
  assert.deepEqual(splitFields('1,2,', ','), ['1', '2', ''])
  assert.deepEqual(splitFields('"1";"2,5"', ';'), ['1', '2,5'])
  assert.deepEqual(splitFields('x\t"y"\t', '\t'), ['x', 'y', ''])
  assert.equal(splitFields('"open,1', ','), null)
})

test('detectDelimiter picks the separator outside quotes', () => {
  assert.equal(detectDelimiter('time,open,high'), ',')
  assert.equal(detectDelimiter('"1,5";"2,5";"3,5"'), ';')
  assert.equal(detectDelimiter('a\tb\tc'), '\t')
  assert.equal(detectDelimiter('https://example.com'), null)
})

test('parseNumber is strict, and reads decimal commas only where commas cannot separate', () => {
  assert.equal(parseNumber('1.5e3', false), 1500)
  assert.equal(parseNumber('-0.25', false), -0.25)
  for (const bad of ['', 'abc', '0x10', '0b1', 'Infinity', 'NaN', '1,5', '1 000']) assert.ok(Number.isNaN(parseNumber(bad, false)), bad)
  assert.equal(parseNumber('1,5', true), 1.5)
  assert.ok(Number.isNaN(parseNumber('1,000,5', true)))
  assert.ok(Number.isNaN(parseNumber('1.000,5', true)))
})

test('parseTime refuses what it cannot read unambiguously', () => {
  for (const bad of ['01/02/2024', '2024-13-01', '2023-02-29', '2024-01-01T24:00', '99', '-1704067200', 'yesterday', '']) {
    assert.equal(parseTime(bad), null, bad)
  }
  assert.deepEqual(parseTime('2024-02-29'), { ms: Date.UTC(2024, 1, 29), notation: 'iso' })
  assert.deepEqual(parseTime('2024-01-01T00:00:00-05:30'), { ms: Date.UTC(2024, 0, 1, 5, 30), notation: 'iso' })
})
