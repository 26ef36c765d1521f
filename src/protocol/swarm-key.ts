import { createHash } from 'node:crypto'
import { StratmeshError } from './errors.js'

/**
 * The private-network key of a mesh, derived from the user's mesh secret so every peer given the
 * same secret computes the same key and nobody has to copy a key file around.
 *
 * key = sha256("stratmesh/swarm-key/v1\n" + secret), 32 bytes. The domain prefix keeps this hash
 * unrelated to any other use of the same secret; the version lets a later derivation (a slow KDF,
 * say) coexist with this one. sha256 is fast, so a weak secret can be brute-forced by anyone who
 * records a handshake: the secret keeps strangers off the mesh, it is not a password vault
 * (docs/SECURITY.md).
 *
 * The result is in the text format @libp2p/pnet decodes (go-ipfs swarm.key v1):
 * "/key/swarm/psk/1.0.0/\n/base16/\n<64 hex digits>".
 */
export const SWARM_KEY_DOMAIN = 'stratmesh/swarm-key/v1\n'

/** A secret shorter than this is almost certainly a mistake (an empty env var, a stray flag). */
export const MIN_SECRET_LENGTH = 8

export function swarmKeyFromSecret (secret: string): Uint8Array {
  if (typeof secret !== 'string' || secret.length < MIN_SECRET_LENGTH) {
    throw new StratmeshError('SWARM_SECRET_TOO_SHORT', `the mesh secret must have at least ${MIN_SECRET_LENGTH} characters`)
  }
  const hex = createHash('sha256').update(SWARM_KEY_DOMAIN + secret, 'utf8').digest('hex')
  return new TextEncoder().encode(`/key/swarm/psk/1.0.0/\n/base16/\n${hex}`)
}
