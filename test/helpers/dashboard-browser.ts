/**
 * The dashboard's browser tests: Debian's chromium driven by playwright-core, a fresh profile
 * every run, and the page's console errors collected for the test to assert there are none.
 */
import { existsSync } from 'node:fs'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

export const CHROMIUM = '/usr/bin/chromium'
/** Every wait in the browser is bounded by this. */
export const UI_TIMEOUT_MS = 20_000
/**
 * Chromium must not reach for the internet (there is none here, and a test must not try): no
 * background networking, component updates, sync or QUIC probing.
 */
export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

/** The `skip` of a browser test: false, or why it cannot run here. */
export const browserSkip: false | string = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium) to run the dashboard browser tests`

export interface DashboardBrowser {
  readonly context: BrowserContext
  readonly page: Page
  /** Console errors and uncaught page errors, as they happen. */
  readonly problems: string[]
}

/** A headless chromium with its profile in `profileDir` and one page whose errors are collected. */
export async function openDashboardBrowser (profileDir: string, opts: { readonly colorScheme?: 'light' } = {}): Promise<DashboardBrowser> {
  const context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    ...(opts.colorScheme === undefined ? {} : { colorScheme: opts.colorScheme }),
  })
  try {
    const page = context.pages()[0] ?? await context.newPage()
    page.setDefaultTimeout(UI_TIMEOUT_MS)
    const problems: string[] = []
    page.on('console', m => { if (m.type() === 'error') problems.push(m.text()) })
    page.on('pageerror', e => { problems.push(e.message) })
    return { context, page, problems }
  } catch (err) {
    await context.close().catch(() => {})
    throw err
  }
}
