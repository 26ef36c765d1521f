/**
 * Imports candles from CSV text: finds the layout, then reads every data row into a CandleBuilder
 * with errors that name the line and the column.
 */
import { CandleBuilder, type ImportReport } from './candle-builder.js'
import { RowSplitter } from './csv-fields.js'
import { detectLayout, type CsvLayout, type NumberedLine } from './csv-layout.js'
import { fieldError, fileError, quoteValue, rowError } from './import-error.js'
import { MAX_PREAMBLE_LINES } from './limits.js'
import { countLines, forEachLine } from './text-input.js'
import { numericTime, parseTime, type ParsedTime } from './time-parse.js'
import type { Candles } from '../../protocol/types.js'

const isBlank = (line: string): boolean => line.trim().length === 0

/** `bytes` must have been through prepareText. */
export function importCsv (bytes: Uint8Array, file: string): { candles: Candles, format: string, report: ImportReport } {
  const head: NumberedLine[] = []
  forEachLine(bytes, (line, n) => {
    if (!isBlank(line)) head.push({ line, n })
    return head.length < MAX_PREAMBLE_LINES + 2
  })
  const layout = detectLayout(head, file)
  const { delimiter, fieldCount, timeCol, clockCol, names } = layout
  const [openCol, highCol, lowCol, closeCol, volumeCol] = layout.priceCols
  const decimalComma = delimiter !== ','
  const builder = new CandleBuilder(file, 'line', countLines(bytes), names)
  for (let i = 0; i < layout.preambleLines; i++) builder.skip('preamble')
  let dataLines = 0

  const row = new RowSplitter(delimiter, fieldCount)
  forEachLine(bytes, (line, n) => {
    if (n <= layout.dataAfterLine || isBlank(line)) return
    dataLines++
    const count = row.split(line)
    if (count < 0) throw rowError('CSV_BAD_ROW', file, { kind: 'line', n }, 'a quoted field is not closed')
    if (count !== fieldCount) {
      const expected = layout.hasHeader ? `the header has ${fieldCount}` : `the first row has ${fieldCount}`
      throw rowError('CSV_BAD_ROW', file, { kind: 'line', n }, `${count} field${count === 1 ? '' : 's'} where ${expected}`)
    }
    if (layout.skipNullRows && layout.priceCols.some(c => row.field(c).toLowerCase() === 'null')) {
      builder.skip('null values')
      return
    }
    const time = readTime(row, layout)
    if (time === null) {
      const shown = clockCol === null ? row.field(timeCol) : `${row.field(timeCol)} ${row.field(clockCol)}`
      throw fieldError('CSV_BAD_TIME', file, { kind: 'line', n }, names.time, `${quoteValue(shown)} is not a time we can read; ` +
        'use ISO 8601 (2024-01-02 or 2024-01-02T15:04:05Z) or unix seconds, milliseconds or microseconds')
    }
    builder.noteTime(time.notation)
    const open = row.number(openCol, decimalComma)
    const high = row.number(highCol, decimalComma)
    const low = row.number(lowCol, decimalComma)
    const close = row.number(closeCol, decimalComma)
    const volume = row.number(volumeCol, decimalComma)
    if (Number.isNaN(open) || Number.isNaN(high) || Number.isNaN(low) || Number.isNaN(close) || Number.isNaN(volume)) {
      badNumber(row, layout, file, n)
    }
    builder.push(n, time.ms, open, high, low, close, volume)
  })

  if (layout.hasHeader && dataLines === 0) {
    throw fileError('CSV_HEADER_ONLY', file, `a header on line ${layout.dataAfterLine} and no data rows`, { line: layout.dataAfterLine })
  }
  const { candles, report } = builder.finish('CSV_TOO_FEW_ROWS')
  return { candles, format: layout.format, report }
}

/** Numeric times without a substring (the common case); text times through the full parser. */
function readTime (row: RowSplitter, layout: CsvLayout): ParsedTime | null {
  if (layout.clockCol !== null) return parseTime(`${row.field(layout.timeCol)} ${row.field(layout.clockCol)}`)
  const x = row.number(layout.timeCol, false)
  return Number.isNaN(x) ? parseTime(row.field(layout.timeCol)) : numericTime(x)
}

/** Names the first field of the row that is not a number (the hot loop only knows one is not). */
function badNumber (row: RowSplitter, layout: CsvLayout, file: string, n: number): never {
  const decimalComma = layout.delimiter !== ','
  const names = layout.names
  const columnNames = [names.open, names.high, names.low, names.close, names.volume]
  const k = Math.max(0, layout.priceCols.findIndex(col => Number.isNaN(row.number(col, decimalComma))))
  const col = layout.priceCols[k]
  throw fieldError('CSV_BAD_NUMBER', file, { kind: 'line', n }, columnNames[k], `${quoteValue(row.field(col))} is not a number`)
}
