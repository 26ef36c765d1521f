// @ts-check
// The page's side of the local API: signing in with the one-time code from the link's fragment,
// authenticated GETs, and the live status stream (server-sent events read through fetch, because
// EventSource cannot send an Authorization header). The session token is kept in localStorage,
// which belongs to this exact origin (scheme, host and port), so no other local page can read it.

/** @typedef {import('../node/peer-types.js').PeerStatus} PeerStatus */
/** @typedef {'live' | 'reconnecting' | 'signed-out'} StreamState */

const TOKEN_KEY = 'stratmesh.session'

/** Raised when the peer does not know this browser (no link used yet, or the peer restarted). */
export class SignInNeeded extends Error {}

export class ApiError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   */
  constructor (code, message) {
    super(message)
    this.code = code
  }
}

function storedToken () {
  try { return localStorage.getItem(TOKEN_KEY) } catch { return null }
}

/** @param {string | null} token */
function storeToken (token) {
  try {
    if (token === null) localStorage.removeItem(TOKEN_KEY)
    else localStorage.setItem(TOKEN_KEY, token)
  } catch { /* private mode: the session lasts as long as this page */ }
}

export function createApi () {
  let token = storedToken()

  /** Trades a `#code=` from the address for a session token, and removes it from the address. */
  async function signIn () {
    const m = /(?:^#|&)code=([A-Za-z0-9_-]+)/.exec(location.hash)
    if (m !== null) {
      // Out of the address bar and history before anything else: the code is spent either way.
      history.replaceState(null, '', location.pathname + location.search)
      const res = await fetch('/v1/session', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: m[1] }) })
      const body = await res.json().catch(() => null)
      if (res.ok && typeof body?.token === 'string') {
        token = body.token
        storeToken(token)
      } else if (token === null) {
        throw new SignInNeeded(body?.error?.message ?? `sign-in failed (HTTP ${res.status})`)
      }
    }
    if (token === null) throw new SignInNeeded('This page needs a sign-in link from the peer.')
  }

  /**
   * The body of an authenticated GET; the caller says what shape that path answers.
   * @template T
   * @param {string} path
   * @returns {Promise<T>}
   */
  async function get (path) {
    if (token === null) throw new SignInNeeded('This page needs a sign-in link from the peer.')
    const res = await fetch(path, { headers: { authorization: `Bearer ${token}` }, cache: 'no-store' })
    const body = await res.json().catch(() => null)
    if (res.status === 401) {
      token = null
      storeToken(null)
      throw new SignInNeeded('The peer no longer knows this browser (it was restarted).')
    }
    if (!res.ok) throw new ApiError(body?.error?.code ?? `HTTP_${res.status}`, body?.error?.message ?? `HTTP ${res.status}`)
    return body
  }

  /**
   * Calls onStatus with every status event, reconnecting after a drop (with a growing pause);
   * onState('live' | 'reconnecting' | 'signed-out') says how the stream is doing.
   * @param {(status: PeerStatus) => void} onStatus
   * @param {(state: StreamState) => void} onState
   */
  async function streamStatus (onStatus, onState) {
    let pause = 1000
    for (;;) {
      if (token === null) { onState('signed-out'); return }
      try {
        const res = await fetch('/v1/events', { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, cache: 'no-store' })
        if (res.status === 401) {
          token = null
          storeToken(null)
          onState('signed-out')
          return
        }
        if (!res.ok || res.body === null) throw new Error(`HTTP ${res.status}`)
        onState('live')
        pause = 1000
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buffer = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buffer += value
          let end
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            let event = 'message'
            const data = []
            for (const line of block.split('\n')) {
              if (line.startsWith('event:')) event = line.slice(6).trim()
              else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''))
            }
            if (event === 'status' && data.length > 0) onStatus(JSON.parse(data.join('\n')))
          }
        }
      } catch { /* dropped: reconnect below */ }
      onState('reconnecting')
      await new Promise(resolve => setTimeout(resolve, pause))
      pause = Math.min(pause * 2, 10_000)
    }
  }

  return { signIn, get, streamStatus }
}
