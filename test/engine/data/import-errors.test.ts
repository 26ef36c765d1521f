import { test } from 'node:test'
import assert from 'node:assert/strict'
import { importCandles, encodeDataset, syntheticCandles } from '../../../src/engine/data/index.js'
import { StratmeshError } from '../../../src/protocol/errors.js'
import { createPrng } from '../../../src/engine/prng.js'

const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const HEADER = 'time,open,high,low,close,volume'
const GOOD = ['2024-01-01,10,11,9,10.5,100', '2024-01-02,10.5,12,10,11,100', '2024-01-03,11,11.5,10.5,11.2,100',
  '2024-01-04,11.2,11.4,11,11.1,100', '2024-01-05,11.1,11.6,11,11.5,100']

/** A CSV with the good rows, one of them (0-based) replaced; line numbers are row + 2. */
function csvWith (row: number, replacement: string): Uint8Array {
  const rows = [...GOOD]
  rows[row] = replacement
  return text([HEADER, ...rows].join('\n'))
}

function expectError (bytes: Uint8Array, file: string, code: string, details: Record<string, unknown>, message?: string | RegExp): void {
  assert.throws(() => importCandles(bytes, file), (err: unknown) => {
    assert.ok(err instanceof StratmeshError, `not a StratmeshError: ${String(err)}`)
    assert.equal(err.code, code, err.message)
    assert.deepEqual(err.details, details)
    if (typeof message === 'string') assert.equal(err.message, message)
    else if (message !== undefined) assert.match(err.message, message)
    return true
  })
}

test('a bad number names file, line and field', () => {
  const rows = [HEADER, ...GOOD, '2024-01-06,11.5,12,11,abc,100']
  expectError(text(rows.join('\n')), 'prices.csv', 'CSV_BAD_NUMBER', { file: 'prices.csv', line: 7, field: 'close' },
    'prices.csv line 7, field "close": "abc" is not a number')
  expectError(csvWith(1, '2024-01-02,,12,10,11,100'), 'p.csv', 'CSV_BAD_NUMBER', { file: 'p.csv', line: 3, field: 'open' }, /"" is not a number/)
  expectError(csvWith(1, '2024-01-02,0x10,12,10,11,100'), 'p.csv', 'CSV_BAD_NUMBER', { file: 'p.csv', line: 3, field: 'open' })
  expectError(csvWith(1, '2024-01-02,10.5,12,10,11,Infinity'), 'p.csv', 'CSV_BAD_NUMBER', { file: 'p.csv', line: 3, field: 'volume' })
  // The field name is the header's own spelling.
  expectError(text('Date,Open,High,Low,Close,Volume\n2024-01-01,1,2,1,1,x\n2024-01-02,1,2,1,1,1'), 'q.csv', 'CSV_BAD_NUMBER',
    { file: 'q.csv', line: 2, field: 'Volume' })
})

test('empty, blank, header-only and one-row files', () => {
  expectError(new Uint8Array(0), 'e.csv', 'CSV_EMPTY', { file: 'e.csv' }, 'e.csv: the file is empty')
  expectError(text(' \r\n\n\t\n'), 'e.csv', 'CSV_EMPTY', { file: 'e.csv' })
  expectError(text('\ufeff'), 'e.csv', 'CSV_EMPTY', { file: 'e.csv' })
  expectError(text(`${HEADER}\n\n`), 'h.csv', 'CSV_HEADER_ONLY', { file: 'h.csv', line: 1 })
  expectError(text(`${HEADER}\n${GOOD[0]}\n`), 'one.csv', 'CSV_TOO_FEW_ROWS', { file: 'one.csv', rows: 1, skipped: 0 })
  expectError(text('Date,Open,High,Low,Close,Adj Close,Volume\n2024-01-01,null,null,null,null,null,null\n2024-01-02,1,1,1,1,1,1\n'),
    'y.csv', 'CSV_TOO_FEW_ROWS', { file: 'y.csv', rows: 1, skipped: 1 }, /null values/)
})

