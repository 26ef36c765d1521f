/**
 * `peer status` shows the memory of the peer and of each evaluator (their own reports over IPC),
 * and the plan's budget: real `peer start` processes on 127.0.0.1 with 1 and 3 evaluators.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { totalmem } from 'node:os'
import type { PeerMemoryView, PeerStatus } from '../../src/node/peer-types.js'
import { PEER_MEMORY_SHARE } from '../../src/node/evaluators/memory-plan.js'
import { waitFor } from '../helpers/wait-for.js'
import { jsonOf, withCliMesh, type CliPeer } from '../helpers/cli-peer.js'

const MIB = 1024 * 1024

/** Waits until every evaluator of `p` has reported, then reads `peer status --json` through the CLI. */
async function memoryOf (p: CliPeer, evaluators: number): Promise<PeerMemoryView> {
  await waitFor(async () => {
    const m = (await p.status()).memory
    return m !== undefined && m.evaluators.filter(ev => ev.role === 'evaluator' && ev.rssBytes !== null).length === evaluators
  }, { timeoutMs: 60_000, intervalMs: 200, message: `${p.name}'s ${evaluators} evaluator(s) to report their memory` })
  const m = jsonOf<PeerStatus>(await p.cli(['status', '--json']), `${p.name} status`).memory
  assert.ok(m !== undefined, `${p.name}: status --json has memory`)
  return m
}

const pooledRss = (m: PeerMemoryView): number[] => m.evaluators.filter(ev => ev.role === 'evaluator').map(ev => ev.rssBytes ?? 0)

test('peer status shows each evaluator\'s memory, the peer\'s own and the budget', { timeout: 180_000 }, async t => {
  await withCliMesh(t, async mesh => {
    // A cache far past the budget: the peer starts as told and says why it is over.
    const [one, three] = await Promise.all([mesh.add({ name: 'one', cpus: 1, cacheMb: 32 * 1024 }), mesh.add({ name: 'three', cpus: 3 })])
    const [m1, m3] = await Promise.all([memoryOf(one, 1), memoryOf(three, 3)])

    for (const [name, m, n] of [['one', m1, 1], ['three', m3, 3]] as const) {
      const rss = pooledRss(m)
      assert.equal(rss.length, n, `${name}: one row per evaluator`)
      // An idle evaluator is Node with isolated-vm loaded: tens of MiB, never nothing, never gigabytes.
      for (const r of rss) assert.ok(r > 10 * MIB && r < 2048 * MIB, `${name}: evaluator RSS ${r}`)
      assert.equal(new Set(m.evaluators.map(ev => ev.pid)).size, m.evaluators.length, `${name}: distinct processes`)
      assert.ok(m.peerRssBytes > 20 * MIB, `${name}: peer RSS ${m.peerRssBytes}`)
      assert.ok(m.totalRssBytes >= m.peerRssBytes + rss.reduce((a, b) => a + b, 0))
      assert.ok(m.machineBytes > 0 && m.machineBytes <= totalmem(), `${name}: machine memory ${m.machineBytes}`)
      assert.ok(m.budgetBytes > 0 && m.budgetBytes <= m.machineBytes * PEER_MEMORY_SHARE, `${name}: budget ${m.budgetBytes} within the share of the machine`)
    }
    const sum = (m: PeerMemoryView): number => pooledRss(m).reduce((a, b) => a + b, 0)
    assert.ok(sum(m3) > sum(m1) * 2, `three evaluators take more than twice one: ${sum(m3) / MIB} vs ${sum(m1) / MIB} MiB`)
    assert.equal(m1.cacheBytesPerEvaluator, 32 * 1024 * MIB, 'the explicit --cache-mb wins')
    assert.ok(m1.plannedBytes > m1.budgetBytes)
    assert.match(one.log(), /memory: 1 evaluator\(s\), a checker and a statistics evaluator with 32768 MiB of cache each plan \d+ MiB, over this peer's budget/)
    assert.ok(m3.plannedBytes <= m3.budgetBytes, 'the default plan fits its budget')
    assert.doesNotMatch(three.log(), /over this peer's budget/)

    // The human view lists the same processes.
    const text = (await three.cli(['status'])).stdout
    assert.match(text, /^memory: \d+ MiB in use/m)
    for (const ev of m3.evaluators) assert.match(text, new RegExp(`^${ev.role}\\s+${ev.pid}\\s+\\d+ MiB`, 'm'))
  })
})
