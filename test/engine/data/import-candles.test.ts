import { test } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { importCandles } from '../../../src/engine/data/index.js'

const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../fixtures/csv/${name}`, import.meta.url)))
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const cols = (c: { time: Float64Array, open: Float64Array, high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array }) =>
  ({ time: [...c.time], open: [...c.open], high: [...c.high], low: [...c.low], close: [...c.close], volume: [...c.volume] })
const MIN = 60_000

test('Binance kline export without a header (ms): columns, interval and a reported gap', () => {
  const { candles, format, report } = importCandles(fixture('binance-btcusdt-1m.csv'), 'binance-btcusdt-1m.csv')
  assert.equal(format, 'binance-kline')
  const t0 = Date.UTC(2024, 0, 1)
  assert.deepEqual(cols(candles), {
    time: [t0, t0 + MIN, t0 + 2 * MIN, t0 + 4 * MIN, t0 + 5 * MIN],
    open: [42283.58, 42298.62, 42319.99, 42325.1, 42287.1],
    high: [42298.62, 42320, 42331.54, 42325.1, 42300],
    low: [42261.02, 42298.61, 42306.12, 42281.05, 42270],
    close: [42298.61, 42320, 42325.09, 42287.1, 42293.79],
    volume: [35.92724, 21.3755, 19.51003, 25.00127, 12.3],
  })
  assert.deepEqual(report, {
    rows: 5, skipped: 0, skippedReasons: {}, firstTime: t0, lastTime: t0 + 5 * MIN,
    medianIntervalMs: MIN, gaps: 1, largestGap: { fromTime: t0 + 2 * MIN, toTime: t0 + 4 * MIN, ms: 2 * MIN },
    reversed: false, timeNotations: ['unix-ms'],
  })
})

test('Binance spot export with microsecond open times', () => {
  const { candles, format, report } = importCandles(fixture('binance-btcusdt-1h-microseconds.csv'), 'us.csv')
  assert.equal(format, 'binance-kline')
  const t0 = Date.UTC(2025, 0, 1)
  assert.deepEqual([...candles.time], [t0, t0 + 3_600_000, t0 + 7_200_000])
  assert.deepEqual([...candles.close], [94401.14, 94204.61, 94320.26])
  assert.deepEqual(report.timeNotations, ['unix-us'])
  assert.equal(report.medianIntervalMs, 3_600_000)
})

test('Yahoo daily CSV: Close (not Adj Close) is used, null rows are skipped and counted', () => {
  const { candles, format, report } = importCandles(fixture('yahoo-spy-daily.csv'), 'spy.csv')
  assert.equal(format, 'yahoo-csv')
  const day = 86_400_000
  const t0 = Date.UTC(2024, 0, 2)
  assert.deepEqual([...candles.time], [t0, t0 + day, t0 + 2 * day, t0 + 6 * day])
  assert.deepEqual([...candles.close], [472.649994, 468.790009, 467.279999, 474.600006])
  assert.deepEqual([...candles.volume], [123623700, 103585900, 84232200, 74879100])
  assert.equal(report.skipped, 1)
  assert.deepEqual(report.skippedReasons, { 'null values': 1 })
  assert.equal(report.medianIntervalMs, day)
  assert.equal(report.gaps, 1)
  assert.deepEqual(report.largestGap, { fromTime: t0 + 2 * day, toTime: t0 + 6 * day, ms: 4 * day })
})

test('CryptoDataDownload: URL preamble skipped, unix column wins over date, newest-first reversed, base volume', () => {
  const { candles, format, report } = importCandles(fixture('cryptodatadownload-ethusdt-1h.csv'), 'eth.csv')
  assert.equal(format, 'csv')
  const t0 = Date.UTC(2024, 0, 1)
  assert.deepEqual(cols(candles), {
    time: [t0, t0 + 3_600_000, t0 + 7_200_000, t0 + 10_800_000],
    open: [2282, 2281.96, 2288, 2290.01],
    high: [2285, 2290, 2291, 2295.5],
    low: [2270, 2279, 2280.1, 2285],
    close: [2281.96, 2288, 2290.02, 2293.1],
    volume: [999.9, 1100, 1200.25, 1500.5],
  })
  assert.equal(report.reversed, true)
  assert.deepEqual(report.skippedReasons, { preamble: 1 })
  assert.equal(report.firstTime, t0)
  assert.equal(report.lastTime, t0 + 10_800_000)
})

test('ccxt JSON arrays', () => {
  const { candles, format, report } = importCandles(fixture('ccxt-btcusdt-1m.json'), 'ohlcv.json')
  assert.equal(format, 'ccxt-json')
  const t0 = Date.UTC(2024, 0, 1)
  assert.deepEqual([...candles.time], [t0, t0 + MIN, t0 + 2 * MIN])
  assert.deepEqual([...candles.high], [42298.62, 42320, 42331.54])
  assert.deepEqual([...candles.volume], [35.92724, 21.3755, 19.51003])
  assert.equal(report.gaps, 0)
  assert.equal(report.largestGap, null)
})

test('spreadsheet export: BOM, CRLF, ";" separator, quotes, decimal commas, columns in any order, zone offsets', () => {
  const { candles, format } = importCandles(fixture('spreadsheet-semicolon-bom-crlf.csv'), 'sheet.csv')
  assert.equal(format, 'csv')
  assert.deepEqual(cols(candles), {
    time: [Date.UTC(2024, 2, 1, 8, 0), Date.UTC(2024, 2, 1, 8, 5)],
    open: [100, 101.5], high: [102.25, 101.5], low: [99.75, 100.5], close: [101.5, 101], volume: [12.5, 7],
  })
})

test('MetaTrader export: date and clock in separate columns, no header', () => {
  const { candles, format } = importCandles(fixture('metatrader-eurusd-m1.csv'), 'eurusd.csv')
  assert.equal(format, 'metatrader-csv')
  const t0 = Date.UTC(2024, 0, 2, 9, 30)
  assert.deepEqual([...candles.time], [t0, t0 + MIN, t0 + 2 * MIN])
  assert.deepEqual([...candles.close], [1.1046, 1.10475, 1.1041])
  assert.deepEqual([...candles.volume], [120, 98, 143])
})

test('header CSV: any case, extra columns ignored, tabs, Date and Time columns joined', () => {
  const tabbed = 'Symbol\tTIME\tVOLUME\tOpen\tHigh\tLow\tClose\nX\t1704067200\t5\t10\t11\t9\t10.5\nX\t1704067260\t6\t10.5\t12\t10\t11\n'
  const a = importCandles(text(tabbed), 'tab.tsv')
  assert.deepEqual([...a.candles.time], [1704067200000, 1704067260000])
  assert.deepEqual([...a.candles.volume], [5, 6])
  assert.deepEqual(a.report.timeNotations, ['unix-s'])

  const split = 'Date,Time,Open,High,Low,Close,Volume\n2024-01-02,09:30,1,2,1,1.5,3\n2024-01-02,09:31:30,1.5,2,1,1,4\n'
  const b = importCandles(text(split), 'split.csv')
  assert.deepEqual([...b.candles.time], [Date.UTC(2024, 0, 2, 9, 30), Date.UTC(2024, 0, 2, 9, 31, 30)])
})

test('time units are told apart by magnitude, and ISO forms are read as UTC', () => {
  const t = Date.UTC(2024, 0, 1, 12, 0, 0)
  const cases: [string, number, string][] = [
    ['1704110400', t, 'unix-s'],
    ['1704110400.5', t + 500, 'unix-s'],
    ['1704110400000', t, 'unix-ms'],
    ['1704110400000000', t, 'unix-us'],
    ['1704110400000000000', t, 'unix-ns'],
    ['2024-01-01T12:00:00Z', t, 'iso'],
    ['2024-01-01 12:00', t, 'iso'],
    ['2024-01-01T14:00:00+02:00', t, 'iso'],
    ['2024-01-01T12:00:00.250Z', t + 250, 'iso'],
    ['2024/01/01 12:00:00', t, 'iso'],
    ['20240101', Date.UTC(2024, 0, 1), 'yyyymmdd'],
  ]
  for (const [field, ms, notation] of cases) {
    const csv = `time,open,high,low,close,volume\n${field},1,1,1,1,0\n2030-01-01,1,1,1,1,0\n`
    const { candles, report } = importCandles(text(csv), 'units.csv')
    assert.equal(candles.time[0], ms, field)
    assert.ok(report.timeNotations.includes(notation as never), `${field}: ${report.timeNotations.join()}`)
  }
})

test('a file of mixed units (concatenated ms and µs exports) imports and says so', () => {
  const csv = '1704067200000,1,1,1,1,1\n1704067260000000,1,1,1,1,1\n'
  const { candles, report } = importCandles(text(csv), 'mixed.csv')
  assert.deepEqual([...candles.time], [1704067200000, 1704067260000])
  assert.deepEqual(report.timeNotations, ['unix-ms', 'unix-us'])
})

test('UTF-16 with a BOM, CR-only line ends and blank lines', () => {
  const body = 'time,open,high,low,close,volume\n2024-01-01,1,2,1,2,3\n\n2024-01-02,2,3,2,3,4\n'
  const utf16 = new Uint8Array(2 + body.length * 2)
  utf16[0] = 0xff; utf16[1] = 0xfe
  for (let i = 0; i < body.length; i++) utf16[2 + 2 * i] = body.charCodeAt(i)
  assert.deepEqual([...importCandles(utf16, 'u16.csv').candles.close], [2, 3])
  assert.deepEqual([...importCandles(text(body.replaceAll('\n', '\r')), 'mac.csv').candles.close], [2, 3])
})

test('the same rows in either order give the same columns', () => {
  const rows = ['2024-01-01,1,2,0.5,1.5,10', '2024-01-02,1.5,3,1,2.5,11', '2024-01-03,2.5,2.6,2,2.1,12']
  const up = importCandles(text(`date,open,high,low,close,volume\n${rows.join('\n')}`), 'up.csv')
  const down = importCandles(text(`date,open,high,low,close,volume\n${[...rows].reverse().join('\n')}`), 'down.csv')
  assert.deepEqual(cols(down.candles), cols(up.candles))
  assert.equal(up.report.reversed, false)
  assert.equal(down.report.reversed, true)
})