test('binary files are refused before parsing', () => {
  const rng = createPrng(99)
  const noise = Uint8Array.from({ length: 4096 }, () => rng.int(256))
  expectError(noise, 'noise.bin', 'CSV_BINARY', { file: 'noise.bin', byte: noise.findIndex(c => c < 9 || (c > 13 && c < 32)) })
  expectError(Uint8Array.from([0x1f, 0x8b, 8, 0, 0]), 'data.csv.gz', 'CSV_BINARY', { file: 'data.csv.gz' }, /gzip/)
  expectError(Uint8Array.from([0x50, 0x4b, 3, 4, 0]), 'book.xlsx', 'CSV_BINARY', { file: 'book.xlsx' }, /zip archive or an Excel/)
  const dataset = encodeDataset(syntheticCandles({ bars: 10 }))
  expectError(dataset, 'x.smds', 'CSV_BINARY', { file: 'x.smds' }, /stratmesh dataset/)
  // UTF-16 without a byte-order mark: every other byte is NUL.
  const u16 = Uint8Array.from([...'time,open'].flatMap(ch => [ch.charCodeAt(0), 0]))
  expectError(u16, 'u16.csv', 'CSV_BINARY', { file: 'u16.csv', byte: 1 }, /UTF-16/)
})

test('unreadable times', () => {
  expectError(csvWith(2, '01/03/2024,11,11.5,10.5,11.2,100'), 'p.csv', 'CSV_BAD_TIME', { file: 'p.csv', line: 4, field: 'time' }, /"01\/03\/2024" is not a time/)
  expectError(csvWith(2, '2024-02-30,11,11.5,10.5,11.2,100'), 'p.csv', 'CSV_BAD_TIME', { file: 'p.csv', line: 4, field: 'time' })
  // A small integer is an index column, not 1970.
  expectError(csvWith(0, '17,10,11,9,10.5,100'), 'p.csv', 'CSV_BAD_TIME', { file: 'p.csv', line: 2, field: 'time' })
})

