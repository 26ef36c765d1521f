/**
 * Live updates for the dashboard as server-sent events (GET /v1/events): the peer's status, pushed
 * when it changes, at most once per EVENT_PUSH_MS, computed once and written to every client.
 * Bounded: a fixed number of clients, a backlog cap per client (a tab that stopped reading is
 * dropped, not buffered for), and a comment line as heartbeat so proxies and the page notice a dead
 * stream. close() ends every stream, so stopping the peer never waits on an open tab.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { StratmeshError } from '../../protocol/errors.js'

/** Open event streams: one per dashboard tab; a few tabs on a few machines' browsers is the real case. */
export const MAX_EVENT_CLIENTS = 16
/** Status is pushed at most this often: a live feel without recomputing status more than once a second. */
export const EVENT_PUSH_MS = 1_000
/** Silence longer than this gets a heartbeat, well under the idle timeouts of browsers and proxies. */
export const EVENT_HEARTBEAT_MS = 15_000
/** Unsent bytes allowed per client: dozens of status events; a client this far behind is dropped. */
export const MAX_EVENT_BACKLOG_BYTES = 1024 * 1024

export interface EventHub {
  /** Takes over the response as an event stream; throws API_BUSY when MAX_EVENT_CLIENTS are open. */
  add (req: IncomingMessage, res: ServerResponse): void
  /** Clients connected now. */
  readonly size: number
  close (): void
}

export interface EventHubOptions {
  /** What is pushed as the `status` event; a rejection skips that push. */
  readonly snapshot: () => Promise<unknown>
  readonly clock?: () => number
  readonly log?: (line: string) => void
}

interface Client { readonly res: ServerResponse, lastWrite: number, sent: string }

export function createEventHub (opts: EventHubOptions): EventHub {
  const clock = opts.clock ?? Date.now
  const clients = new Set<Client>()
  let timer: ReturnType<typeof setInterval> | undefined
  let ticking = false
  let closed = false

  function drop (c: Client): void {
    clients.delete(c)
    if (!c.res.writableEnded) c.res.end()
    if (clients.size === 0 && timer !== undefined) { clearInterval(timer); timer = undefined }
  }

  function write (c: Client, text: string): void {
    if (c.res.writableLength > MAX_EVENT_BACKLOG_BYTES) {
      opts.log?.('api: dropping an event stream that stopped reading')
      c.res.destroy()
      drop(c)
      return
    }
    c.res.write(text)
    c.lastWrite = clock()
  }

  async function push (only?: Client): Promise<void> {
    let json: string
    try {
      json = JSON.stringify(await opts.snapshot())
    } catch {
      return
    }
    if (closed) return
    for (const c of only === undefined ? [...clients] : [only]) {
      if (!clients.has(c)) continue
      if (c.sent !== json) {
        c.sent = json
        write(c, `event: status\ndata: ${json}\n\n`)
      } else if (clock() - c.lastWrite >= EVENT_HEARTBEAT_MS) {
        write(c, ': heartbeat\n\n')
      }
    }
  }

  function tick (): void {
    if (ticking) return
    ticking = true
    push().finally(() => { ticking = false })
  }

  return {
    add (req, res) {
      if (closed) throw new StratmeshError('PEER_STOPPING', 'the peer is stopping')
      if (clients.size >= MAX_EVENT_CLIENTS) {
        throw new StratmeshError('API_BUSY', `${MAX_EVENT_CLIENTS} live dashboard streams are open already; close a dashboard tab`)
      }
      req.resume()
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-content-type-options': 'nosniff',
      })
      res.flushHeaders()
      const c: Client = { res, lastWrite: clock(), sent: '' }
      clients.add(c)
      res.on('close', () => { drop(c) })
      void push(c)
      timer ??= setInterval(tick, EVENT_PUSH_MS)
    },
    get size () { return clients.size },
    close () {
      closed = true
      if (timer !== undefined) clearInterval(timer)
      timer = undefined
      for (const c of [...clients]) drop(c)
    },
  }
}
