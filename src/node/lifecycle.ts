/**
 * One lifecycle for the services a peer composes, in js-libp2p's manner: each service is a
 * Startable, services start in the order they were added, and stop in reverse, so nothing is
 * stopped while a service started after it (and maybe using it) still runs. A start that fails
 * stops what had started before it, so a peer that could not start leaves nothing running.
 */
import { debuglog } from 'node:util'

export interface Startable {
  start (): void | Promise<void>
  stop (): void | Promise<void>
}

/** Step-by-step trace of starts and stops (NODE_DEBUG=stratmesh shows it). */
const trace = debuglog('stratmesh')

export interface ServiceStack {
  /** Starts `service` after everything added before it; on failure stops those, then throws. */
  start<T extends Startable> (name: string, service: T): Promise<T>
  /**
   * Records a service that is already running (created started, like the libp2p node), so
   * it is stopped in its turn.
   */
  adopt<T extends Startable> (name: string, service: T): T
  /** Stops every started service in reverse order; a failing stop is logged and skipped. */
  stop (): Promise<void>
}

/** `log` receives the stops that failed (the peer's log: the user should see them). */
export function createServiceStack (log: (line: string) => void): ServiceStack {
  const started: Array<{ readonly name: string, readonly service: Startable }> = []

  async function stop (): Promise<void> {
    for (const { name, service } of started.splice(0).reverse()) {
      trace('stopping %s', name)
      try { await service.stop() } catch (err) { log(`stopping ${name}: ${(err as Error).message}`) }
    }
  }

  return {
    async start (name, service) {
      trace('starting %s', name)
      try {
        await service.start()
      } catch (err) {
        trace('starting %s failed: %s', name, (err as Error).message)
        await stop()
        throw err
      }
      started.push({ name, service })
      return service
    },
    adopt (name, service) {
      trace('started %s', name)
      started.push({ name, service })
      return service
    },
    stop,
  }
}
