import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import type { Candles } from '../../../src/protocol/types.js'
import { encodeDataset, decodeDataset, datasetId, datasetMeta, DATASET_FORMAT_VERSION } from '../../../src/engine/data/index.js'
import { StratmeshError } from '../../../src/protocol/errors.js'

function candles (rows: number[][]): Candles {
  const col = (k: number): Float64Array => Float64Array.from(rows, r => r[k])
  return { length: rows.length, time: col(0), open: col(1), high: col(2), low: col(3), close: col(4), volume: col(5) }
}

const SAMPLE = candles([
  [1704067200000, 100, 101.5, 99.25, 101, 12.5],
  [1704067260000, 101, 103, 100.75, 102.125, 0],
  [1704067320000, 102.125, 102.125, 98, 98.5, 1e9],
])
const plain = (c: Candles) => Object.fromEntries((['time', 'open', 'high', 'low', 'close', 'volume'] as const).map(k => [k, [...c[k]]]))

const corrupt = (fn: () => unknown, pattern?: RegExp): void => {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StratmeshError)
    assert.equal(err.code, 'DATASET_CORRUPT', err.message)
    if (pattern !== undefined) assert.match(err.message, pattern)
    return true
  })
}

test('the header is laid out as documented and the columns follow little-endian, 8-byte aligned', () => {
  const bytes = encodeDataset(SAMPLE)
  const view = new DataView(bytes.buffer, bytes.byteOffset)
  assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'SMDS')
  assert.equal(view.getUint16(4, true), DATASET_FORMAT_VERSION)
  assert.equal(view.getUint32(8, true), 3)
  assert.equal(view.getUint32(12, true), 0)
  assert.equal(bytes.length, 16 + 6 * 3 * 8)
  // close of row 1 = column 4, row 1
  assert.equal(view.getFloat64(16 + (4 * 3 + 1) * 8, true), 102.125)

  const withMeta = encodeDataset(SAMPLE, { name: 'btc', rows: 3 })
  const metaText = '{"name":"btc","rows":3}' // canonical JSON: 23 bytes, padded to 24 after the header
  assert.equal(new DataView(withMeta.buffer).getUint32(12, true), metaText.length)
  assert.equal(withMeta.length, 16 + 24 + 6 * 3 * 8)
  assert.deepEqual(datasetMeta(withMeta), { name: 'btc', rows: 3 })
  assert.deepEqual(datasetMeta(bytes), {})
})

test('round trip: decode(encode(c)) equals c, with and without metadata', () => {
  assert.deepEqual(plain(decodeDataset(encodeDataset(SAMPLE))), plain(SAMPLE))
  assert.deepEqual(plain(decodeDataset(encodeDataset(SAMPLE, { name: 'x', source: 'prices.csv' }))), plain(SAMPLE))
})

test('decoding aligned bytes is a view, unaligned bytes a copy, both correct', () => {
  const bytes = encodeDataset(SAMPLE, { name: 'abc' })
  const view = decodeDataset(bytes)
  assert.equal(view.close.buffer, bytes.buffer)
  const shifted = new Uint8Array(bytes.length + 4)
  shifted.set(bytes, 4)
  const unaligned = shifted.subarray(4)
  const copy = decodeDataset(unaligned)
  assert.notEqual(copy.close.buffer, shifted.buffer)
  assert.deepEqual(plain(copy), plain(SAMPLE))
})

test('the id is the sha256 of the bytes; equal data gives equal bytes, other metadata another id', () => {
  const a = encodeDataset(SAMPLE, { name: 'x' })
  const b = encodeDataset(candles([...Array(3)].map((_, i) => [SAMPLE.time[i], SAMPLE.open[i], SAMPLE.high[i], SAMPLE.low[i], SAMPLE.close[i], SAMPLE.volume[i]])), { name: 'x' })
  assert.deepEqual(a, b)
  assert.equal(datasetId(a), createHash('sha256').update(a).digest('hex'))
  assert.match(datasetId(a), /^[0-9a-f]{64}$/)
  assert.notEqual(datasetId(encodeDataset(SAMPLE, { name: 'y' })), datasetId(a))
})

test('bad magic, wrong version, truncation, trailing bytes and dirty padding are DATASET_CORRUPT', () => {
  const good = encodeDataset(SAMPLE, { name: 'abc' })
  const mutate = (f: (b: Uint8Array) => void): Uint8Array => { const b = good.slice(); f(b); return b }
  corrupt(() => decodeDataset(new Uint8Array(0)), /shorter than/)
  corrupt(() => decodeDataset(good.subarray(0, 10)), /shorter than/)
  corrupt(() => decodeDataset(mutate(b => { b[0] = 0x58 })), /bad magic/)
  corrupt(() => decodeDataset(mutate(b => { b[4] = 2 })), /version 2/)
  corrupt(() => decodeDataset(mutate(b => { b[6] = 1 })), /reserved/)
  corrupt(() => decodeDataset(good.subarray(0, good.length - 1)), /truncated/)
  corrupt(() => decodeDataset(good.subarray(0, 24)), /truncated/)
  const longer = new Uint8Array(good.length + 8); longer.set(good)
  corrupt(() => decodeDataset(longer), /trailing bytes/)
  corrupt(() => decodeDataset(mutate(b => { b[8] = 200 })), /truncated/) // claims 200 rows
  corrupt(() => decodeDataset(mutate(b => { b[16 + 14] = 1 })), /padding/) // {"name":"abc"} is 14 bytes, padded to 16
  corrupt(() => datasetMeta(mutate(b => { b[16] = 0x5b })), /not valid JSON/)
  const randomGarbage = Uint8Array.from({ length: 256 }, (_, i) => (i * 131 + 7) & 0xff)
  corrupt(() => decodeDataset(randomGarbage), /bad magic/)
})

test('well-framed bytes that break candle invariants are DATASET_CORRUPT; such candles are DATASET_INVALID to encode', () => {
  const good = encodeDataset(SAMPLE)
  const patched = (column: number, row: number, value: number): Uint8Array => {
    const b = good.slice()
    new DataView(b.buffer).setFloat64(16 + (column * 3 + row) * 8, value, true)
    return b
  }
  corrupt(() => decodeDataset(patched(0, 2, 1704067260000)), /row 2, field "time"/)
  corrupt(() => decodeDataset(patched(4, 1, NaN)), /row 1, field "close"/)
  corrupt(() => decodeDataset(patched(3, 0, -1)), /row 0, field "low"/)
  corrupt(() => decodeDataset(patched(2, 0, 99)), /row 0, field "high"/)
  corrupt(() => decodeDataset(patched(5, 0, -1)), /row 0, field "volume"/)
  const bad = candles([[1, 10, 11, 9, 10, 1], [2, 10, 9.5, 9, 10, 1]])
  assert.throws(() => encodeDataset(bad), (err: unknown) => err instanceof StratmeshError && err.code === 'DATASET_INVALID' && /row 1, field "open"/.test(err.message))
  const ragged = { ...SAMPLE, volume: new Float64Array(2) }
  assert.throws(() => encodeDataset(ragged), (err: unknown) => err instanceof StratmeshError && err.code === 'DATASET_INVALID')
})
