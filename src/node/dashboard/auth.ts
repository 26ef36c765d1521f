/**
 * How a browser signs in to the local API without ever seeing the API token (see
 * docs/SECURITY.md, "Dashboard"). `peer start` prints, and `peer open` hands the browser, a link
 * whose URL fragment holds a one-time sign-in code; the page trades the code for a session token
 * (POST /v1/session) and sends that as its bearer token. Codes are single use and expire; session
 * tokens are read-only (no submit, no stop) and die with the peer process. Only hashes of codes and
 * tokens are kept, compared by lookup of a sha256, so the maps hold nothing worth stealing.
 */
import { createHash, randomBytes } from 'node:crypto'
import { StratmeshError } from '../../protocol/errors.js'
import { API_TOKEN_BYTES } from '../api/index.js'

/** A `peer open` link works this long: time to open a browser, short enough that a stale link is dead. */
export const LOGIN_CODE_TTL_MS = 5 * 60_000
/** The link `peer start` prints works this long (still once): a user may open it later in the day. */
export const START_LINK_TTL_MS = 24 * 60 * 60_000
/** Unused codes kept; past it the oldest is dropped. Bounds memory whatever a caller does. */
export const MAX_LOGIN_CODES = 64
/** Dashboard sessions kept; past it the oldest is signed out. A few browsers and tabs need far fewer. */
export const MAX_DASHBOARD_SESSIONS = 64

export interface DashboardAuth {
  /** A fresh one-time code valid for `ttlMs`. */
  mintCode (ttlMs: number): string
  /** Trades a code for a new session token; throws API_LOGIN_INVALID for a used, expired or unknown code. */
  redeem (code: string): string
  isSession (token: string): boolean
  /** Forgets every code and session (the API is stopping). */
  clear (): void
}

function digest (secret: string): string {
  return createHash('sha256').update(secret).digest('hex')
}

function secret (): string {
  return randomBytes(API_TOKEN_BYTES).toString('base64url')
}

export function createDashboardAuth (clock: () => number = Date.now): DashboardAuth {
  // Insertion order is age order: the first key is the oldest.
  const codes = new Map<string, number>()
  const sessions = new Set<string>()
  return {
    mintCode (ttlMs) {
      const now = clock()
      for (const [h, until] of codes) if (until <= now) codes.delete(h)
      while (codes.size >= MAX_LOGIN_CODES) codes.delete(codes.keys().next().value as string)
      const code = secret()
      codes.set(digest(code), now + ttlMs)
      return code
    },
    redeem (code) {
      const h = digest(code)
      const until = codes.get(h)
      codes.delete(h)
      if (until === undefined || until <= clock()) {
        throw new StratmeshError('API_LOGIN_INVALID', 'this dashboard link was already used, has expired or belongs to another peer run; run `peer open` for a new one')
      }
      while (sessions.size >= MAX_DASHBOARD_SESSIONS) sessions.delete(sessions.values().next().value as string)
      const token = secret()
      sessions.add(digest(token))
      return token
    },
    isSession (token) {
      return sessions.has(digest(token))
    },
    clear () {
      codes.clear()
      sessions.clear()
    },
  }
}

/**
 * A request's Origin, when the browser sent one, must be this API's own page. Browsers send it on
 * every cross-origin request and on same-origin POSTs; the CLI sends none.
 */
export function originAllowed (origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`
}
