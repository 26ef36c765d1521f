/**
 * A stand-in for `peer start` in the LAN harness: one peer with real mDNS and the same local API
 * as the CLI (api.json and api.token in the data dir, on this namespace's 127.0.0.1), so the
 * harness queries it exactly as it will query the CLI. Unlike the CLI it takes a lease TTL (the
 * fault scenarios need seconds, not the default), a clock offset, and an engine bundle to run
 * as its own (the scenario of peers built from different commits). Stops gracefully on SIGTERM.
 *
 *   node --import tsx scripts/lan/peer-runner.ts \
 *     --data-dir DIR --name NAME [--cpus N] [--lease-ttl-ms MS] [--clock-offset-ms MS]
 *     [--engine-bundle-for-test FILE]
 *
 * The mesh secret is read from STRATMESH_SECRET, as `peer start` reads it: not an argument,
 * which every user of the machine could read.
 */
import { parseArgs } from 'node:util'
import { createPeer } from '../../src/node/peer.js'
import { createApiServer, type ApiServer } from '../../src/node/api/server.js'

function stamp (line: string): string {
  return `${new Date().toISOString()} ${line}\n`
}

function say (line: string): void {
  process.stdout.write(stamp(line))
}

async function main (): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      name: { type: 'string' },
      cpus: { type: 'string', default: '1' },
      'cache-mb': { type: 'string' },
      'lease-ttl-ms': { type: 'string' },
      'clock-offset-ms': { type: 'string', default: '0' },
      'engine-bundle-for-test': { type: 'string' },
    },
  })
  const secret = process.env.STRATMESH_SECRET
  const dataDir = values['data-dir']
  if (dataDir === undefined) throw new Error('--data-dir is required')
  const offset = Number(values['clock-offset-ms'])
  const ttl = values['lease-ttl-ms'] === undefined ? undefined : Number(values['lease-ttl-ms'])
  const peer = await createPeer({
    dataDir,
    mdns: true,
    listen: ['/ip4/0.0.0.0/tcp/0'],
    cpus: Number(values.cpus),
    ...(values['cache-mb'] === undefined ? {} : { cacheMb: Number(values['cache-mb']) }),
    log: say,
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(secret === undefined || secret === '' ? {} : { secret, secretFrom: 'STRATMESH_SECRET' }),
    ...(ttl === undefined ? {} : { leaseTtlMs: ttl }),
    // A machine whose wall clock is off: every timestamp the peer makes moves by the offset.
    ...(offset === 0 ? {} : { clock: () => Date.now() + offset }),
    ...(values['engine-bundle-for-test'] === undefined ? {} : { engineBundleFileForTest: values['engine-bundle-for-test'] }),
  })
  await peer.start()
  // Created before the signal handlers (which stop it), started after them.
  const api: ApiServer = createApiServer({ control: { status: async () => await peer.status(), results: async (j, t) => await peer.results(j, t), submit: async r => await peer.submit(r), stop: async () => { await shutdown('peer stop') } }, dataDir, port: 0, log: say })
  let stopping: Promise<void> | undefined
  const shutdown = (why: string): Promise<void> => {
    stopping ??= (async () => {
      say(`stopping (${why})`)
      try { await api.stop() } catch (err) { say(`stopping the local API: ${(err as Error).message}`) }
      await peer.stop()
      say('peer stopped')
    })()
    return stopping
  }
  process.on('SIGTERM', () => { void shutdown('SIGTERM') })
  process.on('SIGINT', () => { void shutdown('SIGINT') })
  await api.start()
  say(`peer ${peer.id} started; listening on ${peer.listenAddresses().join(' ')}; local API on 127.0.0.1:${api.port}`)
  await peer.stopped()
  await shutdown('the peer stopped')
}

main().then(() => { process.exit(0) }, (err: unknown) => {
  process.stderr.write(stamp(`peer-runner failed: ${(err as Error).stack ?? String(err)}`))
  process.exit(1)
})
