/**
 * The scale run's core (scripts/lan/scale-run.ts) at 4 peers with one frozen and one killed: the
 * script itself must keep working, and its figures must come from somewhere real. The 30-peer run
 * is by hand (docs/RELIABILITY.md, "Scale: 30 peers on one machine").
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { held, runScale } from '../../scripts/lan/scale-run.js'
import { pickVictims } from '../../scripts/lan/scale-faults.js'
import { lanSkip } from '../helpers/lan.js'

test('the victims of a seed are the same every time, distinct, and never h0', () => {
  const a = pickVictims(30, 5, 3, 11)
  assert.deepEqual(pickVictims(30, 5, 3, 11), a)
  const all = [...a.freeze, ...a.kill]
  assert.equal(new Set(all).size, 8)
  assert.ok(all.every(i => i >= 1 && i < 30))
  assert.notDeepEqual(pickVictims(30, 5, 3, 12), a, 'another seed, other victims')
  assert.throws(() => pickVictims(4, 2, 2, 1), /h0 stays up/)
})

test('a 4-peer scale run with a freeze and a kill holds and measures', { skip: lanSkip, timeout: 240_000 }, async () => {
  const report = await runScale({
    peers: 4,
    freeze: 1,
    kill: 1,
    seed: 3,
    idleMs: 5_000,
    freezeMs: 25_000,
    cacheMb: 64,
    job: { islands: 3, epochs: 4, population: 16, generations: 4, bars: 8000 },
    startConcurrency: 4,
    minFreeBytes: 2 ** 30,
    log: line => { if (process.env.STRATMESH_LAN_VERBOSE === '1') process.stderr.write(`${line}\n`) },
  })
  assert.ok(held(report), `the run held: ${JSON.stringify({ run: report.run, boards: { ...report.boards, top: undefined } })}`)
  assert.equal(report.run.live, 3, 'the killed peer is not counted as live')
  assert.notEqual(report.startup.fullMeshMs, null, 'the 4 peers met by mDNS')
  assert.ok(report.faults !== null && report.faults.killedHosts.length === 1 && report.faults.frozenHosts.length === 1)
  assert.ok(report.ledger.afterJob.entries.min > report.ledger.before.entries.max, 'the job grew every ledger')
  assert.ok(report.traffic.busy.gossip.median > 0 && report.traffic.busy.wire.median > report.traffic.busy.gossip.median, 'gossip was counted, and the wire carries more than the payload')
  assert.ok(report.run.claimsPerUnit >= 1, 'every unit was claimed at least once')
  assert.equal(report.run.entries.commit >= report.job.units, true, 'a commit for every unit')
  assert.ok(report.rssMb.min > 0, 'each peer\'s memory was read')
})
