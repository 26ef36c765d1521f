/**
 * Claim races at 30 peers, simulated: each peer decides with its own ClaimOrder, and hears of the
 * others' claims and commits after a random gossip delay below a claim step. Deterministic (a
 * seeded PRNG and a simulated clock), so it checks the algorithm; the loopback test in
 * claim-order.test.ts checks the wiring with real peers.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ClaimOrder } from '../../../src/node/work/claim-order.js'
import { createPrng } from '../../../src/engine/prng.js'

interface Sim { claims: number, units: number, doneAt: number }

/** Runs a job of islands x epochs (unit (i, e) needs (i, e - 1)) on `peers` peers of one evaluator. */
function simulate (peers: number, islands: number, epochs: number, ranked: boolean, seed: number): Sim {
  const rng = createPrng(seed)
  const ids = Array.from({ length: peers }, (_, i) => `peer-${String(i).padStart(2, '0')}`)
  const queue: Array<{ at: number, run: () => void }> = []
  const at = (t: number, run: () => void): void => { queue.push({ at: t, run }); queue.sort((a, b) => a.at - b.at) }
  const key = (i: number, e: number): string => `j:${i}:${e}`
  // What each peer knows: claims (unit -> [time, author] of the earliest) and commits.
  const known = ids.map(() => ({ claims: new Map<string, [number, string]>(), commits: new Set<string>() }))
  const orders = ids.map(self => new ClaimOrder(self, () => ranked ? ids.filter(p => p !== self) : []))
  const running: Array<{ unit: string, at: number } | null> = ids.map(() => null)
  let claims = 0
  let doneAt = 0
  const delay = (): number => 5 + rng.int(120)
  const broadcast = (from: number, now: number, learn: (p: number) => void): void => {
    for (let p = 0; p < peers; p++) {
      if (p === from) { learn(p); continue }
      const d = delay()
      at(now + d, () => { orders[p].observe(d); learn(p); decide(p, now + d) })
    }
  }
  const holder = (p: number, unit: string): string | undefined => known[p].claims.get(unit)?.[1]
  function decide (p: number, now: number): void {
    const mine = running[p]
    // A peer that hears of an earlier claim on its unit stops it (the scheduler's cancelLost).
    if (mine !== null && holder(p, mine.unit) !== ids[p]) { running[p] = null; orders[p].evaluatorFreed(now) }
    if (running[p] !== null) return
    const free: Array<{ island: number, epoch: number }> = []
    for (let i = 0; i < islands; i++) {
      for (let e = 0; e < epochs; e++) {
        const k = key(i, e)
        if (known[p].commits.has(k) || known[p].claims.has(k)) continue
        if (e === 0 || known[p].commits.has(key(i, e - 1))) free.push({ island: i, epoch: e })
      }
    }
    const choice = orders[p].choose('j', free, u => key(u.island, u.epoch), now)
    if (choice === null) return
    if ('waitMs' in choice) { at(now + choice.waitMs, () => { decide(p, now + choice.waitMs) }); return }
    const unit = key(choice.unit.island, choice.unit.epoch)
    claims++
    running[p] = { unit, at: now }
    broadcast(p, now, q => {
      const prev = known[q].claims.get(unit)
      if (prev === undefined || prev[0] > now || (prev[0] === now && prev[1] > ids[p])) known[q].claims.set(unit, [now, ids[p]])
    })
    const runMs = 800 + rng.int(400)
    at(now + runMs, () => {
      if (running[p]?.unit !== unit) return
      running[p] = null
      orders[p].evaluatorFreed(now + runMs)
      doneAt = Math.max(doneAt, now + runMs)
      broadcast(p, now + runMs, q => { known[q].commits.add(unit) })
      decide(p, now + runMs)
    })
  }
  for (let p = 0; p < peers; p++) at(delay(), () => { decide(p, queue[0]?.at ?? 0) })
  for (let steps = 0; queue.length > 0 && steps < 1_000_000; steps++) {
    const next = queue.shift() as { at: number, run: () => void }
    next.run()
  }
  return { claims, units: islands * epochs, doneAt }
}

test('30 peers, gossip within 125 ms: at most 1.2 claims per unit with rendezvous turns; many more without', t => {
  for (const seed of [1, 2, 3]) {
    const ranked = simulate(30, 10, 4, true, seed)
    const racing = simulate(30, 10, 4, false, seed)
    const perUnit = ranked.claims / ranked.units
    const racingPerUnit = racing.claims / racing.units
    t.diagnostic(`seed ${seed}: ${perUnit.toFixed(2)} claims per unit with turns (done at ${ranked.doneAt} ms), ${racingPerUnit.toFixed(2)} without (done at ${racing.doneAt} ms)`)
    assert.ok(perUnit <= 1.2, `seed ${seed}: ${perUnit.toFixed(2)} claims per unit with turns`)
    assert.ok(racingPerUnit > 1.5, `seed ${seed}: the race the turns prevent shows here (${racingPerUnit.toFixed(2)} without)`)
    // Turns cost little: the job takes at most a second longer than with every peer racing.
    assert.ok(ranked.doneAt <= racing.doneAt + 1_000, `seed ${seed}: done at ${ranked.doneAt} ms with turns, ${racing.doneAt} ms without`)
  }
})
