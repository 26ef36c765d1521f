/**
 * TEST ONLY: a hostile member of a test LAN's mesh. It has the mesh secret (membership is the
 * secret), so it is admitted like any peer, and it signs with real Ed25519 keys of its own; what
 * it sends is what a compromised or broken machine could send: a forged signature, two entries at
 * one seq (equivocation), an oversized entry, an oversized gossip message, an oversized sync
 * response, and commits with a wrong checkpoint. It runs in a host's namespace (mDNS finds the
 * mesh) and takes one JSON command per line on stdin, answering one JSON line each on stdout;
 * it exits when stdin closes or after its lifetime. test/helpers/hostile.ts drives it.
 *
 *   STRATMESH_SECRET=S node --import tsx scripts/lan/hostile-member.ts
 * (the secret by the environment, not an argument that every user of the machine could read).
 */
import { createInterface } from 'node:readline'
import { randomBytes } from 'node:crypto'
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey, peerIdFromString } from '@libp2p/peer-id'
import type { PrivateKey } from '@libp2p/interface'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { entryHash, signEntry, type Entry, type UnsignedEntry } from '../../src/protocol/entry.js'
import type { CommitBody } from '../../src/protocol/entry-bodies.js'
import { MAX_ENTRY_BYTES } from '../../src/protocol/limits.js'
import { swarmKeyFromSecret } from '../../src/protocol/swarm-key.js'
import {
  LEDGER_TOPIC, MAX_GOSSIP_MESSAGE_BYTES, MAX_SYNC_FRAME_BYTES, SYNC_PROTOCOL, encodeJsonFrame, validateSyncRequest,
  validateSyncResponse, type SyncRequest, type SyncResponse
} from '../../src/protocol/sync-messages.js'
import type { Checkpoint } from '../../src/protocol/job-spec.js'
import { createPeerNode, type PeerNode } from '../../src/node/mesh/libp2p-node.js'
import { request, serve } from '../../src/node/mesh/stream-codec.js'

/** Ends by itself after this long: a forgotten process must not outlive the test by much. */
const LIFETIME_MS = 10 * 60_000
/** Range requests ask this many entries at a time while reading the mesh's ledger. */
const PAGE = 1000

interface Chain { key: PrivateKey, author: string, entries: Entry[], last: [number, number] | null }

const secret = process.env.STRATMESH_SECRET
if (secret === undefined || secret === '') throw new Error('STRATMESH_SECRET is required')

// Key 0 is the node's own (the sender is the author); key 1 a second identity of the same member.
const keys: PrivateKey[] = [await generateKeyPair('Ed25519'), await generateKeyPair('Ed25519')]
const chains: Chain[] = keys.map(key => ({ key, author: peerIdFromPrivateKey(key).toString(), entries: [], last: null }))
const node: PeerNode = await createPeerNode({
  privateKey: keys[0],
  listen: ['/ip4/0.0.0.0/tcp/0'],
  mdns: true,
  swarmKey: swarmKeyFromSecret(secret),
})
const ledger = new Map<string, Entry[]>()
let oversizedSync = false

/** Serves our own chains honestly, until told to answer range requests with an oversized frame. */
await serve<SyncRequest>(node, SYNC_PROTOCOL, { maxRequestBytes: 16 * 1024, validate: validateSyncRequest }, async (req, channel) => {
  const heads: Record<string, number> = {}
  const hashes: Record<string, string> = {}
  for (const c of chains) {
    const head = c.entries.at(-1)
    if (head === undefined) continue
    // In oversized mode we claim far more entries than we have, so peers come asking for them.
    heads[c.author] = head.seq + (oversizedSync ? 1000 : 0)
    if (!oversizedSync) hashes[c.author] = entryHash(head)
  }
  if (req.t === 'heads') { await channel.sendJson({ t: 'heads', heads, hashes, frozen: [] }); return }
  if (req.t === 'range' && oversizedSync) {
    // A length prefix over the frame cap and the start of the frame: the reader refuses it at the
    // prefix. (A whole frame that size would not fit the stream's write buffer here anyway.)
    const prefix = varint(MAX_SYNC_FRAME_BYTES + 1024)
    const frame = new Uint8Array(prefix.length + 64 * 1024).fill(0x20)
    frame.set(prefix)
    if (!channel.stream.send(frame)) await channel.stream.onDrain()
    return
  }
  const c = req.t === 'range' ? chains.find(x => x.author === req.author) : undefined
  const entries = c === undefined || req.t !== 'range' ? [] : c.entries.slice(req.from - 1, req.from - 1 + req.limit)
  await channel.sendJson({ t: 'entries', entries })
})

