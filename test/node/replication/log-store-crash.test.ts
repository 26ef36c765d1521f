/**
 * Crash safety: a child process appends in a loop and is SIGKILLed; every entry it acknowledged
 * must be there after reopening, the chain must verify, and no half entry may exist. The same
 * file is the child when STRATMESH_CRASH_CHILD_DIR is set.
 */
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { createLogStore } from '../../../src/node/replication/log-store.js'
import { loadOrCreateIdentity } from '../../../src/node/mesh/identity.js'
import { entryHash, verifyEntry } from '../../../src/protocol/entry.js'
import { isStratmeshError } from '../../../src/protocol/errors.js'
import { foldEntries } from '../../../src/ledger/fold.js'
import { stateHash } from '../../../src/ledger/queries.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { waitFor } from '../../helpers/wait-for.js'

const CHILD_ENV = 'STRATMESH_CRASH_CHILD_DIR'
/** Acknowledged appends to wait for before the kill: enough to cross several LevelDB log writes. */
const ACKS_BEFORE_KILL = 150

async function child (dir: string): Promise<void> {
  const { privateKey } = await loadOrCreateIdentity(dir)
  const store = createLogStore({ dataDir: dir, privateKey })
  await store.start()
  for (let i = 0; ; i++) {
    // Mix small and ~25 KB entries so the kill can land in the middle of a large write.
    const e = i % 3 === 0
      ? await store.append('blob-have', { blobs: Array.from({ length: 256 }, (_, j) => ({ hash: (i * 256 + j).toString(16).padStart(64, '0'), size: j, kind: 'dataset' as const })) })
      : await store.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1 + (i % 64), name: `crash-${i}` })
    process.stdout.write(`${e.seq} ${entryHash(e)}\n`)
  }
}

const childDir = process.env[CHILD_ENV]
if (childDir !== undefined) {
  await child(childDir)
} else {
  test('entries acknowledged before a SIGKILL survive it, whole and chained; the live child holds the lock', async () => {
    const dir = await tempDir()
    const root = fileURLToPath(new URL('../../..', import.meta.url))
    let proc: ChildProcess | undefined
    const acks: [number, string][] = []
    try {
      proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
        cwd: root, env: { ...process.env, [CHILD_ENV]: dir.path }, stdio: ['ignore', 'pipe', 'pipe']
      })
      let buffered = ''
      let stderr = ''
      proc.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString()
        const lines = buffered.split('\n')
        buffered = lines.pop() ?? ''
        for (const line of lines) { const [seq, hash] = line.split(' '); acks.push([Number(seq), hash]) }
      })
      proc.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
      await waitFor(() => acks.length >= ACKS_BEFORE_KILL || proc?.exitCode !== null, { message: 'the child to acknowledge appends', timeoutMs: 60_000 })
      assert.equal(proc.exitCode, null, `child exited early: ${stderr}`)

      const { privateKey } = await loadOrCreateIdentity(dir.path)
      const rival = createLogStore({ dataDir: dir.path, privateKey })
      await assert.rejects(rival.start(), err => isStratmeshError(err, 'DATA_DIR_LOCKED') && err.message.includes(dir.path))

      proc.kill('SIGKILL')
      await waitFor(() => proc?.exitCode !== null || proc?.signalCode !== null, { message: 'the child to die' })
    } finally {
      if (proc !== undefined && proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) process.kill(proc.pid, 'SIGKILL')
    }

    const { privateKey } = await loadOrCreateIdentity(dir.path)
    const store = createLogStore({ dataDir: dir.path, privateKey })
    await store.start()
    try {
      const head = (await store.heads())[store.author]
      assert.ok(head >= acks.length, `head ${head} >= ${acks.length} acknowledged`)
      const entries = []
      for (let from = 1; from <= head; from += 1000) entries.push(...await store.range(store.author, from, 1000))
      assert.equal(entries.length, head)
      let prev: string | null = null
      for (const [i, e] of entries.entries()) {
        await verifyEntry(e)
        assert.equal(e.seq, i + 1)
        assert.equal(e.prev, prev)
        prev = entryHash(e)
      }
      for (const [seq, hash] of acks) assert.equal(entryHash(entries[seq - 1]), hash, `acknowledged entry ${seq} is intact`)
      assert.equal(stateHash(store.state()), stateHash(foldEntries(entries)))
      const next = await store.append('hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1, name: 'after' })
      assert.equal(next.seq, head + 1)
      assert.equal(next.prev, prev)
      console.log(`# crash test: ${acks.length} acknowledged, ${head} stored after SIGKILL`)
    } finally {
      await store.stop()
    }
  })
}
