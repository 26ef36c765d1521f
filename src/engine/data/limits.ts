/**
 * Limits of candle import and of the dataset format. Each is a named constant so docs/LIMITS.md
 * can list them and a test can refer to them.
 */

/**
 * Most candles one dataset may hold: 10 million rows are 480 MB of columns, held in memory by
 * every evaluator (one per core), and 19 years of 1-minute bars, more than any exchange has.
 */
export const MAX_DATASET_ROWS = 10_000_000

/**
 * Lines allowed before the header or the first data row. Some exports (CryptoDataDownload) put a
 * title or a URL on the first line; more than a few such lines means we are not reading candles.
 */
export const MAX_PREAMBLE_LINES = 5

/** An interval longer than this many median intervals is reported as a gap (a missing bar or more). */
export const GAP_FACTOR = 1.5

/**
 * Text is decoded in blocks of about this many bytes, cut at line ends, so a file larger than the
 * largest string V8 can hold (about 512 MB) still imports.
 */
export const TEXT_BLOCK_BYTES = 16 * 1024 * 1024

/** Bytes inspected for binary content (NUL and control bytes) before parsing. */
export const BINARY_SNIFF_BYTES = 64 * 1024

/**
 * Largest JSON candle file: JSON.parse needs the whole text as one string plus an object per
 * number (about 30 bytes of heap each), so beyond this a CSV export is the sane route.
 */
export const MAX_JSON_BYTES = 256 * 1024 * 1024

/**
 * Numeric timestamps are read by magnitude: each unit covers 1973-03 to the year 5138, so seconds,
 * milliseconds, microseconds and nanoseconds never overlap. Smaller numbers are not timestamps
 * (an index column, a typo) and are refused rather than read as 1970.
 */
export const MIN_NUMERIC_TIME = 1e8
