/**
 * The dashboard's static files, served by the local API without a token (they hold no data; the
 * page signs in before it asks for any). Only files that exist in the dashboard directory under a
 * plain name are served, looked up in a table, never by joining a request path onto a directory.
 * From dist/ the files, and the chart library vendored next to them, were copied there by the
 * build (scripts/build-dashboard.js); from the sources (tests, tsx) they are read in place.
 */
import { existsSync, readdirSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, extname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { ServerResponse } from 'node:http'
import { StratmeshError } from '../../protocol/errors.js'

/** src/dashboard or dist/dashboard, beside this module's directory. */
export const DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/', import.meta.url))
/** The chart library's self-contained browser build and its licence, as the build copies them. */
export const VENDOR_SCRIPT = 'lightweight-charts.standalone.production.js'
export const VENDOR_LICENSE = 'lightweight-charts.LICENSE.txt'

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  // LICENSE, read from node_modules when running from the sources.
  '': 'text/plain; charset=utf-8',
}

/**
 * The page loads nothing from anywhere but this server, runs no inline script, and may not be
 * framed; the chart library sets element styles from script, which style-src does not govern.
 */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/** Where the vendored chart library is: copied into dist by the build, else in node_modules. */
function vendorDir (): string {
  const copied = join(DASHBOARD_DIR, 'vendor')
  if (existsSync(join(copied, VENDOR_SCRIPT))) return copied
  return join(dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')), 'dist')
}

let table: Map<string, string> | undefined

/** URL path -> file. */
function assets (): Map<string, string> {
  if (table !== undefined) return table
  const t = new Map<string, string>()
  const names = existsSync(DASHBOARD_DIR) ? readdirSync(DASHBOARD_DIR) : []
  for (const name of names) {
    if (/^[a-z0-9-]+\.(js|css|html)$/.test(name)) t.set(`/dashboard/${name}`, join(DASHBOARD_DIR, name))
  }
  t.set('/', join(DASHBOARD_DIR, 'index.html'))
  try {
    const vendor = vendorDir()
    t.set('/dashboard/vendor/lightweight-charts.js', join(vendor, VENDOR_SCRIPT))
    // In node_modules the licence is the package's LICENSE; the build renames it beside the script.
    t.set('/dashboard/vendor/LICENSE.txt', existsSync(join(vendor, VENDOR_LICENSE)) ? join(vendor, VENDOR_LICENSE) : join(vendor, '..', 'LICENSE'))
  } catch {
    // Not installed: the page says its charts cannot load; the rest of the API works.
  }
  table = t
  return t
}

/** True when this GET path is a dashboard file (served without a token). */
export function isAssetPath (path: string): boolean {
  return path === '/' || path === '/favicon.ico' || path.startsWith('/dashboard/')
}

const cache = new Map<string, Buffer>()

export async function serveAsset (res: ServerResponse, path: string, method: string): Promise<void> {
  if (path === '/favicon.ico') {
    res.writeHead(204, { 'cache-control': 'max-age=86400' })
    res.end()
    return
  }
  const file = assets().get(path)
  if (file === undefined) throw new StratmeshError('API_NOT_FOUND', `no such dashboard file: ${path}`)
  let body = cache.get(file)
  if (body === undefined) {
    try {
      body = await readFile(file)
    } catch (err) {
      throw new StratmeshError('DASHBOARD_ASSET_MISSING', `the dashboard file ${file} is missing from this install (npm run build copies it)`, { cause: err })
    }
    cache.set(file, body)
  }
  res.writeHead(200, {
    'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-cache',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  })
  res.end(method === 'HEAD' ? undefined : body)
}
