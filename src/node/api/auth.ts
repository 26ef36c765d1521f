/**
 * What keeps other local users (and web pages) from driving a peer through its local API: a random
 * bearer token in a file only the owner can read, compared in constant time, and a Host check so a
 * DNS-rebinding page cannot reach 127.0.0.1 under its own name.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** 32 random bytes: 256 bits, unguessable; base64url so it fits a header as is. */
export const API_TOKEN_BYTES = 32
/** Hostnames a request may name: the only addresses the server listens on. */
const ALLOWED_HOSTNAMES = new Set(['127.0.0.1', 'localhost'])

export function generateToken (): string {
  return randomBytes(API_TOKEN_BYTES).toString('base64url')
}

/** Hashing both sides first makes the comparison constant-time whatever the lengths. */
export function tokenMatches (expected: string, given: string): boolean {
  const a = createHash('sha256').update(expected).digest()
  const b = createHash('sha256').update(given).digest()
  return timingSafeEqual(a, b)
}

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken (header: string | undefined): string | undefined {
  if (header === undefined) return undefined
  const m = /^Bearer +(\S+)$/i.exec(header)
  return m === null ? undefined : m[1]
}

/** True when the Host header names this machine's loopback (with or without a port). */
export function hostAllowed (host: string | undefined): boolean {
  if (host === undefined) return false
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(host.trim().toLowerCase())
  return m !== null && ALLOWED_HOSTNAMES.has(m[1])
}

