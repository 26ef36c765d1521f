import * as lp from 'it-length-prefixed'
import type { Uint8ArrayList } from 'uint8arraylist'
import type { Libp2p, PeerId, Stream, Connection } from '@libp2p/interface'
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import { bad, encodeJsonFrame, parseJsonFrame, type ErrorMessage } from '../../protocol/sync-messages.js'

/**
 * Length-prefixed request/response over libp2p streams: one stream per request, one request
 * frame, then one or more response frames until the responder closes. Every frame is checked
 * against a size cap before it is buffered, every JSON frame is validated, and every exchange
 * runs under an idle timeout (reset by each frame) so a silent peer cannot hold a request open.
 *
 * Error codes: SYNC_TOO_LARGE (frame over the cap), SYNC_BAD_MESSAGE (not JSON, wrong shape,
 * truncated, trailing frames), SYNC_TIMEOUT, SYNC_UNSUPPORTED_PROTOCOL (the peer does not speak
 * the protocol), SYNC_STREAM_ERROR (reset, connection lost), SYNC_REMOTE_ERROR (the responder
 * answered with an error message; its code is in details.remoteCode).
 */

/**
 * How long a request may wait for the next frame. Peers are on one LAN or VPN and responders do
 * bounded work per request, so ten silent seconds mean a stuck or sleeping peer.
 */
export const DEFAULT_IDLE_TIMEOUT_MS = 10_000

export type StreamNode = Pick<Libp2p, 'dialProtocol' | 'handle' | 'unhandle'>

/** One side of a framed exchange. */
export class FrameChannel {
  readonly stream: Stream
  private readonly frames: AsyncIterator<Uint8ArrayList>
  private readonly idleTimeoutMs: number
  private timer: ReturnType<typeof setTimeout> | undefined
  private failure: StratmeshError | undefined
  /** Frames sent so far: once a response has started, an error can only be a reset. */
  sentFrames = 0

  constructor (stream: Stream, maxFrameBytes: number, idleTimeoutMs: number) {
    this.stream = stream
    this.idleTimeoutMs = idleTimeoutMs
    this.frames = lp.decode(stream, { maxDataLength: maxFrameBytes })[Symbol.asyncIterator]()
    this.arm()
  }

  /** The next frame, or null once the other side has closed its writing end. */
  async read (): Promise<Uint8Array | null> {
    let result: IteratorResult<Uint8ArrayList>
    try {
      result = await this.frames.next()
    } catch (err) {
      throw this.fail(this.translate(err))
    }
    if (this.failure !== undefined) throw this.failure
    this.arm()
    return result.done === true ? null : result.value.subarray()
  }

  /** The next frame parsed as JSON and checked by `validate`; null at the end of the stream. */
  async readJson<T> (validate: (value: unknown) => T): Promise<T | null> {
    const frame = await this.read()
    if (frame === null) return null
    // A bad message leaves the stream intact: the responder may still answer with an error.
    try {
      return validate(parseJsonFrame(frame))
    } catch (err) {
      throw isStratmeshError(err) ? err : bad((err as Error).message)
    }
  }

  /** Sends one frame, waiting while the muxer asks us to slow down. */
  async send (frame: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure
    try {
      if (!this.stream.send(lp.encode.single(frame))) await this.stream.onDrain()
    } catch (err) {
      throw this.fail(this.translate(err))
    }
    this.sentFrames++
    this.arm()
  }

  async sendJson (value: unknown): Promise<void> {
    await this.send(encodeJsonFrame(value))
  }

  /** Checks that the other side has nothing more to say. */
  async expectEnd (): Promise<void> {
    if (await this.read() !== null) throw this.fail(bad('unexpected frame after the last response'))
  }

  /** Closes our writing end once everything sent has been handed to the muxer. */
  async closeWrite (): Promise<void> {
    try {
      await this.stream.close()
    } catch (err) {
      throw this.fail(this.translate(err))
    }
  }

  /** Aborts the stream (the peer sees a reset) and remembers why. */
  fail (err: StratmeshError): StratmeshError {
    if (this.failure === undefined) {
      this.failure = err
      this.stream.abort(err)
    }
    this.disarm()
    return this.failure
  }

  /** Stops the idle timer and the frame reader; the stream itself is closed or failed by then. */
  dispose (): void {
    this.disarm()
    this.frames.return?.().catch(() => {})
  }

  private arm (): void {
    this.disarm()
    this.timer = setTimeout(() => {
      this.fail(new StratmeshError('SYNC_TIMEOUT', `no frame for ${this.idleTimeoutMs} ms on ${this.stream.protocol}`))
    }, this.idleTimeoutMs)
  }

  private disarm (): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
  }

  private translate (err: unknown): StratmeshError {
    if (this.failure !== undefined) return this.failure
    if (isStratmeshError(err)) return err
    const e = err as { name?: string, message?: string }
    if (e.name === 'InvalidDataLengthError' || e.name === 'InvalidDataLengthLengthError') {
      return new StratmeshError('SYNC_TOO_LARGE', `frame exceeds the size cap on ${this.stream.protocol}`, { cause: err })
    }
    if (e.name === 'UnexpectedEOFError' || e.name === 'InvalidMessageLengthError') {
      return new StratmeshError('SYNC_BAD_MESSAGE', 'truncated or malformed frame', { cause: err })
    }
    return new StratmeshError('SYNC_STREAM_ERROR', `stream failed: ${e.message ?? String(err)}`, { cause: err })
  }
}

