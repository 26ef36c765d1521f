import { test } from 'node:test'
import assert from 'node:assert/strict'
import { acceptRows, csvLines, FETCHED_CSV_HEADER, findGaps, importCandles, lastBarTime, type OhlcvRow } from '../../../src/engine/data/index.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'

const H = 3_600_000
const T0 = Date.UTC(2024, 0, 1)

test('acceptRows: the window [from, until), closed bars only, each time once, in order; placeholders dropped, volume 0 when missing', () => {
  const page = [
    [T0 + 3 * H, 3, 4, 2, 3.5, 7],
    [T0 + H, 1, 2, 0.5, 1.5, 1],
    [T0 + H, 1, 2, 0.5, 1.5, 1], // repeated by the exchange
    [T0, 0.9, 1, 0.8, 0.95, 2], // before `from`
    [T0 + 2 * H, 2, 3, 1, null, 4], // an empty bar as some exchanges send it
    [T0 + 4 * H, 4, 5, 3, 4.5], // no volume
    [T0 + 5 * H, 5, 6, 4, 5.5, 1], // still forming at closedBy
    'junk',
  ]
  const { rows, unsound } = acceptRows(page, { from: T0 + H, until: T0 + 10 * H, closedBy: T0 + 5 * H + H - 1, stepMs: H })
  assert.deepEqual(rows, [[T0 + H, 1, 2, 0.5, 1.5, 1], [T0 + 3 * H, 3, 4, 2, 3.5, 7], [T0 + 4 * H, 4, 5, 3, 4.5, 0]])
  assert.equal(unsound, 0)
  const untilCut = acceptRows(page, { from: T0 + H, until: T0 + 3 * H, closedBy: Infinity, stepMs: H })
  assert.deepEqual(untilCut.rows.map(r => r[0]), [T0 + H], '--until excludes the bar opening at it')
})

test('acceptRows: bars the importer would refuse are left out and counted, so the file stays importable', () => {
  const page = [[T0, 1, 2, 0.5, 1.5, 1], [T0 + H, 1, 0.4, 0.5, 0.45, 1], [T0 + 2 * H, 0, 1, 0, 0.5, 1], [T0 + 3 * H, 1, 2, 0.5, 2.5, 1], [T0 + 4 * H, 1, 2, 0.5, 1.5, -1], [T0 + 5 * H, 1, 2, 0.5, 1.5, 1]]
  const { rows, unsound } = acceptRows(page, { from: T0, until: T0 + 10 * H, closedBy: Infinity, stepMs: H })
  assert.deepEqual(rows.map(r => r[0]), [T0, T0 + 5 * H])
  assert.equal(unsound, 4)
})

test('findGaps: k steps between bars miss k - 1 bars, counted from the file\'s last bar; calendar months are not gaps', () => {
  assert.deepEqual(findGaps(null, [T0, T0 + H, T0 + 5 * H, T0 + 6 * H], H), [{ after: T0 + H, before: T0 + 5 * H, missingBars: 3 }])
  assert.deepEqual(findGaps(T0 - 3 * H, [T0], H), [{ after: T0 - 3 * H, before: T0, missingBars: 2 }], 'the seam with what the file held')
  assert.deepEqual(findGaps(null, [T0, T0 + H], H), [])
  const month = 30 * 86_400_000
  const months = [Date.UTC(2024, 0, 1), Date.UTC(2024, 1, 1), Date.UTC(2024, 2, 1), Date.UTC(2024, 4, 1)]
  assert.deepEqual(findGaps(null, months, month).map(g => g.missingBars), [1], 'only April is missing')
})

test('csvLines: the importer reads every number back to the same double', () => {
  const rows: OhlcvRow[] = [[T0, 0.1 + 0.2, 1 + 1 / 3, 0.1, 1 / 3, 1e-8 * 3], [T0 + H, 7, 9.000000001, 6.5, 8, 1234.5678]]
  const text = `${FETCHED_CSV_HEADER}\n${csvLines(rows)}`
  // Two bars are too few to backtest, so the check reads a longer file made of the same rows shifted.
  const many = Array.from({ length: 60 }, (_, i) => rows.map(r => [r[0] + i * 2 * H, ...r.slice(1)] as unknown as OhlcvRow)).flat()
  const imported = importCandles(new TextEncoder().encode(`${FETCHED_CSV_HEADER}\n${csvLines(many)}`), 'f.csv').candles
  assert.equal(imported.length, many.length)
  for (let i = 0; i < many.length; i++) {
    assert.deepEqual([imported.time[i], imported.open[i], imported.high[i], imported.low[i], imported.close[i], imported.volume[i]], [...many[i]])
  }
  assert.match(text, /^time,open,high,low,close,volume\n2024-01-01T00:00:00\.000Z,0\.30000000000000004,/)
})

test('lastBarTime: the last bar of a fetched file; a foreign or torn file is refused', () => {
  const text = `${FETCHED_CSV_HEADER}\n${csvLines([[T0, 1, 1, 1, 1, 1], [T0 + H, 1, 1, 1, 1, 1]])}`
  assert.equal(lastBarTime(FETCHED_CSV_HEADER, text.slice(20), 'f.csv'), T0 + H, 'from a tail cut mid-line at its start')
  assert.equal(lastBarTime(FETCHED_CSV_HEADER, `${FETCHED_CSV_HEADER}\n`, 'f.csv'), null, 'a header alone')
  const refused = (first: string, tail: string): boolean => {
    try { lastBarTime(first, tail, 'f.csv'); return false } catch (err) { return isStratmeshError(err, 'FETCH_OUT_NOT_RESUMABLE') }
  }
  assert.ok(refused('Date,Open,High,Low,Close,Volume', text), 'another header')
  assert.ok(refused(FETCHED_CSV_HEADER, text.slice(0, -3)), 'ends inside a line')
  assert.ok(refused(FETCHED_CSV_HEADER, `${FETCHED_CSV_HEADER}\nnot a time,1,1,1,1,1\n`), 'a last line without a time')
})