/** Unsigned LEB128, the length prefix of it-length-prefixed frames. */
function varint (n: number): Uint8Array {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return Uint8Array.from(out)
}

function nextHlc (c: Chain): [number, number] {
  const now = Date.now()
  c.last = c.last === null || now > c.last[0] ? [now, 0] : [c.last[0], c.last[1] + 1]
  return c.last
}

async function sign (c: Chain, type: UnsignedEntry['type'], body: unknown, at?: { seq: number, prev: string | null }): Promise<Entry> {
  const head = c.entries.at(-1)
  const seq = at?.seq ?? (head?.seq ?? 0) + 1
  const prev = at === undefined ? (head === undefined ? null : entryHash(head)) : at.prev
  return await signEntry(c.key, { v: 1, author: c.author, seq, prev, hlc: nextHlc(c), type, body } as UnsignedEntry)
}

async function gossip (entries: unknown[]): Promise<number> {
  const res = await node.services.pubsub.publish(LEDGER_TOPIC, encodeJsonFrame({ t: 'entries', entries }))
  return res.recipients.length
}

async function append (c: Chain, type: UnsignedEntry['type'], body: unknown): Promise<Entry> {
  const e = await sign(c, type, body)
  c.entries.push(e)
  await gossip([e])
  return e
}

async function ask (peer: string, req: SyncRequest): Promise<SyncResponse> {
  return await request(node, peerIdFromString(peer), SYNC_PROTOCOL, req, { maxFrameBytes: MAX_SYNC_FRAME_BYTES }, async ch => {
    const res = await ch.readJson(validateSyncResponse)
    if (res === null || res.t === 'error') throw new Error(`sync with ${peer} failed: ${JSON.stringify(res)}`)
    return res
  })
}

/** Reads every author's entries from `peer` (the mesh's ledger as that peer holds it). */
async function pull (peer: string): Promise<unknown> {
  const res = await ask(peer, { t: 'heads' })
  if (res.t !== 'heads') throw new Error('expected heads')
  for (const [author, head] of Object.entries(res.heads)) {
    const have = ledger.get(author) ?? []
    while (have.length < head) {
      const page = await ask(peer, { t: 'range', author, from: have.length + 1, limit: Math.min(PAGE, head - have.length) })
      if (page.t !== 'entries' || page.entries.length === 0) break
      have.push(...page.entries as Entry[])
    }
    ledger.set(author, have)
  }
  const all = [...ledger.values()].flat()
  return {
    jobs: all.filter(e => e.type === 'job').map(e => (e.body as { id: string }).id),
    commits: all.filter(e => e.type === 'commit').map(e => {
      const b = e.body as CommitBody
      return { author: e.author, jobId: b.jobId, island: b.island, epoch: b.epoch, hlc: e.hlc, checkpointHash: b.checkpointHash }
    }),
  }
}

function honestCheckpoint (jobId: string, island: number, epoch: number): Checkpoint {
  for (const e of [...ledger.values()].flat()) {
    if (e.type !== 'commit') continue
    const b = e.body as CommitBody
    if (b.jobId === jobId && b.island === island && b.epoch === epoch) return b.checkpoint
  }
  throw new Error(`no commit of ${jobId.slice(0, 12)} island ${island} epoch ${epoch} in the ledger read so far`)
}

interface Command {
  id: number
  op: string
  peers?: string[]
  peer?: string
  as?: string
  key?: number
  unit?: { jobId: string, island: number, epoch: number }
  template?: { jobId: string, island: number, epoch: number }
  /** The winner's fitness in a wrong checkpoint: one no honest run reaches. */
  fitness?: number
  timeoutMs?: number
}

