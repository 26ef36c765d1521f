/**
 * The mesh secret: every peer of one user's mesh shares it, and the libp2p private-network key is
 * derived from it, so machines without it cannot even finish a connection. Given by flag or
 * STRATMESH_SECRET; otherwise the one stored in the data dir; otherwise a new one is generated,
 * stored (mode 0600) and shown to the user with the command that joins other machines.
 */
import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { MIN_SECRET_LENGTH } from '../../protocol/swarm-key.js'
import { writePrivateFile } from '../private-file.js'

export const SECRET_FILE = 'mesh.secret'
/** 24 random bytes: 192 bits, far beyond guessing, short enough to paste. */
const GENERATED_SECRET_BYTES = 24

export interface MeshSecret {
  readonly secret: string
  /** True when this start created it (the user has to copy it to the other machines). */
  readonly generated: boolean
  readonly source: 'flag' | 'env' | 'data-dir' | 'generated'
}

function check (secret: string, where: string): string {
  const s = secret.trim()
  if (s.length < MIN_SECRET_LENGTH) {
    throw new StratmeshError('SECRET_TOO_SHORT', `the mesh secret from ${where} has ${s.length} characters; use at least ${MIN_SECRET_LENGTH}`, { details: { field: 'secret' } })
  }
  return s
}

export async function resolveMeshSecret (opts: { dataDir: string, flag?: string, env?: string }): Promise<MeshSecret> {
  const path = join(opts.dataDir, SECRET_FILE)
  if (opts.flag !== undefined) return await remember(path, { secret: check(opts.flag, '--secret'), generated: false, source: 'flag' })
  if (opts.env !== undefined && opts.env !== '') return await remember(path, { secret: check(opts.env, 'STRATMESH_SECRET'), generated: false, source: 'env' })
  let stored: string | undefined
  try { stored = await readFile(path, 'utf8') } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StratmeshError('SECRET_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`, { cause: err })
  }
  if (stored !== undefined) return { secret: check(stored, path), generated: false, source: 'data-dir' }
  const secret = randomBytes(GENERATED_SECRET_BYTES).toString('base64url')
  await writePrivateFile(path, secret)
  return { secret, generated: true, source: 'generated' }
}

/** The last secret used is kept, so a plain `peer start` next time joins the same mesh. */
async function remember (path: string, s: MeshSecret): Promise<MeshSecret> {
  let stored: string | undefined
  try { stored = (await readFile(path, 'utf8')).trim() } catch { stored = undefined }
  if (stored !== s.secret) await writePrivateFile(path, s.secret)
  return s
}
