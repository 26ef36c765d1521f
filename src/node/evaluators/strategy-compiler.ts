/**
 * Turning a strategy's TS/JS ESM source into CommonJS text for an evaluator, in the peer process.
 * The code is only transformed here, never run: running it is the evaluator child's job. The import
 * check below is an early, friendly error; the enforcement is the child's `require`, which hands
 * out the strategy API and nothing else, and its lack of a dynamic-import callback.
 */
import { transformSync, type Message } from 'esbuild'
import { extname } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { STRATEGY_API_MODULE } from '../../engine/strategy-loader.js'

/**
 * Largest strategy source accepted: real strategies are a few KB; 1 MiB leaves room for embedded
 * lookup tables while keeping a blob that travels the mesh, and esbuild's work on it, small.
 */
export const MAX_STRATEGY_SOURCE_BYTES = 1024 * 1024

const LOADERS: Readonly<Record<string, 'ts' | 'js'>> = { '.ts': 'ts', '.mts': 'ts', '.js': 'js', '.mjs': 'js' }

// esbuild writes every import as `require("x")` in CommonJS output and keeps `import(x)` as is.
// Comments are gone from its output, so only a string literal can contain a false match, and a
// false match rejects (safe); a renamed `require` slips through here but gets nothing at run time.
const REQUIRE_RE = /(?<![\w$.])require\s*\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')?/g
const IMPORT_RE = /(?<![\w$.])import\s*\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')?/g

/** Compiles a strategy to CommonJS; throws STRATEGY_TOO_LARGE, STRATEGY_SYNTAX or STRATEGY_FORBIDDEN_IMPORT. */
export function compileStrategy (source: string, fileName: string): string {
  const size = Buffer.byteLength(source, 'utf8')
  if (size > MAX_STRATEGY_SOURCE_BYTES) {
    throw new StratmeshError('STRATEGY_TOO_LARGE', `${fileName}: ${size} bytes; a strategy may be at most ${MAX_STRATEGY_SOURCE_BYTES} bytes`, { details: { file: fileName, bytes: size } })
  }
  const loader = LOADERS[extname(fileName).toLowerCase()]
  if (loader === undefined) {
    throw new StratmeshError('STRATEGY_BAD_FILE', `${fileName}: a strategy must be a .ts or .js file`, { details: { file: fileName } })
  }
  let code: string
  try {
    code = transformSync(source, { loader, format: 'cjs', target: 'node24', sourcefile: fileName, logLevel: 'silent' }).code
  } catch (err) {
    throw syntaxError(err, fileName)
  }
  checkImports(code, fileName)
  return code
}

function syntaxError (err: unknown, fileName: string): StratmeshError {
  const first = (err as { errors?: Message[] }).errors?.[0]
  if (first === undefined) return new StratmeshError('STRATEGY_SYNTAX', `${fileName}: ${(err as Error).message}`, { cause: err, details: { file: fileName } })
  const loc = first.location
  // esbuild columns are 0-based; editors count from 1.
  const where = loc === null ? fileName : `${fileName}:${loc.line}:${loc.column + 1}`
  return new StratmeshError('STRATEGY_SYNTAX', `${where}: ${first.text}`, {
    cause: err,
    details: { file: fileName, line: loc?.line, column: loc === null ? undefined : loc.column + 1, lineText: loc?.lineText },
  })
}

function checkImports (code: string, fileName: string): void {
  for (const m of code.matchAll(REQUIRE_RE)) {
    const name = m[1] ?? m[2]
    if (name === STRATEGY_API_MODULE) continue
    throw forbidden(fileName, name === undefined ? 'a computed require()' : `"${name}"`, name)
  }
  for (const m of code.matchAll(IMPORT_RE)) {
    const name = m[1] ?? m[2]
    throw forbidden(fileName, name === undefined ? 'a computed dynamic import()' : `"${name}" (dynamic import)`, name)
  }
}

function forbidden (fileName: string, what: string, name: string | undefined): StratmeshError {
  return new StratmeshError('STRATEGY_FORBIDDEN_IMPORT', `${fileName}: imports ${what}; a strategy may import only '${STRATEGY_API_MODULE}'`, { details: { file: fileName, import: name } })
}
