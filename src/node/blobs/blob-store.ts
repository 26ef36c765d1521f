import { createHash, randomBytes } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { isBlobHash } from '../../protocol/sync-messages.js'

/**
 * Content-addressed blobs (strategy sources, datasets) as files named by their sha256:
 * `<dataDir>/blobs/<first two hex digits>/<hash>`. A file under its final name has been verified,
 * so readers never see a partial or corrupt blob: whole blobs are written to a temporary name
 * and renamed, downloads grow in `<hash>.part` and are renamed only once the hash checks out.
 * A `.part` file survives a broken transfer so the next attempt resumes from its last byte.
 *
 * Error codes: BLOB_BAD_HASH, BLOB_NOT_FOUND, BLOB_BAD_RANGE, BLOB_HASH_MISMATCH.
 */
export interface BlobStore {
  /** Stores `bytes` and returns their sha256 (hex). Storing a blob twice is harmless. */
  put (bytes: Uint8Array): Promise<string>
  get (hash: string): Promise<Uint8Array>
  has (hash: string): Promise<boolean>
  /** Size in bytes of a stored blob. */
  size (hash: string): Promise<number>
  /** Reads `length` bytes from `offset` in pieces of at most `pieceBytes`. */
  readRange (hash: string, offset: number, length: number, pieceBytes: number): AsyncGenerator<Uint8Array>
  /** Opens (or creates) the partial download of `hash` for appending. */
  openPart (hash: string): Promise<PartWriter>
  /** Bytes already downloaded for `hash` (0 when there is no partial download). */
  partSize (hash: string): Promise<number>
  /**
   * Verifies the partial download against its hash and moves it into place. On a mismatch the
   * part is deleted (its bytes cannot be trusted, and resuming on top of them would fail again).
   */
  commitPart (hash: string): Promise<void>
  discardPart (hash: string): Promise<void>
  /** The final path of a blob (it exists only if `has`). */
  path (hash: string): string
  /** Deletes the blob (and any partial download of it); nothing happens when it is absent. */
  remove (hash: string): Promise<void>
}

export interface PartWriter {
  /** Bytes in the part file: where the next append lands. */
  readonly offset: number
  append (bytes: Uint8Array): Promise<void>
  close (): Promise<void>
}

export interface BlobStoreInit {
  /** Blobs live under `<dataDir>/blobs`. */
  readonly dataDir: string
}

class FileBlobStore implements BlobStore {
  private readonly root: string

  constructor (init: BlobStoreInit) {
    this.root = join(init.dataDir, 'blobs')
  }

  path (hash: string): string {
    this.check(hash)
    return join(this.dirOf(hash), hash)
  }

  async put (bytes: Uint8Array): Promise<string> {
    const hash = createHash('sha256').update(bytes).digest('hex')
    const final = this.path(hash)
    if (await fileSize(final) !== null) return hash
    await mkdir(this.dirOf(hash), { recursive: true })
    // A unique temporary name: two concurrent puts of one blob must not write into one file.
    const tmp = `${final}.tmp-${randomBytes(6).toString('hex')}`
    try {
      await writeFile(tmp, bytes)
      await rename(tmp, final)
    } catch (err) {
      await rm(tmp, { force: true })
      throw err
    }
    return hash
  }

  async remove (hash: string): Promise<void> {
    const final = this.path(hash)
    await rm(final, { force: true })
    await rm(`${final}.part`, { force: true })
  }

  async get (hash: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await readFile(this.path(hash)))
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new StratmeshError('BLOB_NOT_FOUND', `no blob ${hash}`, { details: { hash } })
      throw err
    }
  }

  async has (hash: string): Promise<boolean> {
    return await fileSize(this.path(hash)) !== null
  }

  async size (hash: string): Promise<number> {
    const n = await fileSize(this.path(hash))
    if (n === null) throw new StratmeshError('BLOB_NOT_FOUND', `no blob ${hash}`, { details: { hash } })
    return n
  }

  async * readRange (hash: string, offset: number, length: number, pieceBytes: number): AsyncGenerator<Uint8Array> {
    const total = await this.size(hash)
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > total) {
      throw new StratmeshError('BLOB_BAD_RANGE', `range ${offset}+${length} outside blob of ${total} bytes`, { details: { hash, offset, length, size: total } })
    }
    const fh = await open(this.path(hash), 'r')
    try {
      let pos = offset
      const end = offset + length
      while (pos < end) {
        const buf = Buffer.allocUnsafe(Math.min(pieceBytes, end - pos))
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos)
        if (bytesRead === 0) throw new StratmeshError('BLOB_BAD_RANGE', `blob ${hash} shrank while being read`)
        pos += bytesRead
        yield new Uint8Array(buf.buffer, buf.byteOffset, bytesRead)
      }
    } finally {
      await fh.close()
    }
  }

  async openPart (hash: string): Promise<PartWriter> {
    const part = this.partOf(hash)
    await mkdir(this.dirOf(hash), { recursive: true })
    const fh = await open(part, 'a')
    let offset = (await fh.stat()).size
    return {
      get offset () { return offset },
      async append (bytes) {
        await fh.appendFile(bytes)
        offset += bytes.byteLength
      },
      async close () { await fh.close() }
    }
  }

  async partSize (hash: string): Promise<number> {
    return await fileSize(this.partOf(hash)) ?? 0
  }

  async commitPart (hash: string): Promise<void> {
    const part = this.partOf(hash)
    const actual = await hashFile(part)
    if (actual !== hash) {
      await rm(part, { force: true })
      throw new StratmeshError('BLOB_HASH_MISMATCH', `downloaded bytes hash to ${actual}, expected ${hash}`, { details: { hash, actual } })
    }
    await rename(part, this.path(hash))
  }

  async discardPart (hash: string): Promise<void> {
    await rm(this.partOf(hash), { force: true })
  }

  private check (hash: string): void {
    if (!isBlobHash(hash)) throw new StratmeshError('BLOB_BAD_HASH', `not a sha256 hex digest: ${String(hash).slice(0, 80)}`)
  }

  private dirOf (hash: string): string { return join(this.root, hash.slice(0, 2)) }
  private partOf (hash: string): string { return this.path(hash) + '.part' }
}

async function fileSize (path: string): Promise<number | null> {
  try {
    return (await stat(path)).size
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
}

async function hashFile (path: string): Promise<string> {
  const h = createHash('sha256')
  for await (const piece of createReadStream(path)) h.update(piece as Buffer)
  return h.digest('hex')
}

export function createBlobStore (init: BlobStoreInit): BlobStore {
  return new FileBlobStore(init)
}
