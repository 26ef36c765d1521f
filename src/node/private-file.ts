/**
 * Files only their owner may read (identity key, mesh secret, API token), written atomically: a
 * reader, or a restart after a crash, sees the old file or the whole new one, never half of it.
 */
import { open, rename, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'

/** Writes `data` to `path` with mode 0600, through a temporary file renamed into place. */
export async function writePrivateFile (path: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`
  // 'wx' after removing a leftover: an existing file would keep its old (maybe wider) mode.
  await unlink(tmp).catch(() => {})
  const handle = await open(tmp, 'wx', 0o600)
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
  try { await rename(tmp, path) } catch (err) { await unlink(tmp).catch(() => {}); throw err }
  // The rename itself is durable only once the directory is flushed.
  const dir = await open(dirname(path), 'r')
  try { await dir.sync() } finally { await dir.close() }
}
