import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createJobInterest, type JobInterest } from '../../../src/node/work/job-interest.js'
import { createPeerEvents } from '../../../src/node/peer-events.js'
import { tempDir } from '../../helpers/temp-dir.js'

const ASKED = 'a1'.repeat(32)
const FORGOTTEN = 'f0'.repeat(32)

async function started (dataDir: string): Promise<JobInterest> {
  const interest = createJobInterest({ events: createPeerEvents() }, { self: 'self', dataDir })
  await interest.start()
  return interest
}

test('the jobs asked for are still asked for after a restart on the same data dir, until forgotten', async () => {
  const dir = await tempDir('stratmesh-interest-')
  const first = await started(dir.path)
  await first.ask(ASKED)
  await first.ask(FORGOTTEN)
  await first.drop(FORGOTTEN)
  assert.equal(first.asked(FORGOTTEN), false)
  await first.stop()

  const second = await started(dir.path)
  assert.equal(second.asked(ASKED), true, 'an asked job stays awake across the restart')
  assert.equal(second.asked(FORGOTTEN), false, 'a forgotten job left the set on disk too')
  await second.stop()

  const elsewhere = await tempDir('stratmesh-interest-')
  const fresh = await started(elsewhere.path)
  assert.equal(fresh.asked(ASKED), false, 'another data dir knows nothing of it')
  await fresh.stop()
})
