import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after } from 'node:test'

/**
 * A fresh directory under the OS temp dir, removed when the test file ends (or earlier by
 * calling `remove`). Tests never share a data dir, so they can run in any order.
 */
export interface TempDir {
  readonly path: string
  remove (): Promise<void>
}

export async function tempDir (prefix = 'stratmesh-test-'): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), prefix))
  let removed = false
  const remove = async (): Promise<void> => {
    if (removed) return
    removed = true
    await rm(path, { recursive: true, force: true })
  }
  after(remove)
  return { path, remove }
}
