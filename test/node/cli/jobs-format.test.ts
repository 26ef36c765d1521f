/** `peer jobs` and `peer status` as text: each job's state, cancelled ones marked partial. */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { jobsText } from '../../../src/node/cli/commands-jobs.js'
import { jobsTable } from '../../../src/node/cli/format.js'
import type { JobListRow, JobStatusView } from '../../../src/node/peer-types.js'

const row = (over: Partial<JobListRow>): JobListRow => ({
  id: 'a'.repeat(64), state: 'running', committed: 3, total: 8, priority: 0, submitter: '12D3KooWabcdefgh', submitterName: 'mac',
  submittedAt: 0, ageMs: 90_000, strategy: 'sma-cross', forgotten: false, ...over,
})

test('peer jobs: one line per job with its state, units, priority, submitter and age', () => {
  const text = jobsText([row({}), row({ id: 'b'.repeat(64), state: 'cancelled', priority: -5, forgotten: true }), row({ id: 'c'.repeat(64), state: 'stopped', stopped: 'STRATEGY_LOOKAHEAD: x' })])
  // A header, its rule, then the jobs in the order given.
  const lines = text.split('\n').slice(2)
  assert.equal(lines.length, 3)
  assert.match(lines[0], /^aaaaaaaa\w*\s+running\s+3\/8\s+0\s+sma-cross\s+mac \(abcdefgh\)\s+90s ago$/)
  assert.match(lines[1], /cancelled \(partial\), forgotten here\s+3\/8\s+-5/)
  assert.match(lines[2], /stopped \(STRATEGY_LOOKAHEAD: x\)/)
  assert.match(jobsText([]), /no jobs yet/)
})

test('peer status shows a cancelled job as cancelled, a done one as done', () => {
  const job = (over: Partial<JobStatusView>): JobStatusView => ({
    id: 'd'.repeat(64), strategy: 's', dataset: 'd', objective: 'sharpe', submitter: 'x', committed: 2, total: 4, progress: 0.5, leased: 0,
    done: false, runnable: true, bestFitness: null, ...over,
  })
  assert.match(jobsTable([job({ cancelled: true })]), /cancelled \(partial results\)/)
  assert.doesNotMatch(jobsTable([job({})]), /cancelled/)
  assert.match(jobsTable([job({ cancelled: true, done: true, committed: 4 })]), /done/)
})
