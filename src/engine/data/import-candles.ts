/**
 * The one entry point for candle files: detects JSON or CSV from the bytes (never from the file
 * name, which is only used in messages), and returns columns in ascending time with a report.
 */
import type { ImportReport } from './candle-builder.js'
import { importCsv } from './csv-import.js'
import { importJson } from './json-import.js'
import { fileError } from './import-error.js'
import { prepareText } from './text-input.js'
import type { Candles } from '../../protocol/types.js'

export interface ImportResult {
  readonly candles: Candles
  /** 'csv', 'yahoo-csv', 'binance-kline', 'metatrader-csv', 'csv-no-header' or 'ccxt-json'. */
  readonly format: string
  readonly report: ImportReport
}

/** Reads a candle file. Throws a StratmeshError naming file, line and field on any problem. */
export function importCandles (bytes: Uint8Array, fileName: string): ImportResult {
  const text = prepareText(bytes, fileName)
  let i = 0
  while (i < text.length && (text[i] === 0x20 || (text[i] >= 0x09 && text[i] <= 0x0d))) i++
  if (text[i] === 0x5b) return importJson(text, fileName) // '['
  if (text[i] === 0x7b) { // '{'
    throw fileError('JSON_BAD_SHAPE', fileName, 'a JSON object; expected an array of [time, open, high, low, close, volume] arrays')
  }
  return importCsv(text, fileName)
}
