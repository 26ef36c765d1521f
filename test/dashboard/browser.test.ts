/**
 * The dashboard in a real browser (Debian's chromium driven by playwright-core) against a real peer
 * that has finished a small job: the page signs in, shows the mesh, the job's units and its
 * leaderboard; sorting works; clicking a row draws its equity and its trades; it stays readable in
 * dark mode and fits a laptop screen. Screenshots land in test-artifacts/dashboard/.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { createPeer, type Peer } from '../../src/node/peer.js'
import { createApiServer, API_TOKEN_FILE, type ApiServer } from '../../src/node/api/server.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { importCandles } from '../../src/engine/data/import-candles.js'
import type { BoardView, JobProgressView, RowDetailView } from '../../src/node/dashboard/types.js'
import { tempDir } from '../helpers/temp-dir.js'
import { bodyBackground, countPixels, horizontalOverflow, readClipboard } from './page-probes.js'
import { waitFor } from '../helpers/wait-for.js'
import { honestFirstUnit, startDishonestMember } from '../helpers/dishonest-member.js'
import { candlesCsv } from '../helpers/candles-csv.js'
import { browserSkip, openDashboardBrowser, UI_TIMEOUT_MS } from '../helpers/dashboard-browser.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const ARTIFACTS = join(root, 'test-artifacts', 'dashboard')
const STRATEGY = join(root, 'strategies', 'sma-cross.ts')
const SECRET = 'dashboard test mesh secret'
const skip = browserSkip

async function pixelsOf (page: Page, selector: string, cssVar: string, tolerance = 40): Promise<number> {
  return await page.evaluate(countPixels, [selector, cssVar, tolerance] as const)
}

async function columnValues (page: Page, key: string): Promise<number[]> {
  return (await page.locator(`#board tbody td[data-key="${key}"]`).evaluateAll(tds => tds.map(td => td.getAttribute('data-value')))).map(Number)
}

test('dashboard: a finished job in a real browser (sign-in, mesh, units, sortable leaderboard, equity and trades, dark mode, laptop width)', { skip, timeout: 180_000 }, async () => {
  const dir = await tempDir('stratmesh-dashboard-')
  const csvPath = join(dir.path, 'candles.csv')
  await writeFile(csvPath, candlesCsv(syntheticCandles({ bars: 4000, seed: 3 })))
  await mkdir(ARTIFACTS, { recursive: true })
  let peer: Peer | undefined
  let api: ApiServer | undefined
  let context: BrowserContext | undefined
  try {
    peer = await createPeer({ dataDir: join(dir.path, 'peer'), name: 'dash', cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, secret: SECRET })
    await peer.start()
    const p = peer
    api = createApiServer({ control: p, dashboard: p, dataDir: join(dir.path, 'peer') })
    await api.start()
    const port = api.port
    const token = (await readFile(join(dir.path, 'peer', API_TOKEN_FILE), 'utf8')).trim()
    const get = async <T>(path: string): Promise<{ status: number, body: T }> => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${token}` } })
      return { status: res.status, body: await res.json() as T }
    }

    const job = await p.submit({ strategyPath: STRATEGY, data: csvPath, islands: 2, population: 8, generations: 2, epochs: 2, seed: 7, minTrades: 1 })
    await waitFor(async () => (await p.results(job.jobId, 1)).done, { message: 'the job to finish', timeoutMs: 90_000, intervalMs: 200 })

    // The API the page uses, on the real peer: rows with ids, every unit committed, details that match their rows.
    const board = (await get<BoardView>(`/v1/board?job=${job.jobId}&top=100`)).body
    assert.ok(board.rows.length > 0)
    const progress = (await get<JobProgressView>(`/v1/progress?job=${job.jobId}`)).body
    assert.deepEqual(progress.units?.map(u => u.state), ['committed', 'committed', 'committed', 'committed'])
    assert.ok(progress.history.length > 0, 'the job has a history')
    const row = board.rows[0]
    const detail = await get<RowDetailView>(`/v1/detail?job=${job.jobId}&row=${row.id}`)
    assert.equal(detail.status, 200)
    const d = detail.body
    assert.equal(d.consistent, true)
    assert.equal(d.inSample.equity.value.at(-1)! - 1, row.inSample?.totalReturn, 'final in-sample equity is the row\'s in-sample return')
    assert.equal(d.outOfSample.equity.value.at(-1)! - 1, row.outOfSample?.totalReturn, 'final out-of-sample equity is the row\'s out-of-sample return')
    assert.equal(Math.min(...d.inSample.drawdown.value), -(row.inSample?.maxDrawdown ?? NaN))
    assert.equal(d.inSample.tradeCount, row.inSample?.trades)
    assert.ok(d.candles.time.length <= 2000 && d.candles.bucketBars === 2, '4000 bars merged two by two')
    const missing = await get<{ error: { code: string } }>(`/v1/detail?job=${job.jobId}&row=ffffffffffffffff`)
    assert.equal(missing.status, 404)
    assert.equal(missing.body.error.code, 'ROW_NOT_FOUND')

    // Another member commits a wrong result for a finished unit: the peer's check rejects it, and
    // the page must say so (a broken or tampered machine is its owner's business).
    const member = await startDishonestMember(SECRET)
    await member.dial(p.listenAddresses()[0])
    const honest = await honestFirstUnit(job.spec, STRATEGY, importCandles(await readFile(csvPath), 'candles.csv').candles)
    await member.commit({ ...honest, island: 1, epoch: 1, best: [{ ...honest.best[0], params: { fast: 7, slow: 395 }, fitness: 1e6 }, ...honest.best.slice(1)] })
    await waitFor(async () => (await p.status()).checks.rejected.length === 1, { message: 'the wrong commit checked and rejected', timeoutMs: 30_000, intervalMs: 200 })

    const browser = await openDashboardBrowser(join(dir.path, 'chromium-profile'), { colorScheme: 'light' })
    context = browser.context
    const { page, problems } = browser
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: `http://127.0.0.1:${port}` })
    const foreign: string[] = []
    page.on('request', r => { if (!r.url().startsWith(`http://127.0.0.1:${port}/`)) foreign.push(r.url()) })

    await page.goto(api.dashboardUrl())
    await page.waitForSelector('#board tbody tr')
    assert.ok(!page.url().includes('code='), 'the spent code is gone from the address bar')
    assert.equal(await page.locator('#board tbody tr').count(), board.rows.length)
    assert.match(await page.locator('#mesh tbody').innerText(), /dash/)
    await waitFor(async () => await page.locator('#unit-grid .cell.committed').count() === 4, { message: 'four committed units drawn', timeoutMs: UI_TIMEOUT_MS })
    await page.waitForSelector('#live[data-state="live"]')
    await page.waitForSelector('#mesh-warnings:not([hidden])')
    assert.match(await page.locator('#mesh-warnings').innerText(), /committed 1 result\(s\) that failed this peer's check and do not count; the first: island 1, epoch 1: best genome 0 is not the population's genome 0/)

    // Sorting: out-of-sample return, best first, then reversed.
    await page.click('#board th[data-key="oos.return"]')
    const desc = await columnValues(page, 'oos.return')
    assert.deepEqual(desc, [...desc].sort((a, b) => b - a))
    await page.click('#board th[data-key="oos.return"]')
    const asc = await columnValues(page, 'oos.return')
    assert.deepEqual(asc, [...asc].sort((a, b) => a - b))
    assert.equal(await page.getAttribute('#board th[data-key="oos.return"]', 'aria-sort'), 'ascending')

    // A row: its equity and drawdown, its trades on the candles, its parameters.
    const target = board.rows.find(r => r.id === row.id)!
    await page.click(`#board tbody tr[data-id="${row.id}"]`)
    await page.waitForSelector('#detail-card[data-state="ready"]')
    await waitFor(async () => await pixelsOf(page, '#equity-chart', '--is') > 200, { message: 'the in-sample equity line drawn', timeoutMs: UI_TIMEOUT_MS })
    await waitFor(async () => await pixelsOf(page, '#equity-chart', '--oos') > 100, { message: 'the out-of-sample equity line drawn', timeoutMs: UI_TIMEOUT_MS })
    await waitFor(async () => await pixelsOf(page, '#candle-chart', '--up') + await pixelsOf(page, '#candle-chart', '--down') > 500, { message: 'candles drawn', timeoutMs: UI_TIMEOUT_MS })
    assert.match(await page.locator('#detail-status').innerText(), /match the leaderboard/)
    assert.match(await page.locator('#params').innerText(), /fast/)
    await page.click('#copy-params')
    await page.waitForSelector('#copy-note:text("copied")')
    assert.deepEqual(JSON.parse(await page.evaluate(readClipboard)), target.params)

    // Laptop width: nothing scrolls sideways.
    const overflow = await page.evaluate(horizontalOverflow)
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px at 1280x800`)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-light.png'), fullPage: true })

    // Dark mode: dark page, dark chart, still drawn.
    await page.emulateMedia({ colorScheme: 'dark' })
    const bg = await page.evaluate(bodyBackground)
    const [r, g, b] = (bg.match(/\d+/g) ?? []).map(Number)
    assert.ok(0.2126 * r + 0.7152 * g + 0.0722 * b < 50, `dark background, got ${bg}`)
    await waitFor(async () => await pixelsOf(page, '#equity-chart', '--card', 6) > 10_000, { message: 'the equity chart repainted dark', timeoutMs: UI_TIMEOUT_MS })
    assert.ok(await pixelsOf(page, '#equity-chart', '--is') > 200, 'the equity line is visible on the dark chart')
    const darkOverflow = await page.evaluate(horizontalOverflow)
    assert.ok(darkOverflow <= 0)
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-dark.png'), fullPage: true })

    // A reload keeps the session (no new link needed).
    await page.reload()
    await page.waitForSelector('#board tbody tr')
    assert.equal(await page.isHidden('#signin'), true)

    assert.deepEqual(problems, [], 'no console errors (CSP violations included)')
    assert.deepEqual(foreign, [], 'the page talks to this peer only')
  } finally {
    await context?.close().catch(() => {})
    await api?.stop().catch(() => {})
    await peer?.stop().catch(() => {})
  }
})
