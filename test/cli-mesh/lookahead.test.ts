/**
 * What a user sees of the look-ahead and constraint checks at submit, through a real peer: a
 * strategy that reads the future (directly, or through an indicator of shifted data) and one whose
 * constraints starve the GA are refused with one line naming the code, a non-zero exit, and no
 * job on the ledger; an honest example is accepted by the same peer.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { join } from 'node:path'
import type { PeerStatus } from '../../src/node/peer-types.js'
import { EXIT_USAGE } from '../../src/node/cli/errors.js'
import { jsonOf, REPO_ROOT, STRATEGY, withCliMesh } from '../helpers/cli-peer.js'

const fixture = (name: string): string => join(REPO_ROOT, 'test/fixtures/strategies', name)

test('submit refuses a strategy that looks ahead and a constraint-starved one; nothing is published', { timeout: 120_000 }, async t => {
  await withCliMesh(t, async mesh => {
    const p0 = await mesh.add({ name: 'p0' })
    const cases = [
      ['peeks-next-close.ts', 'STRATEGY_LOOKAHEAD'],
      ['peeks-through-indicator.ts', 'STRATEGY_LOOKAHEAD'],
      ['constraint-starved.ts', 'STRATEGY_CONSTRAINTS_UNSATISFIABLE'],
    ] as const
    for (const [file, code] of cases) {
      const r = await p0.cli(['submit', fixture(file)])
      assert.equal(r.code, EXIT_USAGE, `${file}: exit ${EXIT_USAGE}, got ${r.code}: ${r.stderr}`)
      assert.equal(r.stdout, '', `${file}: nothing on stdout`)
      const lines = r.stderr.trimEnd().split('\n')
      assert.equal(lines.length, 1, `${file}: one line on stderr, got:\n${r.stderr}`)
      assert.match(lines[0], new RegExp(`^peer: ${code}: `), file)
      if (code === 'STRATEGY_LOOKAHEAD') assert.match(lines[0], /genome \[\["period",\d+\]\] looks ahead: .*cut at \d+ bars/)
      else assert.match(lines[0], /a must be 4242/)
    }
    assert.deepEqual(jsonOf<PeerStatus>(await p0.cli(['status', '--json']), 'status').jobs, [], 'no job was published')
    const ok = await p0.cli(['submit', STRATEGY, '--json'])
    assert.equal(ok.code, 0, ok.stderr)
    assert.equal(jsonOf<PeerStatus>(await p0.cli(['status', '--json']), 'status').jobs.length, 1, 'an honest strategy is accepted')
  })
})
