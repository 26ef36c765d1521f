/**
 * Imports candles from CSV text: finds the layout, then reads every data row into a CandleBuilder
 * with errors that name the line and the column.
 */
import { CandleBuilder, type ImportReport } from './candle-builder.js'
import { parseNumber, splitFields } from './csv-fields.js'
import { detectLayout, type NumberedLine } from './csv-layout.js'
import { fieldError, fileError, quoteValue, rowError } from './import-error.js'
import { MAX_PREAMBLE_LINES } from './limits.js'
import { countLines, forEachLine } from './text-input.js'
import { parseTime } from './time-parse.js'
import type { Candles } from '../types.js'

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

  forEachLine(bytes, (line, n) => {
    if (n <= layout.dataAfterLine || isBlank(line)) return
    dataLines++
    const place = { kind: 'line', n } as const
    const fields = splitFields(line, delimiter)
    if (fields === null) throw rowError('CSV_BAD_ROW', file, place, 'a quoted field is not closed')
    if (fields.length !== fieldCount) {
      const expected = layout.hasHeader ? `the header has ${fieldCount}` : `the first row has ${fieldCount}`
      throw rowError('CSV_BAD_ROW', file, place, `${fields.length} field${fields.length === 1 ? '' : 's'} where ${expected}`)
    }
    if (layout.skipNullRows && layout.priceCols.some(c => fields[c].toLowerCase() === 'null')) {
      builder.skip('null values')
      return
    }
    const timeText = clockCol === null ? fields[timeCol] : `${fields[timeCol]} ${fields[clockCol]}`
    const time = parseTime(timeText)
    if (time === null) {
      throw fieldError('CSV_BAD_TIME', file, place, names.time, `${quoteValue(timeText)} is not a time we can read; ` +
        'use ISO 8601 (2024-01-02 or 2024-01-02T15:04:05Z) or unix seconds, milliseconds or microseconds')
    }
    builder.noteTime(time.notation)
    const num = (col: number, name: string): number => {
      const x = parseNumber(fields[col], decimalComma)
      if (Number.isNaN(x)) throw fieldError('CSV_BAD_NUMBER', file, place, name, `${quoteValue(fields[col])} is not a number`)
      return x
    }
    builder.push(n, time.ms, num(openCol, names.open), num(highCol, names.high), num(lowCol, names.low),
      num(closeCol, names.close), num(volumeCol, names.volume))
  })

  if (layout.hasHeader && dataLines === 0) {
    throw fileError('CSV_HEADER_ONLY', file, `a header on line ${layout.dataAfterLine} and no data rows`, { line: layout.dataAfterLine })
  }
  const { candles, report } = builder.finish('CSV_TOO_FEW_ROWS')
  return { candles, format: layout.format, report }
}
