// The layers of docs/DESIGN.md are enforced by lint: each case lints one import as if it were a
// file in a layer's folder (the file need not exist) and checks the layer rule's verdict.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { ESLint } from 'eslint'

const root = fileURLToPath(new URL('..', import.meta.url))
const LAYER_RULE = '@typescript-eslint/no-restricted-imports'
const eslint = new ESLint({ cwd: root })

/** The messages ESLint gives `code` placed at `filePath` (relative to the repository). */
async function lint (filePath: string, code: string): Promise<ESLint.LintResult['messages']> {
  const [result] = await eslint.lintText(code, { filePath })
  return result.messages
}

const useValue = (name: string, from: string): string => `import { ${name} } from '${from}'\nexport const used = ${name}\n`
const useType = (name: string, from: string): string => `import type { ${name} } from '${from}'\nexport type Used = ${name}\n`

const refused: Array<[string, string, string]> = [
  ['protocol importing engine', 'src/protocol/x.ts', useValue('validateJobSpec', '../engine/job-setup.js')],
  ['protocol importing ledger', 'src/protocol/x.ts', useValue('apply', '../ledger/fold.js')],
  ['protocol importing node', 'src/protocol/x.ts', useValue('createMeshPeer', '../node/peer.js')],
  ['protocol importing a libp2p value', 'src/protocol/x.ts', useValue('isPeerId', '@libp2p/interface')],
  ['ledger importing node', 'src/ledger/x.ts', useValue('createLogStore', '../node/replication/log-store.js')],
  ['ledger importing engine', 'src/ledger/x.ts', useValue('paramsKey', '../engine/param-space.js')],
  ['ledger importing level', 'src/ledger/x.ts', useValue('Level', 'level')],
  ['engine importing node', 'src/engine/x.ts', useValue('createEvaluatorPool', '../node/evaluators/pool.js')],
  ['engine importing node from a sub-folder', 'src/engine/data/x.ts', useValue('createBlobStore', '../../node/blobs/blob-store.js')],
  ['engine importing a ledger value', 'src/engine/x.ts', useValue('mergeLeaderboard', '../ledger/leaderboard.js')],
  ['engine importing node:fs', 'src/engine/x.ts', useValue('readFileSync', 'node:fs')],
  ['engine importing fs without the node: prefix', 'src/engine/x.ts', useValue('readFileSync', 'fs')],
  ['engine importing randomness from node:crypto', 'src/engine/x.ts', useValue('randomBytes', 'node:crypto')],
  ['engine importing libp2p', 'src/engine/x.ts', useValue('createLibp2p', 'libp2p')],
  ['engine importing a @libp2p package', 'src/engine/x.ts', useValue('tcp', '@libp2p/tcp')],
  ['a node folder reaching into another folder past its index', 'src/node/work/x.ts', useValue('createBlobStore', '../blobs/blob-store.js')],
  ['the peer reaching into a node folder past its index', 'src/node/x.ts', useValue('createScheduler', './work/scheduler.js')],
  ['the dashboard page importing the node layer', 'src/dashboard/x.js', useValue('createMeshPeer', '../node/peer.js')],
]

for (const [name, filePath, code] of refused) {
  test(`lint refuses ${name}`, async () => {
    const messages = await lint(filePath, code)
    assert.ok(messages.some(m => m.ruleId === LAYER_RULE && m.severity === 2), `expected ${LAYER_RULE} on ${filePath}: ${JSON.stringify(messages)}`)
  })
}

const allowed: Array<[string, string, string]> = [
  ['protocol importing protocol', 'src/protocol/x.ts', useValue('canonicalHash', './canonical.js')],
  ['protocol hashing with node:crypto', 'src/protocol/x.ts', useValue('createHash', 'node:crypto')],
  ['protocol deriving a peer id', 'src/protocol/x.ts', useValue('peerIdFromString', '@libp2p/peer-id')],
  ['protocol importing libp2p key types', 'src/protocol/x.ts', useType('PrivateKey', '@libp2p/interface')],
  ['ledger importing protocol', 'src/ledger/x.ts', useValue('entryHash', '../protocol/entry.js')],
  ['ledger importing ledger', 'src/ledger/x.ts', useValue('mergeLeaderboard', './leaderboard.js')],
  ['engine importing protocol', 'src/engine/x.ts', useValue('StratmeshError', '../protocol/errors.js')],
  ['engine importing protocol from a sub-folder', 'src/engine/data/x.ts', useValue('canonicalBytes', '../../protocol/canonical.js')],
  ['engine importing engine across sub-folders', 'src/engine/data/x.ts', useValue('createPrng', '../prng.js')],
  ['engine importing a ledger type', 'src/engine/x.ts', useType('LeaderboardSource', '../ledger/leaderboard.js')],
  ['node importing every layer, Node and packages', 'src/node/x.ts',
    useValue('readFileSync', 'node:fs') + useValue('Level', 'level').replace('used', 'store') +
    useValue('apply', '../ledger/fold.js').replace('used', 'fold') + useValue('runUnit', '../engine/ga.js').replace('used', 'unit')],
  ['a node folder importing another through its index', 'src/node/work/x.ts', useValue('createBlobStore', '../blobs/index.js')],
  ['a node folder importing its own files', 'src/node/work/x.ts', useValue('createJobLibrary', './job-library.js')],
  ['the dashboard page importing its own modules', 'src/dashboard/x.js', useValue('createApi', './api.js')],
]

for (const [name, filePath, code] of allowed) {
  test(`lint allows ${name}`, async () => {
    const messages = await lint(filePath, code)
    assert.deepEqual(messages, [])
  })
}
