/**
 * `peer open`: the local peer's dashboard in the default browser, signed in. The peer mints
 * one-time sign-in links; one is printed (for another browser, or a machine without one), another
 * goes to the browser through a small redirect page written to the data dir (mode 0600), so the
 * link never appears on a command line other users could read. No browser is not an error: the
 * printed address is enough.
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { connectToPeer } from '../api/index.js'
import { writePrivateFile } from '../private-file.js'
import { dataDirFrom } from './options.js'

/** The redirect page `peer open` hands the browser; rewritten on every run. */
export const OPEN_PAGE_FILE = 'dashboard-open.html'
/** An opener still running after this long has handed over to a browser; it is left to itself. */
export const BROWSER_START_WAIT_MS = 3_000

export interface OpenOptions {
  readonly dataDir?: string
  readonly json?: boolean
  /** false with --no-browser. */
  readonly browser?: boolean
}

function escapeHtml (s: string): string {
  return s.replace(/[&<>"']/g, c => `&#${c.charCodeAt(0)};`)
}

/** A page that sends the browser on to the dashboard link at once. */
export function redirectPage (url: string): string {
  const u = escapeHtml(url)
  return `<!doctype html>\n<html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta http-equiv="refresh" content="0;url=${u}"><title>stratmesh</title></head>\n<body><p><a href="${u}">Open the stratmesh dashboard</a></p></body></html>\n`
}

/** The platform's "open this with the default application" command. */
function opener (target: string): [string, string[]] {
  if (process.platform === 'darwin') return ['open', [target]]
  if (process.platform === 'win32') return ['cmd', ['/c', 'start', '', target]]
  return ['xdg-open', [target]]
}

/** Starts the default browser on `target`; resolves with why it could not, or null. */
export async function openInBrowser (target: string): Promise<string | null> {
  const [cmd, args] = opener(target)
  return await new Promise(resolve => {
    let settled = false
    const done = (why: string | null): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(why)
    }
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true, windowsHide: true })
    const timer = setTimeout(() => { child.unref(); done(null) }, BROWSER_START_WAIT_MS)
    child.once('error', (err: NodeJS.ErrnoException) => { done(err.code === 'ENOENT' ? `${cmd} is not installed` : err.message) })
    child.once('exit', code => { done(code === 0 ? null : `${cmd} exited with code ${code ?? 'unknown'}`) })
  })
}

export async function openCommand (opts: OpenOptions): Promise<void> {
  const dataDir = dataDirFrom(opts)
  const peer = await connectToPeer(dataDir)
  const { url } = await peer.dashboardLink()
  if (opts.json === true) {
    process.stdout.write(JSON.stringify({ url }) + '\n')
    return
  }
  process.stdout.write(`${url}\n`)
  if (opts.browser === false) return
  const page = join(dataDir, OPEN_PAGE_FILE)
  await writePrivateFile(page, redirectPage((await peer.dashboardLink()).url))
  const failed = await openInBrowser(page)
  process.stderr.write(failed === null
    ? 'opened the dashboard in your browser (the address above signs in one more browser)\n'
    : `could not start a browser (${failed}); open the address above (it works once)\n`)
}
