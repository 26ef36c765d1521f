import { test } from 'node:test'
import assert from 'node:assert/strict'
import { detectDelimiter, parseNumber, parseNumberAt, RowSplitter, splitFields } from '../../../src/engine/data/csv-fields.js'
import { createPrng } from '../../../src/engine/prng.js'
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

test('parseNumberAt agrees with Number() bit for bit (oracle), fast path or not', () => {
  const rng = createPrng(11)
  const samples = ['0', '-0', '-0.0', '+.5', '5.', '007.50', '123456789012345', '1234567890123456', '0.1', '0.30000000000000004',
    '42283.58000000', '1e5', '-2.5E-3', '9007199254740993', '0.000000000000000000001', '0.0000000000000000000000001']
  for (let i = 0; i < 3000; i++) {
    const intDigits = String(rng.int(10 ** (1 + rng.int(8))))
    const fracDigits = Array.from({ length: rng.int(12) }, () => rng.int(10)).join('')
    samples.push(`${rng.int(4) === 0 ? '-' : ''}${intDigits}${fracDigits.length > 0 ? `.${fracDigits}` : ''}`)
  }
  for (const s of samples) {
    const padded = `x,${s},y`
    assert.ok(Object.is(parseNumberAt(padded, 2, 2 + s.length, false), Number(s)), s)
  }
})

test('RowSplitter gives the same fields as splitFields, quoted or not', () => {
  const row = new RowSplitter(',', 4)
  for (const line of ['a, b ,c,d', '"x,1", "y""z" ,3,', ' 1 ,2,3,4', 'only,three,fields']) {
    const fields = splitFields(line, ',')
    assert.ok(fields !== null)
    assert.equal(row.split(line), fields.length, line)
    for (let k = 0; k < Math.min(4, fields.length); k++) assert.equal(row.field(k), fields[k], `${line} [${k}]`)
  }
  assert.equal(row.split('1,2,3,4,5,6'), 6)
  assert.equal(row.split('"open'), -1)
  const tabs = new RowSplitter('\t', 3)
  assert.equal(tabs.split(' a\t\tb '), 3)
  assert.deepEqual([tabs.field(0), tabs.field(1), tabs.field(2)], ['a', '', 'b'])
})