export interface RequestOptions {
  /** Cap on each response frame. */
  maxFrameBytes: number
  idleTimeoutMs?: number
  signal?: AbortSignal
}

/**
 * Opens a stream to `peer`, sends `req`, and lets `consume` read the responses. The stream is
 * always closed or aborted on return. An `error` message from the responder is raised as
 * SYNC_REMOTE_ERROR by the validators' caller (see remoteError).
 */
export async function request<T> (node: StreamNode, peer: PeerId, protocol: string, req: unknown,
  options: RequestOptions, consume: (channel: FrameChannel) => Promise<T>): Promise<T> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
  const dialSignal = options.signal === undefined
    ? AbortSignal.timeout(idleTimeoutMs)
    : AbortSignal.any([options.signal, AbortSignal.timeout(idleTimeoutMs)])
  let stream: Stream
  try {
    stream = await node.dialProtocol(peer, protocol, { signal: dialSignal })
  } catch (err) {
    throw dialError(err, protocol, peer)
  }
  const channel = new FrameChannel(stream, options.maxFrameBytes, idleTimeoutMs)
  const onAbort = (): void => { channel.fail(new StratmeshError('SYNC_ABORTED', 'request aborted')) }
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    await channel.sendJson(req)
    await channel.closeWrite()
    const result = await consume(channel)
    await channel.expectEnd()
    return result
  } catch (err) {
    throw channel.fail(isStratmeshError(err) ? err : new StratmeshError('SYNC_STREAM_ERROR', (err as Error).message, { cause: err }))
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
    channel.dispose()
  }
}

function dialError (err: unknown, protocol: string, peer: PeerId): StratmeshError {
  const e = err as { name?: string, message?: string }
  const details = { protocol, peer: peer.toString() }
  if (e.name === 'UnsupportedProtocolError') return new StratmeshError('SYNC_UNSUPPORTED_PROTOCOL', `peer does not speak ${protocol}`, { cause: err, details })
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return new StratmeshError('SYNC_TIMEOUT', `opening ${protocol} timed out`, { cause: err, details })
  return new StratmeshError('SYNC_STREAM_ERROR', `cannot open ${protocol}: ${reasonOf(err)}`, { cause: err, details })
}

/** A readable reason for anything thrown: libp2p sometimes rejects with an Event, not an Error. */
function reasonOf (err: unknown): string {
  if (err instanceof Error) return err.message
  if (err !== null && typeof err === 'object') {
    const { error, type, message } = err as { error?: unknown, type?: unknown, message?: unknown }
    if (error instanceof Error) return error.message
    if (typeof message === 'string') return message
    if (typeof type === 'string') return `the connection ended (${type} event)`
  }
  return String(err)
}

/**
 * Turns a responder's `error` message into an error on the requesting side. The responder's code
 * stays in details, under a code of ours: another peer (maybe of another version) chose it.
 */
export function remoteError (msg: ErrorMessage, peer: PeerId): StratmeshError {
  return new StratmeshError('SYNC_REMOTE_ERROR', `peer answered ${msg.code}: ${msg.message}`, { details: { remoteCode: msg.code, peer: peer.toString() } })
}

export interface ServeOptions<Req> {
  /** Cap on the request frame. */
  maxRequestBytes: number
  validate: (value: unknown) => Req
  idleTimeoutMs?: number
  /** Concurrent inbound streams per connection for this protocol. */
  maxInboundStreams?: number
  /** Told about every failed exchange (bad requests, timeouts, handler errors), for stats and logs. */
  onError?: (err: StratmeshError, peer: PeerId) => void
}

/**
 * Registers a responder for `protocol`: reads and validates one request, runs `handler` (which
 * sends the responses on the channel), then closes. A handler's StratmeshError is sent to the
 * peer as an `error` message with its code; nothing a peer sends can throw out of here.
 */
export async function serve<Req> (node: StreamNode, protocol: string, options: ServeOptions<Req>,
  handler: (req: Req, channel: FrameChannel, peer: PeerId) => Promise<void>): Promise<void> {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS
  await node.handle(protocol, async (stream: Stream, connection: Connection) => {
    const peer = connection.remotePeer
    const channel = new FrameChannel(stream, options.maxRequestBytes, idleTimeoutMs)
    try {
      const req = await channel.readJson(options.validate)
      if (req === null) throw bad('stream closed before a request was sent')
      await handler(req, channel, peer)
      await channel.closeWrite()
    } catch (err) {
      const e = isStratmeshError(err) ? err : new StratmeshError('SYNC_HANDLER_FAILED', (err as Error).message, { cause: err })
      options.onError?.(e, peer)
      await replyWithError(channel, e)
    } finally {
      channel.dispose()
    }
  }, options.maxInboundStreams === undefined ? {} : { maxInboundStreams: options.maxInboundStreams })
}

async function replyWithError (channel: FrameChannel, err: StratmeshError): Promise<void> {
  const s = channel.stream
  if (channel.sentFrames > 0 || s.status !== 'open' || s.writeStatus !== 'writable') { channel.fail(err); return }
  try {
    const msg: ErrorMessage = { t: 'error', code: err.code, message: err.message }
    await channel.sendJson(msg)
    await channel.closeWrite()
  } catch {
    channel.fail(err)
  }
}
