/**
 * How an evaluator child is started: which file, with which Node flags and environment. The child
 * runs other people's code, so it gets a heap cap, Node's permission model (read access to its own
 * code only; no writes, no child processes, no workers, no addons) and an environment without the
 * parent's secrets.
 */
import { buildSync } from 'esbuild'
import { existsSync, renameSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sha256Hex } from '../../protocol/canonical.js'

export interface EvaluatorLaunch {
  /** The module fork() runs. */
  readonly modulePath: string
  readonly execArgv: readonly string[]
  readonly env: NodeJS.ProcessEnv
  readonly cwd: string
  /** Whether the permission model is on (false only on a Node without it). */
  readonly sandboxed: boolean
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
      write: false,
      logLevel: 'silent',
    })
    const text = out.outputFiles[0].text
    const file = join(tmpdir(), `stratmesh-evaluator-${sha256Hex(text).slice(0, 16)}.mjs`)
    if (!existsSync(file)) {
      const part = `${file}.${process.pid}.part`
      writeFileSync(part, text)
      renameSync(part, file)
    }
    bundled = file
  }
  return { path: bundled, readable: [bundled] }
}

/** The launch configuration for an evaluator with a `memoryMb` heap cap. */
export function evaluatorLaunch (memoryMb: number): EvaluatorLaunch {
  const child = childModule()
  const execArgv = [`--max-old-space-size=${memoryMb}`]
  // Not --frozen-intrinsics: it made evaluations 3-4x slower (frozen Object and typed-array
  // prototypes). Instead each evaluator runs one strategy in its lifetime (see evaluators/child.ts).
  execArgv.push('--permission', ...child.readable.map(p => `--allow-fs-read=${p}`))
  const env: NodeJS.ProcessEnv = {}
  for (const name of PASSED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name]
  return { modulePath: child.path, execArgv, env, cwd: PACKAGE_ROOT, sandboxed: true }
}
