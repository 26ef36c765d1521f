/**
 * The dashboard of a job stopped on its peer (its strategy looks ahead), in a real browser: the
 * job list and the leaderboard's note show the error, and the leaderboard has no row. The page
 * reads a real API server and the peer's real board answer (createDashboardData) over a results
 * view as the peer gives it for a stopped job; status and progress are fixed answers.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { BrowserContext } from 'playwright-core'
import { createApiServer, type ApiServer } from '../../src/node/api/server.js'
import { createDashboardData } from '../../src/node/dashboard/data.js'
import type { JobProgressView } from '../../src/node/dashboard/types.js'
import { emptyLedger } from '../../src/ledger/fold.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import type { JobStatusView, PeerControl, PeerStatus, ResultsView, SubmitResult } from '../../src/node/peer-types.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'
import { tempDir } from '../helpers/temp-dir.js'
import { browserSkip, openDashboardBrowser } from '../helpers/dashboard-browser.js'

const skip = browserSkip

const JOB = 'ab'.repeat(32)
const STOPPED = 'STRATEGY_LOOKAHEAD: genome [["period",7]] looks ahead: its position at bar 1499 (2024-01-02T00:00:00.000Z) differs when the data is cut at 1500 bars'

function stoppedPeer (): { control: PeerControl, progress: JobProgressView, results: ResultsView } {
  const spec = createJobSpec({ engine: ENGINE_FIXTURE, strategy: { hash: 'a'.repeat(64), name: 'peeks-next-close' }, dataset: { hash: 'b'.repeat(64), name: 'candles.csv', bars: 2000 }, ga: { islands: 2, epochs: 2 } })
  const job: JobStatusView = {
    id: JOB, strategy: 'peeks-next-close', dataset: 'candles.csv', objective: spec.objective, submitter: 'someone', committed: 1, total: 4,
    progress: 0.25, leased: 0, done: false, runnable: false, reason: STOPPED, bestFitness: null, stopped: STOPPED,
  }
  const status = {
    self: { id: 'self-peer-id', name: 'dash', state: 'self', connected: true, addresses: [], evalsPerSec: 0, lastSeenMs: 0, fingerprint: null, dataDir: '/', uptimeMs: 1, listen: [] },
    peers: [], jobs: [job], conflicts: [], checks: { checked: 0, pending: 0, evaluations: 0, rejected: [], unchecked: [] }, rejected: {}, syncErrors: {}, frozen: [],
  } as unknown as PeerStatus
  const results: ResultsView = { job: { id: JOB, spec, submitter: 'someone', committed: 1, total: 4 }, done: false, leaderboard: [], stopped: STOPPED, statistics: { ready: false, reason: 'the job stopped', trials: 96, pbo: null, pboRows: null, rows: null, sharpeVariance: null, expectedMaxSharpe: null } }
  const control: PeerControl = {
    async status () { return status },
    async results () { return results },
    async submit () { return {} as unknown as SubmitResult },
    async stop () {},
  }
  const progress: JobProgressView = { id: JOB, strategy: 'peeks-next-close', dataset: 'candles.csv', islands: 2, epochs: 2, committed: 1, total: 4, done: false, perEpoch: [], units: [], history: [] }
  return { control, progress, results }
}

test('dashboard: a stopped job shows its error in the job list and the leaderboard, and no row', { skip, timeout: 120_000 }, async () => {
  const dir = await tempDir('stratmesh-dashboard-stopped-')
  const peer = stoppedPeer()
  const data = createDashboardData({
    state: emptyLedger,
    running: () => [],
    results: async () => peer.results,
    readiness: () => ({ ready: false, reason: STOPPED, permanent: true }),
    detail: async () => { throw new Error('no detail of a stopped job') },
    clock: () => Date.now(),
  })
  const board = await data.board(JOB, 100)
  assert.equal(board.stopped, STOPPED, 'the board carries the error')
  assert.deepEqual(board.rows, [])
  let api: ApiServer | undefined
  let context: BrowserContext | undefined
  try {
    api = createApiServer({ control: peer.control, dashboard: { ...data, progress: async () => peer.progress }, dataDir: dir.path })
    await api.start()
    const browser = await openDashboardBrowser(join(dir.path, 'chromium-profile'))
    context = browser.context
    const { page, problems } = browser

    await page.goto(api.dashboardUrl())
    await page.waitForSelector('#board-note:text("stopped: STRATEGY_LOOKAHEAD")')
    assert.equal(await page.locator('#board-note').innerText(), `stopped: ${STOPPED} · no row of a stopped job is ranked`)
    assert.equal(await page.locator('#board tbody tr').count(), 0, 'no leaderboard row')
    assert.match(await page.locator('#jobs').innerText(), /stopped: STRATEGY_LOOKAHEAD: genome \[\["period",7\]\] looks ahead/)
    assert.doesNotMatch(await page.locator('#jobs').innerText(), /cannot run here/)
    assert.deepEqual(problems, [], 'no console errors')
  } finally {
    await context?.close().catch(() => {})
    await api?.stop().catch(() => {})
  }
})
