/**
 * The dataset blob: a fixed 16-byte header, optional canonical-JSON metadata, then the six
 * columns as little-endian float64, each 8-byte aligned, so a decoder on a little-endian machine
 * (all that Node runs on) takes a view over the bytes without parsing or copying them.
 *
 *   0  'SMDS'                       4 bytes magic
 *   4  version        u16 LE        DATASET_FORMAT_VERSION
 *   6  reserved       u16 LE        0
 *   8  rows           u32 LE
 *  12  metaLength     u32 LE        bytes of metadata, 0 when none
 *  16  metadata                     canonical JSON object, zero-padded to a multiple of 8
 *  ..  time, open, high, low, close, volume: rows float64 LE each
 *
 * The encoding is a pure function of (candles, metadata), so the same data gives the same id on
 * every peer. A dataset's id is the sha256 of its bytes.
 */
import type { Candles } from '../../protocol/types.js'
import { canonicalBytes, sha256Hex } from '../../protocol/canonical.js'
import { StratmeshError } from '../../protocol/errors.js'
import { findCandleProblem } from './candle-check.js'
import { MAX_DATASET_ROWS } from './limits.js'

export const DATASET_MAGIC = 'SMDS'
/** Version of the binary layout; a decoder refuses versions it does not know rather than misread them. */
export const DATASET_FORMAT_VERSION = 1
const HEADER_BYTES = 16
const COLUMNS = ['time', 'open', 'high', 'low', 'close', 'volume'] as const
/** Metadata is names and provenance, not data: 64 KiB is generous and keeps a hostile header small. */
export const MAX_DATASET_META_BYTES = 64 * 1024

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export type DatasetMeta = Readonly<Record<string, unknown>>

const pad8 = (n: number): number => (n + 7) & ~7

function corrupt (message: string, details: Record<string, unknown> = {}): StratmeshError {
  return new StratmeshError('DATASET_CORRUPT', `dataset: ${message}`, { details })
}

/** Encodes candles (checked first: DATASET_INVALID) and optional metadata into a dataset blob. */
export function encodeDataset (candles: Candles, meta?: DatasetMeta): Uint8Array {
  const problem = findCandleProblem(candles)
  if (problem !== null) {
    throw new StratmeshError('DATASET_INVALID', `dataset row ${problem.row}, field "${problem.field}": ${problem.message}`, { details: { ...problem } })
  }
  const n = candles.length
  if (n > MAX_DATASET_ROWS) throw new StratmeshError('DATA_TOO_LARGE', `dataset: ${n} rows, more than ${MAX_DATASET_ROWS}`, { details: { rows: n } })
  const metaBytes = meta === undefined ? new Uint8Array(0) : canonicalBytes(meta)
  if (metaBytes.length > MAX_DATASET_META_BYTES) {
    throw new StratmeshError('DATASET_INVALID', `dataset metadata is ${metaBytes.length} bytes, more than ${MAX_DATASET_META_BYTES}`)
  }
  const dataStart = pad8(HEADER_BYTES + metaBytes.length)
  const out = new Uint8Array(dataStart + n * 8 * COLUMNS.length)
  const view = new DataView(out.buffer)
  for (let i = 0; i < 4; i++) out[i] = DATASET_MAGIC.charCodeAt(i)
  view.setUint16(4, DATASET_FORMAT_VERSION, true)
  view.setUint16(6, 0, true)
  view.setUint32(8, n, true)
  view.setUint32(12, metaBytes.length, true)
  out.set(metaBytes, HEADER_BYTES)
  COLUMNS.forEach((name, k) => {
    const src = candles[name]
    const at = dataStart + k * n * 8
    if (LITTLE_ENDIAN) {
      out.set(new Uint8Array(src.buffer, src.byteOffset, n * 8), at)
    } else {
      for (let i = 0; i < n; i++) view.setFloat64(at + i * 8, src[i], true)
    }
  })
  return out
}

