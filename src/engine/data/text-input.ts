/**
 * Turns a file's bytes into lines of text: refuses empty and binary files with a useful hint,
 * accepts a UTF-8 BOM, UTF-16 with a BOM, CRLF and CR-only line ends, and falls back to Latin-1
 * for files that are not valid UTF-8 (old spreadsheet exports). Decodes in blocks cut at line ends
 * so files larger than the largest JavaScript string still import.
 */
import { BINARY_SNIFF_BYTES, TEXT_BLOCK_BYTES } from './limits.js'
import { fileError } from './import-error.js'

const LF = 0x0a
const CR = 0x0d

// Signatures of files people pick by mistake, with what to do instead.
const SIGNATURES: readonly { readonly magic: readonly number[], readonly hint: string }[] = [
  { magic: [0x1f, 0x8b], hint: 'a gzip archive; unpack it first (gunzip)' },
  { magic: [0x50, 0x4b, 0x03, 0x04], hint: 'a zip archive or an Excel workbook; unzip it or save the sheet as CSV' },
  { magic: [0x53, 0x4d, 0x44, 0x53], hint: 'already a stratmesh dataset (SMDS), not a CSV' },
  { magic: [0x50, 0x41, 0x52, 0x31], hint: 'a Parquet file; convert it to CSV first' },
  { magic: [0x53, 0x51, 0x4c, 0x69, 0x74, 0x65], hint: 'an SQLite database; export the table as CSV' },
]

function startsWith (bytes: Uint8Array, magic: readonly number[]): boolean {
  if (bytes.length < magic.length) return false
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return false
  return true
}

/**
 * Checks and normalises a file's bytes: returns UTF-8 (or Latin-1) bytes without a BOM and with
 * LF or CRLF line ends. Throws CSV_BINARY or CSV_EMPTY.
 */
export function prepareText (input: Uint8Array, file: string): Uint8Array {
  let bytes = input
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    const text = new TextDecoder(bytes[0] === 0xff ? 'utf-16le' : 'utf-16be').decode(bytes)
    bytes = new TextEncoder().encode(text)
  }
  if (startsWith(bytes, [0xef, 0xbb, 0xbf])) bytes = bytes.subarray(3)
  for (const sig of SIGNATURES) {
    if (startsWith(bytes, sig.magic)) throw fileError('CSV_BINARY', file, `this is ${sig.hint}`)
  }
  const sniff = Math.min(bytes.length, BINARY_SNIFF_BYTES)
  for (let i = 0; i < sniff; i++) {
    const c = bytes[i]
    if (c < 9 || (c > 13 && c < 32)) {
      const hint = c === 0 ? ' (UTF-16 without a byte-order mark? save it as UTF-8)' : ''
      throw fileError('CSV_BINARY', file, `binary data at byte ${i} (0x${c.toString(16).padStart(2, '0')}), not a text file${hint}`, { byte: i })
    }
  }
  let blank = true
  for (let i = 0; i < bytes.length && blank; i++) {
    const c = bytes[i]
    blank = c === 32 || (c >= 9 && c <= 13)
  }
  if (blank) throw fileError('CSV_EMPTY', file, input.length === 0 ? 'the file is empty' : 'the file holds only blank space')
  // Classic Mac spreadsheets end lines with CR alone.
  if (bytes.indexOf(LF) < 0 && bytes.indexOf(CR) >= 0) bytes = bytes.map(c => c === CR ? LF : c)
  return bytes
}

/** Number of lines (an upper bound on rows, to size the columns once). */
export function countLines (bytes: Uint8Array): number {
  let n = 1
  for (let i = bytes.indexOf(LF); i >= 0; i = bytes.indexOf(LF, i + 1)) n++
  return n
}

/**
 * Calls `visit(line, lineNumber)` for each line (1-based numbers, line ends removed) until it
 * returns false.
 */
export function forEachLine (bytes: Uint8Array, visit: (line: string, lineNo: number) => boolean | void): void {
  let decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
  let lineNo = 0
  let start = 0
  while (start < bytes.length) {
    let end = Math.min(start + TEXT_BLOCK_BYTES, bytes.length)
    if (end < bytes.length) {
      const nl = bytes.indexOf(LF, end)
      end = nl < 0 ? bytes.length : nl + 1
    }
    const block = bytes.subarray(start, end)
    let text: string
    try {
      text = decoder.decode(block)
    } catch {
      // Not UTF-8: numbers and dates are ASCII either way, and Latin-1 decodes any byte.
      decoder = new TextDecoder('latin1')
      text = decoder.decode(block)
    }
    const lines = text.split('\n')
    if (block[block.length - 1] === LF) lines.pop()
    for (const raw of lines) {
      lineNo++
      const line = raw.length > 0 && raw.charCodeAt(raw.length - 1) === CR ? raw.slice(0, -1) : raw
      if (visit(line, lineNo) === false) return
    }
    start = end
  }
}
