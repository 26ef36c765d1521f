/**
 * The engine bundle: src/engine/isolate/entry.ts with the engine and the strategy API in one
 * IIFE script, the only code an evaluator's isolate runs besides the strategy. `npm run build`
 * writes it to dist/ (scripts/build-engine-bundle.js); from sources (tests, tsx) it is bundled on
 * the fly into the temp directory, named by its hash, as launch.ts does with the child.
 */
import { buildSync } from 'esbuild'
import { existsSync } from 'node:fs'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { tempScriptFile } from './temp-script.js'

/** The bundle's file name in dist/. */
export const ENGINE_BUNDLE_FILE = 'engine-bundle.js'

const here = dirname(fileURLToPath(import.meta.url))
/** .ts from sources, .js from dist/. */
const ext = extname(fileURLToPath(import.meta.url))
const engineDir = join(here, '..', '..', 'engine', 'isolate')
const builtBundle = join(here, '..', '..', ENGINE_BUNDLE_FILE)

/** Bundles the engine entry from the files beside this one (sources or dist/). */
export function buildEngineBundle (): string {
  const out = buildSync({
    entryPoints: [join(engineDir, `entry${ext}`)],
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    // The isolate has no Node: hashing and UTF-8 come from plain-JavaScript stand-ins.
    alias: { 'node:crypto': join(engineDir, `sha256${ext}`) },
    inject: [join(engineDir, `text-encoder${ext}`)],
    write: false,
    logLevel: 'silent',
  })
  return out.outputFiles[0].text
}

let file: string | undefined

/** The path of the engine bundle an evaluator child reads: dist's, or one bundled now from sources. */
export function engineBundleFile (): string {
  if (file !== undefined) return file
  if (ext === '.js' && existsSync(builtBundle)) {
    file = builtBundle
    return file
  }
  file = tempScriptFile('stratmesh-engine', '.js', buildEngineBundle())
  return file
}
