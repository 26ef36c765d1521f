/** The scale run's report as a person reads it (scripts/lan/scale.ts prints it; --json gives the object). */
import type { ScaleReport } from './scale-run.js'
import type { Boards, Rates, Sizes } from './scale-sample.js'

type Spread = { median: number, max: number, min: number }

const s = (ms: number | null): string => ms === null ? 'never' : `${(ms / 1000).toFixed(1)} s`
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`
const med = (x: Spread, f: (n: number) => string): string => `${f(x.median)} (max ${f(x.max)})`

function rateLine (name: string, r: Rates): string {
  return `  ${name.padEnd(12)} gossip ${med(r.gossip, kb)}, pull ${med(r.pull, kb)}, on the wire ${med(r.wire, kb)} per peer per minute; CPU ${med(r.cpuPercent, n => `${n} %`)} of a core  [${r.minutes} min, load ${r.load}]`
}

function sizeLine (name: string, z: Sizes): string {
  return `  ${name.padEnd(12)} ${med(z.entries, String)} entries, ${med(z.bytes, kb)} per peer  [load ${z.load}]`
}

function boardLine (when: string, b: Boards, live: number): string {
  const differences = b.differences.map(d => `\n    differs on ${d}`).join('')
  return `${when}: ${b.identical}/${live} identical, ${b.distinct} distinct; ${b.matchReference ?? '?'}/${live} equal to the 1-peer reference in rank, params and fitness${differences}`
}

export function formatReport (r: ScaleReport): string {
  const j = r.job
  const lines = [
    `scale run: ${r.peers} peers, seed ${r.seed}, job ${j.id.slice(0, 12)} = ${j.islands} islands x ${j.epochs} epochs (${j.units} units) of ${j.population} genomes x ${j.generations} generations on ${j.bars} bars`,
    `start-up: all answering ${s(r.startup.allAnsweringMs)} after launch; full mesh ${s(r.startup.fullMeshMs)} after launch (connected to ${r.startup.connectedOthers.min}-${r.startup.connectedOthers.max} of ${r.peers - 1} others)  [load ${r.startup.load}]`,
    'traffic (payload bytes from peer status; wire = every frame on the host\'s cable):',
    rateLine('idle before', r.traffic.idleBefore),
    rateLine('busy', r.traffic.busy),
    rateLine('idle after', r.traffic.idleAfter),
    'ledger (median, max over peers):',
    sizeLine('before job', r.ledger.before),
    sizeLine('after job', r.ledger.afterJob),
    sizeLine('+ idle', r.ledger.afterIdle),
    `job: submit to done on every live peer ${s(r.run.submitToDoneMs)}; done on ${r.run.doneOn}/${r.run.live} live peers; every unit counted once on ${r.run.everyUnitOnce}/${r.run.live}; conflicts ${r.run.conflicts}  [load ${r.run.load}]`,
    `ledger entries by type (h0): ${Object.entries(r.run.entries).map(([t, n]) => `${t} ${n}`).join(', ')}; claims per unit ${r.run.claimsPerUnit}`,
    boardLine('leaderboards at done', r.boards, r.run.live),
    boardLine('after the idle window', r.boardsAfterIdle, r.run.live),
    `logs of peers never frozen: "woke up after" ${r.logs.wakeLines} lines on ${r.logs.hostsWithWake} peers (stalls taken for sleep); dialer wake-ups ${r.logs.redialLines}`,
    `peer RSS (peer and evaluator, largest seen): ${med(r.rssMb, n => `${n} MB`)}; machine's available memory fell to ${r.minAvailableMb} MB`,
  ]
  if (r.faults !== null) {
    const f = r.faults
    lines.push(`faults at ${f.atCommitted}/${j.units} committed: frozen ${f.frozenHosts.join(' ')} for ${s(f.freezeMs)}, killed (not restarted) ${f.killedHosts.join(' ')}`)
  }
  return `${lines.join('\n')}\n`
}
