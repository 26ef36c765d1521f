/**
 * The reaper: a tiny helper process that SIGKILLs the pool's evaluators if the pool's process dies.
 * An evaluator exits by itself when its IPC channel closes, but only if its event loop runs; one
 * stuck in a strategy's endless loop would burn a core forever after a SIGKILLed parent. The
 * reaper's event loop is always idle, so it notices the disconnect at once, kills every evaluator
 * it was told about, and exits. It runs trusted code only (a few lines given on its command line).
 * It ignores SIGINT: a Ctrl-C reaches the whole process group, and the peer ends it in its own time.
 */
import { spawn, type ChildProcess } from 'node:child_process'

const REAPER_CODE = `
const pids = new Set()
process.on('SIGINT', () => {})
process.on('message', m => { if (m && Number.isInteger(m.add)) pids.add(m.add); if (m && Number.isInteger(m.remove)) pids.delete(m.remove); if (m && m.clear) pids.clear() })
process.on('disconnect', () => { for (const pid of pids) { try { process.kill(pid, 'SIGKILL') } catch {} } process.exit(0) })
`

/** How long close() waits for the reaper to leave by itself before killing it: it has nothing to flush. */
export const REAPER_EXIT_WAIT_MS = 2000

export interface Reaper {
  readonly pid: number | undefined
  watch (pid: number): void
  unwatch (pid: number): void
  /** Ends the reaper (without killing anything) and resolves when it has exited. */
  close (): Promise<void>
}

export function startReaper (): Reaper {
  const child: ChildProcess = spawn(process.execPath, ['-e', REAPER_CODE], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: {} })
  const exited = new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  child.on('error', () => { /* spawn failure: evaluators still exit on disconnect when idle */ })
  const send = (m: object): void => {
    if (child.connected) child.send(m, () => { /* a closed channel means the reaper is gone */ })
  }
  return {
    pid: child.pid,
    watch: pid => send({ add: pid }),
    unwatch: pid => send({ remove: pid }),
    async close () {
      // Forget every pid first (messages are ordered), so a disconnect kills nothing reused.
      if (child.connected) {
        send({ clear: true })
        child.disconnect()
      }
      if (child.exitCode === null && child.signalCode === null) {
        // Should the reaper not exit on disconnect, do not wait forever.
        const t = setTimeout(() => child.kill('SIGKILL'), REAPER_EXIT_WAIT_MS)
        await exited
        clearTimeout(t)
      }
    },
  }
}
