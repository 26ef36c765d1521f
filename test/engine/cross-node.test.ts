/**
 * Peers on different Node releases share jobs, so two major versions must give the same bits:
 * the battery of test/helpers/cross-node-run.ts (Math functions, indicators, whole GA jobs) runs
 * here and in a child under the Node binary named by STRATMESH_OTHER_NODE, and the two JSON
 * texts must be equal byte for byte. CI sets the variable; without it the test says what to set.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { crossNodeRun, type CrossNodeResult } from '../helpers/cross-node-run.js'

const OTHER_NODE = process.env.STRATMESH_OTHER_NODE
const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const CHILD = fileURLToPath(new URL('../helpers/cross-node-run.ts', import.meta.url))
/** Far above the battery's few seconds; a child this slow is stuck. */
const CHILD_TIMEOUT_MS = 120_000

function major (version: string): string {
  return version.replace(/^v/, '').split('.')[0]
}

async function runUnder (node: string): Promise<CrossNodeResult> {
  return await new Promise((resolve, reject) => {
    execFile(node, ['--import', 'tsx', CHILD], { cwd: ROOT, timeout: CHILD_TIMEOUT_MS, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err !== null) reject(new Error(`${node} failed: ${err.message}\n${stderr.slice(-2000)}`))
      else resolve(JSON.parse(stdout) as CrossNodeResult)
    })
  })
}

const skip = OTHER_NODE === undefined || OTHER_NODE === '' ? 'set STRATMESH_OTHER_NODE to a Node binary of another major version' : false

test('another major version of Node gives the same bits: Math, indicators, leaderboards and checkpoint hashes', { skip, timeout: CHILD_TIMEOUT_MS + 30_000 }, async t => {
  const other = runUnder(OTHER_NODE as string)
  const here = await crossNodeRun()
  const there = await other
  if (major(there.node) === major(here.node)) {
    t.skip(`STRATMESH_OTHER_NODE is ${there.node}, the same major version as this ${here.node}: set it to a Node binary of another major version`)
    return
  }
  t.diagnostic(`${here.node} against ${there.node}`)
  assert.deepEqual(there.battery, here.battery, `${there.node} and ${here.node} differ`)
  assert.equal(JSON.stringify(there.battery), JSON.stringify(here.battery))
})
