/**
 * A finished walk-forward job in a real browser (Debian's chromium, playwright-core) against a real
 * peer: the page lists each window with its dates and winner, draws the stitched out-of-sample
 * equity with the test ranges shaded, and a row's detail uses the row's own window. Screenshot in
 * test-artifacts/dashboard/.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { BrowserContext } from 'playwright-core'
import { createPeer, type Peer } from '../../src/node/peer.js'
import { createApiServer, type ApiServer } from '../../src/node/api/server.js'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { windowOf } from '../../src/protocol/unit-layout.js'
import { tempDir } from '../helpers/temp-dir.js'
import { browserSkip, openDashboardBrowser, UI_TIMEOUT_MS } from '../helpers/dashboard-browser.js'
import { countPixels } from './page-probes.js'
import { waitFor } from '../helpers/wait-for.js'
import { candlesCsv } from '../helpers/candles-csv.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const ARTIFACTS = join(root, 'test-artifacts', 'dashboard')
const STRATEGY = join(root, 'strategies', 'sma-cross.ts')
const skip = browserSkip

test('dashboard: a walk-forward job shows its windows, their winners and the stitched equity with the test ranges shaded', { skip, timeout: 180_000 }, async () => {
  const dir = await tempDir('stratmesh-dashboard-wf-')
  const csvPath = join(dir.path, 'candles.csv')
  await writeFile(csvPath, candlesCsv(syntheticCandles({ bars: 2400, seed: 3 })))
  await mkdir(ARTIFACTS, { recursive: true })
  let peer: Peer | undefined
  let api: ApiServer | undefined
  let context: BrowserContext | undefined
  try {
    peer = await createPeer({ dataDir: join(dir.path, 'peer'), name: 'dash', cpus: 1, listen: ['/ip4/127.0.0.1/tcp/0'], mdns: false, secret: 'dashboard walk-forward secret' })
    await peer.start()
    const p = peer
    api = createApiServer({ control: p, dashboard: p, dataDir: join(dir.path, 'peer') })
    await api.start()
    const job = await p.submit({ strategyPath: STRATEGY, data: csvPath, islands: 1, population: 8, generations: 2, epochs: 1, seed: 7, minTrades: 1, walkForward: 'rolling', windows: 3 })
    await waitFor(async () => ((await p.results(job.jobId, 1)).walkForward?.result ?? null) !== null, { message: 'the walk-forward result', timeoutMs: 90_000, intervalMs: 200 })
    const board = await p.board(job.jobId, 100)
    const wf = board.walkForward
    assert.ok(wf !== undefined && wf.equity !== null)

    const browser = await openDashboardBrowser(join(dir.path, 'chromium-profile'), { colorScheme: 'light' })
    context = browser.context
    const { page, problems } = browser
    await page.goto(api.dashboardUrl())
    await page.waitForSelector('#wf-card:not([hidden]) #wf-windows tbody tr')
    const rows = await page.locator('#wf-windows tbody tr').evaluateAll(trs => trs.map(tr => [tr.getAttribute('data-window'), ...Array.from(tr.children, td => (td as { textContent: string | null }).textContent)]))
    assert.equal(rows.length, 3)
    rows.forEach((r, k) => {
      const w = wf.windows[k]
      assert.equal(r[0], String(k))
      assert.equal(r[4], (w.leader?.fitness ?? NaN).toFixed(3), 'the window\'s winner fitness')
      assert.match(r[7] ?? '', /fast=\d+ slow=\d+/, 'the winner\'s parameters')
      assert.ok(w.time !== null && (r[3] ?? '').startsWith(new Date(w.time.testFrom).toISOString().slice(0, 10)), 'the test range\'s first date')
    })
    assert.ok((await page.locator('#wf-note').innerText()).includes(`Stitched out of sample (${wf.stitched?.bars ?? NaN} bars)`))
    await waitFor(async () => await page.evaluate(countPixels, ['#wf-chart', '--oos', 40] as const) > 100, { message: 'the stitched equity drawn', timeoutMs: UI_TIMEOUT_MS })
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-walk-forward.png'), fullPage: true })

    // A row of the last window: its detail splits at that window's first test bar.
    const row = board.rows.find(r => windowOf(board.job.spec, r.island) === 2)
    assert.ok(row !== undefined)
    await page.click(`#board tbody tr[data-id="${row.id}"]`)
    await page.waitForSelector('#detail-card[data-state="ready"]')
    assert.match(await page.locator('#detail-status').innerText(), /match the leaderboard/, 'recomputed on its own window, the metrics are the row\'s')
    assert.deepEqual(problems, [], 'no console errors')
  } finally {
    await context?.close().catch(() => {})
    await api?.stop().catch(() => {})
    await peer?.stop().catch(() => {})
  }
})