interface Layout { readonly rows: number, readonly metaLength: number, readonly dataStart: number }

function readLayout (bytes: Uint8Array): Layout {
  if (bytes.length < HEADER_BYTES) throw corrupt(`${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`, { bytes: bytes.length })
  for (let i = 0; i < 4; i++) {
    if (bytes[i] !== DATASET_MAGIC.charCodeAt(i)) throw corrupt('bad magic, not a stratmesh dataset (SMDS)')
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const version = view.getUint16(4, true)
  if (version !== DATASET_FORMAT_VERSION) {
    throw corrupt(`format version ${version}, this engine reads version ${DATASET_FORMAT_VERSION}`, { version })
  }
  if (view.getUint16(6, true) !== 0) throw corrupt('reserved header bytes are not zero')
  const rows = view.getUint32(8, true)
  const metaLength = view.getUint32(12, true)
  if (rows > MAX_DATASET_ROWS) throw corrupt(`declares ${rows} rows, more than ${MAX_DATASET_ROWS}`, { rows })
  if (metaLength > MAX_DATASET_META_BYTES) throw corrupt(`declares ${metaLength} bytes of metadata, more than ${MAX_DATASET_META_BYTES}`)
  const dataStart = pad8(HEADER_BYTES + metaLength)
  const expected = dataStart + rows * 8 * COLUMNS.length
  if (bytes.length !== expected) {
    throw corrupt(`${bytes.length} bytes where ${rows} rows need ${expected} (${bytes.length < expected ? 'truncated' : 'trailing bytes'})`, { bytes: bytes.length, expected })
  }
  // One encoding per dataset: padding must be zero, or two blobs could hold the same data.
  for (let i = HEADER_BYTES + metaLength; i < dataStart; i++) {
    if (bytes[i] !== 0) throw corrupt('metadata padding is not zero')
  }
  return { rows, metaLength, dataStart }
}

/**
 * Decodes a dataset blob into candles. On a little-endian machine with the bytes 8-byte aligned
 * the columns are views over `bytes` (zero copy: do not modify `bytes` afterwards); otherwise they
 * are copies. Throws DATASET_CORRUPT on a bad header, a wrong length or broken candle invariants.
 */
export function decodeDataset (bytes: Uint8Array): Candles {
  const { rows, dataStart } = readLayout(bytes)
  const aligned = (bytes.byteOffset + dataStart) % 8 === 0
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const cols = COLUMNS.map((_, k) => {
    const at = dataStart + k * rows * 8
    if (LITTLE_ENDIAN && aligned) return new Float64Array(bytes.buffer, bytes.byteOffset + at, rows)
    const col = new Float64Array(rows)
    if (LITTLE_ENDIAN) new Uint8Array(col.buffer).set(bytes.subarray(at, at + rows * 8))
    else for (let i = 0; i < rows; i++) col[i] = view.getFloat64(at + i * 8, true)
    return col
  })
  const candles: Candles = { length: rows, time: cols[0], open: cols[1], high: cols[2], low: cols[3], close: cols[4], volume: cols[5] }
  const problem = findCandleProblem(candles)
  if (problem !== null) throw corrupt(`row ${problem.row}, field "${problem.field}": ${problem.message}`, { row: problem.row, field: problem.field })
  return candles
}

/** The metadata object stored with a dataset ({} when none). */
export function datasetMeta (bytes: Uint8Array): DatasetMeta {
  const { metaLength } = readLayout(bytes)
  if (metaLength === 0) return {}
  let meta: unknown
  try {
    meta = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER_BYTES, HEADER_BYTES + metaLength)))
  } catch (err) {
    throw new StratmeshError('DATASET_CORRUPT', 'dataset: metadata is not valid JSON', { cause: err })
  }
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) throw corrupt('metadata is not a JSON object')
  return meta as DatasetMeta
}

/** A dataset's content id: the sha256 of its bytes, lower-case hex. */
export function datasetId (bytes: Uint8Array): string {
  return sha256Hex(bytes)
}
