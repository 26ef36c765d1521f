/**
 * TextEncoder for the engine bundle (esbuild injects it where the engine names the global): a bare
 * V8 isolate has no Web APIs, and the canonical encoder needs UTF-8 bytes to hash.
 */
import { utf8Bytes } from './sha256.js'

export class TextEncoder {
  readonly encoding = 'utf-8'
  encode (text = ''): Uint8Array { return utf8Bytes(text) }
}
