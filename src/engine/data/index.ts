export { importCandles, type ImportResult } from './import-candles.js'
export type { ImportReport, GapInfo } from './candle-builder.js'
export type { TimeNotation } from './time-parse.js'
export { findCandleProblem, type CandleProblem } from './candle-check.js'
export {
  encodeDataset, decodeDataset, datasetMeta, datasetId,
  DATASET_MAGIC, DATASET_FORMAT_VERSION, MAX_DATASET_META_BYTES, type DatasetMeta,
} from './dataset-codec.js'
export {
  syntheticCandles, syntheticMarket, defaultDataset, DEFAULT_DATASET_NAME, SYNTHETIC_DEFAULTS,
  REGIME_BULL, REGIME_BEAR, REGIME_SIDEWAYS, type SyntheticOptions,
} from './synthetic.js'
export { resampleCandles, type ResampleReport } from './resample.js'
export { parseTimeframe, formatTimeframe } from './timeframe.js'
export { MAX_DATASET_ROWS, MAX_PREAMBLE_LINES, GAP_FACTOR, MAX_JSON_BYTES, MIN_NUMERIC_TIME } from './limits.js'
export {
  acceptRows, findGaps, csvLines, lastBarTime, FETCHED_CSV_HEADER, MAX_LISTED_GAPS,
  type OhlcvRow, type Gap, type RowWindow, type AcceptedRows,
} from './fetched-candles.js'
