/**
 * Scripts bundled at run time from TypeScript sources (tests, tsx) are written once into the temp
 * directory under their content hash, so concurrent processes agree on one file and an evaluator
 * may be given read access to exactly that file. From dist/ nothing is bundled.
 */
import { existsSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { sha256Hex } from '../../protocol/canonical.js'

/** The path of `text` as `<tmp>/<prefix>-<hash><ext>`, written there (atomically) if it is not yet. */
export function tempScriptFile (prefix: string, ext: string, text: string): string {
  const path = join(tmpdir(), `${prefix}-${sha256Hex(text).slice(0, 16)}${ext}`)
  if (!existsSync(path)) {
    const part = `${path}.${process.pid}.part`
    writeFileSync(part, text)
    renameSync(part, path)
  }
  return path
}
