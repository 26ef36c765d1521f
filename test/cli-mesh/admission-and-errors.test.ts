/**
 * A running `peer start` child process on 127.0.0.1 and what the user sees around it: a peer with
 * the wrong mesh secret is never admitted (and does not hammer the mesh with dials), and bad input
 * to a real peer (a strategy that does not compile, one whose params are invalid, a CSV with a
 * broken row, an unknown job, no peer at all) ends as one line naming the problem and the
 * documented exit code. The outsider is watched while the bad input is sent, to share the wait.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { copyFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { tempDir } from '../helpers/temp-dir.js'
import { waitFor } from '../helpers/wait-for.js'
import type { PeerStatus } from '../../src/node/peer-types.js'
import { EXIT_JOB_NOT_FOUND, EXIT_PEER_NOT_RUNNING, EXIT_USAGE } from '../../src/node/cli/errors.js'
import { jsonOf, REPO_ROOT, runCli, STRATEGY, withCliMesh, type CliRun } from '../helpers/cli-peer.js'

/** Longer than the first re-dial of a bootstrap address (10 s before the dialer's back-off). */
const OUTSIDER_WATCH_MS = 12_000

/** Asserts the error contract: nothing on stdout, one line `peer: CODE: …` on stderr, no stack, the exit code. */
function assertOneLine (r: CliRun, exitCode: number, code: string, what: string): string {
  assert.equal(r.code, exitCode, `${what}: exit ${exitCode}, got ${r.code}: ${r.stderr}`)
  assert.equal(r.stdout, '', `${what}: nothing on stdout`)
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `${what}: one line on stderr, got:\n${r.stderr}`)
  assert.match(lines[0], new RegExp(`^peer: ${code}: `), what)
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`)
  return lines[0]
}

// Concurrency for the first two subtests: the bad input is sent while the outsider is watched.
test('a running CLI peer: a wrong-secret peer is never admitted; bad input gets one line and its exit code', { timeout: 120_000, concurrency: true }, async t => {
  const files = await tempDir('stratmesh-cli-input-')
  await withCliMesh(t, async mesh => {
    // Debug logs of the dialer on the outsider, to count its dial attempts.
    const debug = { DEBUG: 'stratmesh:*' }
    const p0 = await mesh.add({ name: 'p0', env: debug })
    const addr = await p0.address()
    const outsiderFrom = Date.now()
    const [member, outsider] = await Promise.all([
      mesh.add({ name: 'member', bootstrap: [addr] }),
      mesh.add({ name: 'outsider', bootstrap: [addr], secret: 'not the secret of this mesh', env: debug }),
    ])
    const [p0Id, memberId, outsiderId] = await Promise.all([p0, member, outsider].map(async p => (await p.status()).self.id))
    const watchFrom = Date.now()

    const watched = t.test('the peer with a different secret is never connected, in anyone\'s view, and not re-dialled in a loop', async st => {
      // The same bootstrap address admits a member: the outsider is refused for its secret, nothing else.
      await waitFor(async () => (await member.status()).peers.some(p => p.id === p0Id && p.connected), { timeoutMs: 20_000, intervalMs: 100, message: 'the member to join through p0' })
      let polls = 0
      while (Date.now() - watchFrom < OUTSIDER_WATCH_MS) {
        const [s0, sm, so] = await Promise.all([p0.status(), member.status(), outsider.status()])
        assert.ok(!s0.peers.some(p => p.id === outsiderId && p.connected), 'p0 never connects to the outsider')
        assert.ok(!sm.peers.some(p => p.id === outsiderId && p.connected), 'the member never connects to the outsider')
        assert.deepEqual(so.peers.filter(p => p.connected), [], 'the outsider connects to nobody')
        polls++
        await new Promise(resolve => setTimeout(resolve, 250))
      }
      // And as the user sees it, through the CLI.
      const views = await Promise.all([p0, member, outsider].map(async p => jsonOf<PeerStatus>(await p.cli(['status', '--json']), `${p.name} status`)))
      assert.deepEqual(views[0].peers.filter(p => p.id === outsiderId), [], 'p0 does not list the outsider at all')
      assert.deepEqual(views[1].peers.filter(p => p.id === outsiderId), [], 'the member does not list the outsider at all')
      assert.deepEqual(views[2].peers.filter(p => p.id === p0Id || p.id === memberId), [], 'the outsider lists no member')
      assert.ok(views[0].peers.some(p => p.id === memberId && p.connected), 'p0 lists the member, connected')

      // Its whole life so far: the first dial comes as it starts.
      const lifeMs = Date.now() - outsiderFrom
      const failed = outsider.linesSince(outsiderFrom).filter(l => /stratmesh:mesh-dialer dial .* failed/.test(l.text))
      const dials = failed.length
      const refused = failed.filter(l => /mesh secret|private-network|private mesh/.test(l.text)).length
      const back = p0.linesSince(outsiderFrom).filter(l => /stratmesh:mesh-dialer dial/.test(l.text) && l.text.includes(outsiderId)).length
      st.diagnostic(`outsider watched ${OUTSIDER_WATCH_MS} ms (${polls} polls of all three): no connection either way; in its ${lifeMs} ms it logged ${dials} failed dial(s) of p0, ${refused} refused for the mesh secret; p0 dialled it ${back} time(s)`)
      assert.ok(refused >= 1, 'the outsider did dial p0 and was refused for its secret (its debug log says so)')
      assert.ok(dials <= 1 + lifeMs / 1000, `the outsider does not re-dial in a tight loop: ${dials} failed dials in ${lifeMs} ms`)
      assert.equal(back, 0, 'p0 never dials the outsider')
    })

    const badInput = t.test('bad input to the running peer: one line naming file, line and field; exit 2 or 4', async () => {
      const syntax = join(files.path, 'broken.ts')
      await copyFile(join(REPO_ROOT, 'test/fixtures/strategies/syntax-error.txt'), syntax)
      const invalid = join(files.path, 'invalid.ts')
      await copyFile(join(REPO_ROOT, 'test/fixtures/strategies/invalid.ts'), invalid)
      const csv = join(files.path, 'prices.csv')
      // Line 4 (the header is line 1) has high 9 below low 11.
      await writeFile(csv, 'timestamp,open,high,low,close,volume\n1700000000000,10,11,9,10.5,100\n1700000060000,10.5,11,9.5,10,100\n1700000120000,10,9,11,10,100\n1700000180000,10,11,9,10.5,100\n')

      const [rSyntax, rInvalid, rCsv, rJob, rJobNone] = await Promise.all([
        p0.cli(['submit', syntax]),
        p0.cli(['submit', invalid, '--json']),
        p0.cli(['submit', STRATEGY, '--data', csv]),
        p0.cli(['results', 'deadbeefdeadbeef', '--json']),
        p0.cli(['results', '--wait']),
      ])
      // Where the compiler stopped: the file by the path given, line and column.
      assert.ok(assertOneLine(rSyntax, EXIT_USAGE, 'STRATEGY_SYNTAX', 'a strategy with a syntax error').includes(`${syntax}:5:`), 'names the file by its path')
      // Which parameter is wrong, and how.
      assert.ok(assertOneLine(rInvalid, EXIT_USAGE, 'STRATEGY_INVALID', 'a strategy with invalid params').endsWith(`${invalid}: params.x min 5 is above max 1`))
      assert.ok(assertOneLine(rCsv, EXIT_USAGE, 'CSV_HIGH_BELOW_LOW', 'a CSV with high below low').endsWith(`${csv} line 4, field "high": high 9 is below low 11`))
      assert.match(assertOneLine(rJob, EXIT_JOB_NOT_FOUND, 'JOB_NOT_FOUND', 'results of an unknown job'), /deadbeefdeadbeef/)
      assertOneLine(rJobNone, EXIT_JOB_NOT_FOUND, 'JOB_NOT_FOUND', 'results --wait with no job at all')
      // Nothing bad was published, and the peer is still healthy.
      const s = jsonOf<PeerStatus>(await p0.cli(['status', '--json']), 'p0 status after bad input')
      assert.deepEqual(s.jobs, [], 'no job was published from bad input')
    })
    await Promise.all([watched, badInput])

    await t.test('no running peer: status, results, submit and stop say so in one line, exit 3 (a killed peer\'s files left behind)', async () => {
      const pid = p0.pid
      await p0.kill()
      assert.ok(pid !== undefined)
      // SIGKILL left api.json (with the dead pid) and api.token in the data dir.
      const runs = await Promise.all([['status', '--json'], ['results'], ['submit', STRATEGY], ['stop']].map(async args => await p0.cli(args)))
      for (const r of runs) {
        const line = assertOneLine(r, EXIT_PEER_NOT_RUNNING, 'PEER_NOT_RUNNING', 'a command with no peer')
        assert.ok(line.includes(p0.dataDir), `names the data dir: ${line}`)
      }
      // The data dir is free again: a new peer starts on it without any clean-up by hand.
      await p0.start()
      assert.equal((await p0.status()).self.id, p0Id)
      const again = await runCli(['status', '--json', '--data-dir', p0.dataDir])
      assert.equal(jsonOf<PeerStatus>(again, 'restarted p0 status').self.id, p0Id)
    })
  })
})