async function run (cmd: Command): Promise<unknown> {
  const chain = chains[cmd.key ?? 0]
  switch (cmd.op) {
    case 'whoami': return { peerId: node.peerId.toString(), authors: chains.map(c => c.author) }
    case 'wait-mesh': {
      // Connected to every given peer and each subscribed to the ledger topic (gossip reaches it).
      const want = cmd.peers ?? []
      const until = Date.now() + (cmd.timeoutMs ?? 30_000)
      for (;;) {
        const subs = new Set(node.services.pubsub.getSubscribers(LEDGER_TOPIC).map(p => p.toString()))
        const conns = new Set(node.getPeers().map(p => p.toString()))
        if (want.every(p => subs.has(p) && conns.has(p))) return { connected: [...conns] }
        if (Date.now() > until) throw new Error(`not connected to ${want.filter(p => !conns.has(p) || !subs.has(p)).join(', ')}`)
        await new Promise(resolve => setTimeout(resolve, 200))
      }
    }
    case 'pull': return await pull(cmd.peer as string)
    case 'hello': return await append(chain, 'hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1, name: 'mallory' })
    case 'commit-wrong': {
      // An honest checkpoint (of this unit, or of a template unit) with a winner no honest run found.
      const u = cmd.unit as { jobId: string, island: number, epoch: number }
      const t = cmd.template ?? u
      const honest = honestCheckpoint(t.jobId, t.island, t.epoch)
      // The winner gets parameters no honest unit finds (so it is a row of its own) and a fitness
      // no honest run reaches.
      const fitness = cmd.fitness ?? 1e6
      const odd = (params: Record<string, number | string>): Record<string, number | string> =>
        Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'number' ? v + 0.123456 : v]))
      const best = honest.best.map((g, i) => i === 0 ? { ...g, params: odd(g.params), fitness, inSample: g.inSample === null ? null : { ...g.inSample, sharpe: fitness } } : g)
      const checkpoint: Checkpoint = { ...honest, jobId: u.jobId, island: u.island, epoch: u.epoch, best }
      const e = await append(chain, 'commit', { jobId: u.jobId, island: u.island, epoch: u.epoch, checkpointHash: canonicalHash(checkpoint), checkpoint })
      return { author: e.author, seq: e.seq, hlc: e.hlc, checkpointHash: (e.body as CommitBody).checkpointHash }
    }
    case 'equivocate': {
      // Two different entries at one seq, each validly signed, sent in separate messages.
      const head = chain.entries.at(-1)
      const at = { seq: (head?.seq ?? 0) + 1, prev: head === undefined ? null : entryHash(head) }
      const a = await sign(chain, 'hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1, name: 'mallory-a' }, at)
      const b = await sign(chain, 'hello', { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, name: 'mallory-b' }, at)
      chain.entries.push(a)
      await gossip([a])
      await gossip([b])
      return { author: chain.author, seq: at.seq }
    }
    case 'forge': {
      // An entry in an honest member's name, with a signature that is not theirs.
      const e = { v: 1, author: cmd.as, seq: 1, prev: null, hlc: [Date.now(), 0], type: 'hello', body: { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 64, name: 'forged' }, sig: randomBytes(64).toString('base64url') }
      return { recipients: await gossip([e]) }
    }
    case 'oversized-entry': {
      // Fits a gossip message but not the entry limit: refused before it is parsed.
      const name = 'x'.repeat(MAX_ENTRY_BYTES + 1024)
      const e = { v: 1, author: chain.author, seq: (chain.entries.at(-1)?.seq ?? 0) + 1, prev: null, hlc: [Date.now(), 0], type: 'hello', body: { fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 1, name }, sig: randomBytes(64).toString('base64url') }
      return { recipients: await gossip([e]) }
    }
    case 'oversized-gossip': {
      // Past the gossip cap (but within gossipsub's own frame limit, so it reaches our validator).
      const filler = 'y'.repeat(MAX_GOSSIP_MESSAGE_BYTES + 64 * 1024)
      return { recipients: await gossip([{ filler }]) }
    }
    case 'oversized-sync': { oversizedSync = true; return { on: true } }
    default: throw new Error(`unknown op ${cmd.op}`)
  }
}

const rl = createInterface({ input: process.stdin })
rl.on('line', line => {
  let cmd: Command
  try { cmd = JSON.parse(line) as Command } catch { return }
  run(cmd).then(
    value => { process.stdout.write(JSON.stringify({ id: cmd.id, ok: true, value }) + '\n') },
    (err: unknown) => { process.stdout.write(JSON.stringify({ id: cmd.id, ok: false, error: (err as Error).message }) + '\n') })
})
const end = (): void => { Promise.resolve(node.stop()).finally(() => { process.exit(0) }).catch(() => {}) }
rl.on('close', end)
setTimeout(end, LIFETIME_MS).unref()
process.stdout.write(JSON.stringify({ ready: true, peerId: node.peerId.toString() }) + '\n')
