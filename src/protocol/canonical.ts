import { createHash } from 'node:crypto'
import { StratmeshError } from './errors.js'

/**
 * Canonical JSON: object keys sorted by UTF-16 code unit, no whitespace, numbers in JavaScript's
 * shortest round-trip form, only finite numbers. The same value gives the same bytes on every
 * machine, so the bytes can be hashed (job ids, checkpoint hashes) and signed (ledger entries).
 * `undefined` object members are dropped, as JSON.stringify does; anything else that JSON cannot
 * represent exactly (NaN, Infinity, -0, bigint, functions, typed arrays) is refused loudly.
 */
export type CanonicalValue =
  | null | boolean | number | string
  | readonly CanonicalValue[]
  | { readonly [key: string]: CanonicalValue | undefined }

export function canonicalString (value: unknown): string {
  const parts: string[] = []
  write(value, parts, '$')
  return parts.join('')
}

export function canonicalBytes (value: unknown): Uint8Array {
  return new TextEncoder().encode(canonicalString(value))
}

/** sha256 of the canonical bytes, lower-case hex. */
export function canonicalHash (value: unknown): string {
  return sha256Hex(canonicalBytes(value))
}

export function sha256Hex (bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function write (value: unknown, out: string[], path: string): void {
  if (value === null) { out.push('null'); return }
  switch (typeof value) {
    case 'boolean': out.push(value ? 'true' : 'false'); return
    case 'string': out.push(JSON.stringify(value)); return
    case 'number':
      if (!Number.isFinite(value)) throw new StratmeshError('CANONICAL_BAD_VALUE', `${path}: number ${value} cannot be encoded canonically`)
      if (Object.is(value, -0)) { out.push('0'); return }
      out.push(JSON.stringify(value)); return
    case 'object': {
      if (Array.isArray(value)) {
        out.push('[')
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out.push(',')
          write(value[i], out, `${path}[${i}]`)
        }
        out.push(']')
        return
      }
      if (ArrayBuffer.isView(value)) throw new StratmeshError('CANONICAL_BAD_VALUE', `${path}: typed arrays are not canonical JSON; convert to an array or a blob`)
      const proto = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) throw new StratmeshError('CANONICAL_BAD_VALUE', `${path}: only plain objects can be encoded`)
      const obj = value as Record<string, unknown>
      const keys = Object.keys(obj).filter(k => obj[k] !== undefined).sort()
      out.push('{')
      keys.forEach((k, i) => {
        if (i > 0) out.push(',')
        out.push(JSON.stringify(k), ':')
        write(obj[k], out, `${path}.${k}`)
      })
      out.push('}')
      return
    }
    default:
      throw new StratmeshError('CANONICAL_BAD_VALUE', `${path}: ${typeof value} cannot be encoded canonically`)
  }
}