test('prices and volume that cannot be', () => {
  expectError(csvWith(1, '2024-01-02,-10.5,12,10,11,100'), 'p.csv', 'CSV_BAD_PRICE', { file: 'p.csv', line: 3, field: 'open' }, 'p.csv line 3, field "open": price -10.5 is not positive')
  expectError(csvWith(1, '2024-01-02,0,0,0,0,100'), 'p.csv', 'CSV_BAD_PRICE', { file: 'p.csv', line: 3, field: 'open' })
  expectError(csvWith(1, '2024-01-02,10.5,12,10,0,100'), 'p.csv', 'CSV_BAD_PRICE', { file: 'p.csv', line: 3, field: 'close' })
  expectError(csvWith(1, '2024-01-02,10.5,12,10,11,-1'), 'p.csv', 'CSV_NEGATIVE_VOLUME', { file: 'p.csv', line: 3, field: 'volume' })
  expectError(csvWith(3, '2024-01-04,11.2,10,11,11.1,100'), 'p.csv', 'CSV_HIGH_BELOW_LOW', { file: 'p.csv', line: 5, field: 'high' }, 'p.csv line 5, field "high": high 10 is below low 11')
  expectError(csvWith(3, '2024-01-04,11.5,11.4,11,11.1,100'), 'p.csv', 'CSV_PRICE_OUTSIDE_RANGE', { file: 'p.csv', line: 5, field: 'open' }, /open 11.5 is outside the bar's range \[low 11, high 11.4\]/)
  expectError(csvWith(3, '2024-01-04,11.2,11.4,11,10.9,100'), 'p.csv', 'CSV_PRICE_OUTSIDE_RANGE', { file: 'p.csv', line: 5, field: 'close' })
})

test('duplicated or out-of-order times, in either file direction', () => {
  expectError(csvWith(2, '2024-01-02,11,11.5,10.5,11.2,100'), 'p.csv', 'CSV_TIME_NOT_INCREASING', { file: 'p.csv', line: 4, field: 'time' },
    'p.csv line 4, field "time": time 2024-01-02T00:00:00.000Z is the same as line 3 (2024-01-02T00:00:00.000Z); rows must be in time order, oldest or newest first, without duplicates')
  expectError(csvWith(3, '2024-01-01T12:00,11.2,11.4,11,11.1,100'), 'p.csv', 'CSV_TIME_NOT_INCREASING', { file: 'p.csv', line: 5, field: 'time' }, /is before line 4/)
  // Newest first, with one row out of place: the break is reported where reading top-down meets it.
  const down = [HEADER, GOOD[4], GOOD[3], GOOD[1], GOOD[2], GOOD[0]]
  expectError(text(down.join('\n')), 'd.csv', 'CSV_TIME_NOT_INCREASING', { file: 'd.csv', line: 5, field: 'time' }, /is after line 4/)
})

test('missing columns, wrong field counts, unclosed quotes, unknown shapes', () => {
  expectError(text('date,open,high,low,close\n2024-01-01,1,1,1,1\n'), 'm.csv', 'CSV_MISSING_COLUMN', { file: 'm.csv', line: 1, field: 'volume' },
    /field "volume": no such column \(columns found: date, open, high, low, close\)/)
  expectError(text('open,high,low,close,volume\n1,1,1,1,1\n'), 'm.csv', 'CSV_MISSING_COLUMN', { file: 'm.csv', line: 1, field: 'time' })
  expectError(text('1704067200000,1,1,1,1\n1704067260000,1,1,1,1\n'), 'm.csv', 'CSV_MISSING_COLUMN', { file: 'm.csv', line: 1 })
  expectError(csvWith(2, '2024-01-03,11,11.5,10.5,11.2'), 'p.csv', 'CSV_BAD_ROW', { file: 'p.csv', line: 4 }, 'p.csv line 4: 5 fields where the header has 6')
  expectError(csvWith(2, '2024-01-03,"11,11.5,10.5,11.2,100'), 'p.csv', 'CSV_BAD_ROW', { file: 'p.csv', line: 4 }, /quoted field is not closed/)
  expectError(text('hello\nworld\n'), 'w.txt', 'CSV_UNKNOWN_FORMAT', { file: 'w.txt' })
})

test('JSON errors name the element and the field', () => {
  const t = 1704067200000
  const json = (v: unknown): Uint8Array => text(JSON.stringify(v))
  expectError(text('[[1704067200000, 1, 2'), 'x.json', 'JSON_SYNTAX', { file: 'x.json' }, /not valid JSON/)
  expectError(text('{"data": []}'), 'x.json', 'JSON_BAD_SHAPE', { file: 'x.json' })
  expectError(json([[t, 1, 1, 1, 1, 1], 'x']), 'x.json', 'JSON_BAD_SHAPE', { file: 'x.json', index: 1, field: 'row' })
  expectError(json([[t, 1, 1, 1, 1, 1], [t + 1, 1, 1, 1, 1]]), 'x.json', 'JSON_BAD_SHAPE', { file: 'x.json', index: 1, field: 'row' })
  expectError(json([[t, 1, 1, 1, 1, 1], [t + 1, 1, 1, 1, 1, null]]), 'x.json', 'JSON_BAD_SHAPE', { file: 'x.json', index: 1, field: 'volume' },
    'x.json element [1], field "volume": null is not a number')
  expectError(json([[t, 1, 1, 1, 1, 1], [true, 1, 1, 1, 1, 1]]), 'x.json', 'JSON_BAD_SHAPE', { file: 'x.json', index: 1, field: 'time' })
  expectError(json([[t, 1, 1, 1, 1, 1]]), 'x.json', 'JSON_TOO_FEW_ROWS', { file: 'x.json', rows: 1, skipped: 0 })
  expectError(json([]), 'x.json', 'JSON_TOO_FEW_ROWS', { file: 'x.json', rows: 0, skipped: 0 })
  // The shared row checks apply to JSON too.
  expectError(json([[t, 1, 1, 1, 1, 1], [t + 60000, 1, 1, 2, 1, 1]]), 'x.json', 'CSV_HIGH_BELOW_LOW', { file: 'x.json', index: 1, field: 'high' })
  expectError(json([[t, 1, 1, 1, 1, 1], [t, 1, 1, 1, 1, 1]]), 'x.json', 'CSV_TIME_NOT_INCREASING', { file: 'x.json', index: 1, field: 'time' })
})

test('mangled files fail with a StratmeshError or import whole, never with anything else', () => {
  const base = text([HEADER, ...GOOD].join('\n'))
  const rng = createPrng(2024)
  let refused = 0
  for (let k = 0; k < 400; k++) {
    const bytes = base.slice()
    for (let m = 0; m < 1 + rng.int(3); m++) bytes[rng.int(bytes.length)] = rng.int(128)
    try {
      const { candles } = importCandles(bytes, 'fuzz.csv')
      // A mutation that still imports must keep every row (only column names may not matter).
      assert.equal(candles.length, GOOD.length)
    } catch (err) {
      assert.ok(err instanceof StratmeshError, `mutation ${k} threw ${String(err)}`)
      assert.match(err.code, /^[A-Z_]+$/)
      assert.doesNotMatch(err.message, /\n\s+at /)
      refused++
    }
  }
  assert.ok(refused > 100, `only ${refused} of 400 mutations were refused`)
})
