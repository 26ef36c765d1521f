import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fork, type ChildProcess } from 'node:child_process'
import { waitFor } from '../../helpers/wait-for.js'
import { fixturePath, isAlive } from '../../fixtures/strategies/harness.js'

interface HostMessage { type: string, evaluators?: number[], reaper?: number[] }

test('a SIGKILLed parent leaves no evaluator alive, not even one stuck in an endless loop', async () => {
  const messages: HostMessage[] = []
  const host: ChildProcess = fork(fixturePath('pool-host.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  host.on('message', m => messages.push(m as HostMessage))
  let watched: number[] = []
  try {
    const pids = await waitFor(() => messages.find(m => m.type === 'pids'), { message: 'the host reports its evaluators' })
    const evaluators = pids.evaluators ?? []
    const reaper = pids.reaper ?? []
    assert.equal(evaluators.length, 2)
    assert.equal(reaper.length, 1, 'one reaper')
    watched = [...evaluators, ...reaper]
    await waitFor(() => messages.some(m => m.type === 'looping'), { message: 'an evaluator enters the endless loop' })
    assert.ok(watched.every(isAlive))
    host.kill('SIGKILL')
    await waitFor(() => watched.every(p => !isAlive(p)), { timeoutMs: 10_000, message: 'every evaluator and the reaper exit after the parent dies' })
  } finally {
    host.kill('SIGKILL')
    for (const p of watched) { try { process.kill(p, 'SIGKILL') } catch { /* already gone */ } }
  }
})
