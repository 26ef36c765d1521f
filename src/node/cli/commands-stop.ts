/**
 * `peer stop`: asks the local peer to stop and waits until its process is gone, so "stopped"
 * means no evaluator is left burning a core.
 */
import { StratmeshError } from '../../protocol/errors.js'
import { connectToPeer, pidAlive } from '../api/index.js'
import { dataDirFrom } from './options.js'

/** Releasing leases, a last sync and ending evaluators take seconds; a minute means it is stuck. */
export const STOP_WAIT_MS = 60_000
const STOP_POLL_MS = 100

export async function stopCommand (opts: { dataDir?: string }): Promise<void> {
  const peer = await connectToPeer(dataDirFrom(opts))
  await peer.stop()
  const deadline = Date.now() + STOP_WAIT_MS
  while (pidAlive(peer.info.pid)) {
    if (Date.now() >= deadline) {
      throw new StratmeshError('STOP_TIMEOUT', `the peer (pid ${peer.info.pid}) accepted the stop but is still running after ${STOP_WAIT_MS / 1000} s`)
    }
    await new Promise(resolve => setTimeout(resolve, STOP_POLL_MS))
  }
  process.stderr.write(`peer stopped (pid ${peer.info.pid})\n`)
}
