import { readFileSync } from 'node:fs'
import { engineBundleFile } from '../../src/node/evaluators/engine-bundle.js'

let script: string | undefined

/** The engine bundle of this build (bundled from sources in tests), as a job's PoolJob carries it. */
export function engineScript (): string {
  script ??= readFileSync(engineBundleFile(), 'utf8')
  return script
}
