/**
 * How an evaluator child is started: which file, with which Node flags, arguments and environment.
 * Strategy code runs in the child's isolate, never in its Node realm; the process is still kept
 * small as a second wall: a heap cap, Node's permission model (read access to its own code, the
 * engine bundle and isolated-vm only; no writes, no child processes, no workers; the one native
 * addon it loads is isolated-vm) and an environment without the parent's secrets.
 */
import { buildSync } from 'esbuild'
import { realpathSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { StratmeshError } from '../../protocol/errors.js'
import { engineBundleFile } from './engine-bundle.js'
import { tempScriptFile } from './temp-script.js'

export interface EvaluatorLaunch {
  /** The module fork() runs. */
  readonly modulePath: string
  /** The child's arguments: the engine bundle, the isolate's base memory limit (MiB), isolated-vm's native binary. */
  readonly args: readonly string[]
  readonly execArgv: readonly string[]
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
}

/** The package's root directory (three levels above src/node/evaluators or dist/node/evaluators). */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url))

/** Environment variables an evaluator may see: none carry secrets, and strategies need none of them. */
const PASSED_ENV = ['NODE_ENV'] as const

let bundled: string | undefined

/**
 * From TypeScript sources (tests, `tsx`) the child would need tsx's loader, which under the
 * permission model wants a worker thread and to probe paths outside the package. Instead the child
 * is bundled once per process into one plain .mjs file in the temp directory (named by its hash, so
 * concurrent processes agree), and the child may read that file only. From dist/ it runs as is.
 */
function childModule (): { path: string, readable: string[] } {
  const self = fileURLToPath(import.meta.url)
  if (extname(self) === '.js') return { path: join(dirname(self), 'child.js'), readable: [PACKAGE_ROOT] }
  if (bundled === undefined) {
    const out = buildSync({
      entryPoints: [join(dirname(self), 'child.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node24',
      // A native addon: the child loads it from the package (see child.ts), not from the bundle.
      external: ['isolated-vm'],
      write: false,
      logLevel: 'silent',
    })
    bundled = tempScriptFile('stratmesh-evaluator', '.mjs', out.outputFiles[0].text)
  }
  return { path: bundled, readable: [bundled] }
}

/** The platforms isolated-vm 7 ships prebuilt binaries for (what to tell a user whose machine has none). */
export const ISOLATE_PLATFORMS = 'Node 24 or newer on Linux x64/arm64, macOS arm64 or Windows x64'

/**
 * The file of isolated-vm's native binary for this machine (the prebuild node-gyp-build picks),
 * after checking that it loads here. The child loads that file directly, so it reads nothing else
 * of the package. Strategies run only inside an isolate: where none can be made there is no weaker
 * fallback, and evaluators (so `peer start`) fail with EVAL_ISOLATE_UNAVAILABLE saying what to do.
 */
export function isolatedVmBinary (): string {
  const require = createRequire(join(PACKAGE_ROOT, 'package.json'))
  try {
    require('isolated-vm')
    const main = dirname(require.resolve('isolated-vm/package.json'))
    const gypBuild = createRequire(join(main, 'package.json'))('node-gyp-build') as { path (dir: string): string }
    return realpathSync(gypBuild.path(main))
  } catch (err) {
    const reason = ((err as Error).message ?? String(err)).split('\n')[0]
    throw new StratmeshError('EVAL_ISOLATE_UNAVAILABLE', `isolated-vm does not load on this machine (Node ${process.versions.node}, ${process.platform}-${process.arch}): ${reason}. Stratmesh runs strategies only inside an isolate; use ${ISOLATE_PLATFORMS}, then reinstall stratmesh`, { cause: err })
  }
}

/**
 * The launch configuration for an evaluator with a `memoryMb` heap cap (its isolate's base limit
 * too), running `bundleFile` as its own engine (default: the one built with this peer).
 */
export function evaluatorLaunch (memoryMb: number, bundleFile?: string): EvaluatorLaunch {
  const binary = isolatedVmBinary()
  const bundle = bundleFile === undefined ? engineBundleFile() : realpathSync(bundleFile)
  const child = childModule()
  const execArgv = [`--max-old-space-size=${memoryMb}`]
  // Not --frozen-intrinsics: it made evaluations 3-4x slower (frozen Object and typed-array
  // prototypes). Instead each evaluator runs one strategy in its lifetime (see evaluators/child.ts).
  execArgv.push('--permission', '--allow-addons', ...[...child.readable, bundle, binary].map(p => `--allow-fs-read=${p}`))
  const env: NodeJS.ProcessEnv = {}
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name]
  return { modulePath: child.path, args: [bundle, String(memoryMb), binary], execArgv, env, cwd: PACKAGE_ROOT }
}
