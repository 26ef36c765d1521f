/**
 * The mesh secret: every peer of one user's mesh shares it, and the libp2p private-network key is
 * derived from it, so machines without it cannot even finish a connection. Given by the caller
 * (the CLI takes it from STRATMESH_SECRET, a secret file or a prompt, never from its command line,
 * which every local user can read); otherwise the one stored in the data dir; otherwise a new one
 * is generated, stored (mode 0600) and shown to the user with how other machines join.
 */
import { randomBytes } from 'node:crypto'
import { open, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { MIN_SECRET_LENGTH } from '../../protocol/swarm-key.js'
import { writePrivateFile } from '../private-file.js'

export const SECRET_FILE = 'mesh.secret'
/** 24 random bytes: 192 bits, far beyond guessing, short enough to paste. */
const GENERATED_SECRET_BYTES = 24
/**
 * Largest secret file read: a secret is one line, so a bigger file is the wrong one (a key, a
 * log), and the cap keeps `--secret-file /dev/zero` from filling memory.
 */
export const MAX_SECRET_FILE_BYTES = 4096
/**
 * Group and other permission bits. Any of them on a secret file lets another user read the secret
 * (and join the mesh, so run code on every machine of it) or replace it (and move this machine
 * into their mesh); refused, as ssh refuses such a private key, since a warning scrolls away.
 */
const SHARED_MODE_BITS = 0o077

export interface MeshSecret {
  readonly secret: string
  /** True when this start created it (the user has to copy it to the other machines). */
  readonly generated: boolean
  readonly source: 'given' | 'data-dir' | 'generated'
}

/** The secret trimmed, or SECRET_TOO_SHORT naming where it came from. */
export function checkMeshSecret (secret: string, where: string): string {
  const s = secret.trim()
  if (s.length < MIN_SECRET_LENGTH) {
    throw new StratmeshError('SECRET_TOO_SHORT', `the mesh secret from ${where} has ${s.length} characters; use at least ${MIN_SECRET_LENGTH}`, { details: { field: 'secret' } })
  }
  return s
}

export async function resolveMeshSecret (opts: { dataDir: string, given?: string, givenFrom?: string }): Promise<MeshSecret> {
  const path = join(opts.dataDir, SECRET_FILE)
  if (opts.given !== undefined) return await remember(path, { secret: checkMeshSecret(opts.given, opts.givenFrom ?? 'the peer options'), generated: false, source: 'given' })
  let stored: string | undefined
  try { stored = await readFile(path, 'utf8') } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new StratmeshError('SECRET_UNREADABLE', `cannot read ${path}: ${(err as Error).message}`, { cause: err })
  }
  if (stored !== undefined) return { secret: checkMeshSecret(stored, path), generated: false, source: 'data-dir' }
  const secret = randomBytes(GENERATED_SECRET_BYTES).toString('base64url')
  await writePrivateFile(path, secret)
  return { secret, generated: true, source: 'generated' }
}

/** Whether the data dir holds a secret (a missing dir holds none). */
export async function hasStoredSecret (dataDir: string): Promise<boolean> {
  try {
    await stat(join(dataDir, SECRET_FILE))
    return true
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return false
    throw new StratmeshError('SECRET_UNREADABLE', `cannot read ${join(dataDir, SECRET_FILE)}: ${(err as Error).message}`, { cause: err })
  }
}

/**
 * The secret in the file `--secret-file` names, checked: at most MAX_SECRET_FILE_BYTES, owner-only
 * permissions when it is a regular file (a pipe such as `<(pass show mesh)` holds nothing at rest).
 */
export async function readSecretFile (path: string): Promise<string> {
  const where = `--secret-file ${path}`
  const unreadable = (why: string, cause?: unknown): StratmeshError =>
    new StratmeshError('SECRET_FILE_UNREADABLE', `${where}: ${why}`, { cause, details: { option: '--secret-file', path } })
  let handle
  try { handle = await open(path, 'r') } catch (err) { throw unreadable(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err) }
  try {
    const info = await handle.stat()
    if (info.isDirectory()) throw unreadable('is a directory, not a file')
    // Windows has no such mode bits; its ACLs are not checked here.
    if (info.isFile() && process.platform !== 'win32' && (info.mode & SHARED_MODE_BITS) !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(3, '0')
      throw new StratmeshError('SECRET_FILE_EXPOSED', `${where}: the file has mode ${mode}, so other users can read or replace the secret; run \`chmod 600 ${path}\``, { details: { option: '--secret-file', path, mode } })
    }
    const buf = Buffer.alloc(MAX_SECRET_FILE_BYTES + 1)
    let length = 0
    for (;;) {
      const { bytesRead } = await handle.read(buf, length, buf.length - length, null)
      if (bytesRead === 0) break
      length += bytesRead
      if (length > MAX_SECRET_FILE_BYTES) throw unreadable(`larger than ${MAX_SECRET_FILE_BYTES} bytes; a secret file holds one line`)
    }
    return checkMeshSecret(buf.subarray(0, length).toString('utf8'), where)
  } catch (err) {
    if (err instanceof StratmeshError) throw err
    throw unreadable(`cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, err)
  } finally {
    await handle.close()
  }
}

/** The last secret used is kept, so a plain `peer start` next time joins the same mesh. */
async function remember (path: string, s: MeshSecret): Promise<MeshSecret> {
  let stored: string | undefined
  try { stored = (await readFile(path, 'utf8')).trim() } catch { stored = undefined }
  if (stored !== s.secret) await writePrivateFile(path, s.secret)
  return s
}
