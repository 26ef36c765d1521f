import { test } from 'node:test'
import assert from 'node:assert/strict'
import { mergeLeaderboard, type LeaderboardSource } from '../../src/ledger/leaderboard.js'
import { createPrng } from '../../src/engine/prng.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import type { BestGenome } from '../../src/protocol/job-spec.js'

const g = (a: number, fitness: number | null): BestGenome => ({ params: { a }, fitness, inSample: null, outOfSample: null })

const items: LeaderboardSource[] = [
  { island: 1, epoch: 0, peer: 'p2', best: [g(1, 3), g(2, 2), g(9, null)] },
  { island: 0, epoch: 1, peer: 'p1', best: [g(3, 5), g(1, 3)] },
  { island: 0, epoch: 0, peer: 'p3', best: [g(4, 2), g(1, 3)] },
]

test('rows are distinct genomes ranked by fitness, ties broken by parameters, failed genomes left out', () => {
  const rows = mergeLeaderboard(items, 10)
  assert.deepEqual(rows.map(r => [r.rank, r.params.a, r.fitness]), [[1, 3, 5], [2, 1, 3], [3, 2, 2], [4, 4, 2]])
  assert.equal(mergeLeaderboard(items, 2).length, 2)
})

test('a genome found by several units is attributed to the earliest (epoch, island)', () => {
  const row = mergeLeaderboard(items, 10).find(r => r.params.a === 1)
  assert.deepEqual([row?.epoch, row?.island, row?.peer], [0, 0, 'p3'])
})

test('the order of the sources does not change the leaderboard', () => {
  const rng = createPrng(11)
  const want = canonicalHash(mergeLeaderboard(items, 10))
  for (let t = 0; t < 20; t++) {
    const shuffled = [...items]
    for (let i = shuffled.length - 1; i > 0; i--) { const j = rng.int(i + 1); [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]] }
    assert.equal(canonicalHash(mergeLeaderboard(shuffled, 10)), want)
  }
})
