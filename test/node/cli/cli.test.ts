import { test } from 'node:test'
import assert from 'node:assert/strict'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { StratmeshError } from '../../../src/protocol/errors.js'
import { createApiServer } from '../../../src/node/api/server.js'
import type { PeerControl, PeerStatus, ResultsView, SubmitRequest } from '../../../src/node/peer-types.js'
import { COMMANDS, OPTIONS, commandReference } from '../../../src/node/cli/options.js'
import { exitCodeFor } from '../../../src/node/cli/errors.js'
import { ERROR_CODES, type ErrorCode } from '../../../src/protocol/error-codes.js'
import { tempDir } from '../../helpers/temp-dir.js'
import { REPO_ROOT, runPeerCli, type CliRun } from '../../helpers/run-cli.js'

const root = REPO_ROOT
/** A CLI run that hangs is a bug; this bounds it so the test fails instead. */
const CLI_TIMEOUT_MS = 30_000

type Run = CliRun

/** Runs the built CLI as a child process (killed by the timeout if it hangs). */
async function peer (args: string[], env: Record<string, string> = {}): Promise<Run> {
  return await runPeerCli(args, { timeoutMs: CLI_TIMEOUT_MS, env: { ...process.env, STRATMESH_DEBUG: '', ...env } })
}

function oneLine (r: Run, code: string): string {
  const lines = r.stderr.trimEnd().split('\n')
  assert.equal(lines.length, 1, `one line on stderr, got:\n${r.stderr}`)
  assert.match(lines[0], new RegExp(`^peer: ${code}: `))
  return lines[0]
}

test('peer status with no peer running: exit 3, one line on stderr, nothing on stdout', async () => {
  const dir = await tempDir()
  const r = await peer(['status', '--data-dir', dir.path])
  assert.equal(r.code, 3)
  assert.equal(r.stdout, '')
  assert.equal(oneLine(r, 'PEER_NOT_RUNNING'), `peer: PEER_NOT_RUNNING: no peer is running with data dir ${dir.path} (start one with \`peer start\`)`)
  // STRATMESH_DATA_DIR is the default data dir.
  const viaEnv = await peer(['results'], { STRATMESH_DATA_DIR: dir.path })
  assert.equal(viaEnv.code, 3)
  assert.ok(viaEnv.stderr.includes(dir.path))
})

test('peer submit of a missing file: exit 2 naming the file', async () => {
  const dir = await tempDir()
  const r = await peer(['submit', 'missing-strategy.ts', '--data-dir', dir.path])
  assert.equal(r.code, 2)
  assert.equal(r.stdout, '')
  assert.ok(oneLine(r, 'STRATEGY_NOT_FOUND').includes(join(root, 'missing-strategy.ts')))
  const data = await peer(['submit', 'strategies/sma-cross.ts', '--data', 'nope.csv', '--data-dir', dir.path])
  assert.equal(data.code, 2)
  assert.ok(oneLine(data, 'DATA_NOT_FOUND').includes('nope.csv'))
})

test('bad option values: exit 2 naming the option; unknown options and commands are usage errors', async () => {
  const dir = await tempDir()
  const cases: Array<[string[], string]> = [
    [['submit', 'strategies/sma-cross.ts', '--islands', '0'], '--islands'],
    [['submit', 'strategies/sma-cross.ts', '--fee', 'lots'], '--fee'],
    [['submit', 'strategies/sma-cross.ts', '--objective', 'profit'], '--objective'],
    [['results', '--top', '1.5'], '--top'],
    [['start', '--cpus', '-1', '--no-mdns'], '--cpus'],
    [['start', '--cache-mb', '-1', '--no-mdns'], '--cache-mb'],
    [['start', '--api-port', '70000', '--no-mdns'], '--api-port'],
    [['start', '--lease-ttl', '0.5', '--no-mdns'], '--lease-ttl'],
    [['start', '--lease-ttl', 'soon', '--no-mdns'], '--lease-ttl'],
    [['results', '--json', '--csv'], '--csv'],
    [['submit', 'strategies/sma-cross.ts', '--walk-forward', 'sliding'], '--walk-forward'],
    [['submit', 'strategies/sma-cross.ts', '--walk-forward', 'rolling', '--test', '2y'], '--test'],
    [['submit', 'strategies/sma-cross.ts', '--walk-forward', 'rolling', '--windows', '0'], '--windows'],
  ]
  const runs = await Promise.all(cases.map(async ([args]) => await peer([...args, '--data-dir', dir.path])))
  runs.forEach((r, i) => {
    const [args, option] = cases[i]
    assert.equal(r.code, 2, args.join(' '))
    assert.equal(r.stdout, '')
    assert.ok(oneLine(r, 'OPTION_INVALID').includes(option), `${args.join(' ')}: ${r.stderr}`)
  })
  const unknown = await peer(['status', '--frobnicate'])
  assert.equal(unknown.code, 2)
  assert.ok(oneLine(unknown, 'USAGE').includes('--frobnicate'))
  const missingArg = await peer(['submit'])
  assert.equal(missingArg.code, 2)
  oneLine(missingArg, 'USAGE')
})

test('--help lists every command', async () => {
  const r = await peer(['--help'])
  assert.equal(r.code, 0)
  for (const c of COMMANDS) {
    const [group, sub] = c.name.split(' ')
    assert.match(r.stdout, new RegExp(`^  ${group} `, 'm'), c.name)
    // A subcommand (`data fetch`) is listed by its group's help.
    if (sub !== undefined) assert.match((await peer([group, '--help'])).stdout, new RegExp(`^  ${sub} `, 'm'), c.name)
  }
  const sub = await peer(['submit', '--help'])
  assert.equal(sub.code, 0)
  for (const key of COMMANDS.find(c => c.name === 'submit')?.options ?? []) assert.ok(sub.stdout.includes(OPTIONS[key].flags), key)
})

test('results, status and submit against a running API (fake peer): output, JSON, exit codes', async t => {
  const dir = await tempDir()
  const requests: SubmitRequest[] = []
  const status = { self: { id: '12D3KooWself', name: 'box', fingerprint: 'f'.repeat(64), isolateInterface: 1, cores: 2, addresses: ['/ip4/10.0.0.2/tcp/4001'], connected: true, self: true, lastSeenMs: 0, leases: 1, evalsPerSec: 12.5, state: 'working', dataDir: dir.path, uptimeMs: 5000, listen: [] },
    peers: [],
    jobs: [],
    conflicts: [],
    checks: { checked: 3, pending: 2, evaluations: 40, rejected: [{ jobId: 'cd'.repeat(32), island: 1, epoch: 2, author: '12D3KooWmallory', seq: 4, checkpointHash: 'ef'.repeat(32), reason: 'best genome 0 is not the population\'s genome 0' }], unchecked: [] },
    rejected: {},
    syncErrors: { '12D3KooWmallory': { SYNC_TOO_LARGE: 2 } },
    frozen: [{ author: '12D3KooWmallory', seq: 7 }],
  }
  const results = { job: { id: 'ab'.repeat(32), spec: { strategy: { name: 's' }, dataset: { name: 'd', bars: 100 }, oosFraction: 0.3, objective: 'sharpe', costs: { fee: 0.001, slippage: 0.0005 }, seed: 1 }, submitter: 'x', committed: 2, total: 2 }, done: true, leaderboard: [{ rank: 1, params: { fast: 5 }, fitness: 1.5, inSample: null, outOfSample: null, island: 0, epoch: 1, peer: 'p', dsr: 0.42, plateau: 0.5, overfit: false }],
    statistics: { ready: true, reason: null, trials: 96, pbo: 0.25, pboRows: 1, rows: 1, sharpeVariance: 0.001, expectedMaxSharpe: 0.05 } }
  const control: PeerControl = {
    async status () { return status as unknown as PeerStatus },
    async results (jobId) {
      if (jobId !== undefined && jobId !== results.job.id) throw new StratmeshError('JOB_NOT_FOUND', `no job ${jobId} is known to this peer`)
      return results as unknown as ResultsView
    },
    async submit (req) {
      requests.push(req)
      throw new StratmeshError('CSV_BAD_ROW', `${req.data} line 3: expected 6 fields, found 2`)
    },
    async stop () {},
  }
  const server = createApiServer({ control, dataDir: dir.path })
  await server.start()
  t.after(async () => { await server.stop() })
  const csvPath = join(dir.path, 'prices.csv')
  await writeFile(csvPath, 'time,open\n1,2\n')

  const [json, table, csv, unknownJob, st, stJson, submit] = await Promise.all([
    peer(['results', '--json', '--data-dir', dir.path]),
    peer(['results', '--data-dir', dir.path]),
    peer(['results', '--csv', '--data-dir', dir.path]),
    peer(['results', 'deadbeefdeadbeef', '--data-dir', dir.path]),
    peer(['status', '--data-dir', dir.path]),
    peer(['status', '--json', '--data-dir', dir.path]),
    peer(['submit', 'strategies/sma-cross.ts', '--data', csvPath, '--islands', '3', '--data-dir', dir.path]),
  ])
  assert.equal(json.code, 0, json.stderr)
  assert.deepEqual(JSON.parse(json.stdout), results)
  assert.equal(table.code, 0)
  assert.match(table.stdout, /fast=5/)
  assert.match(table.stdout, /^96 trials, PBO 0\.250 over the top 1 rows/m)
  assert.match(table.stdout, /^\s*1\s+1\.500\s+0\.420\s+0\.500\s/m)
  assert.equal(csv.code, 0)
  assert.match(csv.stdout, /^rank,fitness,param_fast,.*,dsr,plateau,overfit\n.*,0\.42,0\.5,false\n/)
  assert.equal(unknownJob.code, 4)
  assert.equal(unknownJob.stdout, '')
  oneLine(unknownJob, 'JOB_NOT_FOUND')
  assert.equal(st.code, 0)
  assert.match(st.stdout, /\* box +12D3KooWself +10\.0\.0\.2:4001/)
  assert.match(st.stdout, /1 commit\(s\) failed this peer's check[^\n]*\n {2}job cdcdcdcd\S* island 1 epoch 2 by \S+: best genome 0 is not the population's genome 0/)
  assert.match(st.stdout, /checking 2 commit\(s\)/)
  assert.match(st.stdout, /frozen[^\n]*\n {2}\S+ from seq 7/)
  assert.match(st.stdout, /failed pulls:\n {2}from \S+: SYNC_TOO_LARGE x2/)
  assert.deepEqual(JSON.parse(stJson.stdout), status)
  // A bad CSV found by the peer: exit 2, the peer's message, and the request carried absolute paths.
  assert.equal(submit.code, 2)
  assert.ok(oneLine(submit, 'CSV_BAD_ROW').includes('line 3'))
  assert.deepEqual(requests, [{ strategyPath: join(root, 'strategies/sma-cross.ts'), data: csvPath, islands: 3 }])
})

test('exit codes by error class', () => {
  assert.equal(exitCodeFor(new StratmeshError('PEER_NOT_RUNNING', '')), 3)
  assert.equal(exitCodeFor(new StratmeshError('JOB_NOT_FOUND', '')), 4)
  for (const code of ['OPTION_INVALID', 'USAGE', 'STRATEGY_SYNTAX', 'CSV_BAD_NUMBER', 'JSON_SYNTAX', 'DATA_NOT_FOUND', 'JOB_INVALID', 'API_BAD_REQUEST', 'SECRET_TOO_SHORT'] as const) {
    assert.equal(exitCodeFor(new StratmeshError(code, '')), 2, code)
  }
  for (const code of ['DATA_DIR_LOCKED', 'LOG_STORE_WRITE', 'EVAL_CRASHED'] as const) assert.equal(exitCodeFor(new StratmeshError(code, '')), 1, code)
  assert.equal(exitCodeFor(new Error('x')), 1)
})

test('a code the peer answers with ends the CLI with the registry\'s exit code', async t => {
  const dir = await tempDir()
  // One job id per code, so each CLI run asks for one failure.
  const codes: ErrorCode[] = ['JOB_NOT_FOUND', 'JOB_INVALID', 'DATASET_INVALID', 'DATA_DIR_LOCKED', 'DETAIL_UNAVAILABLE']
  const jobIds = codes.map((_, i) => `${i}`.repeat(12))
  const control: PeerControl = {
    async status () { throw new StratmeshError('INTERNAL', 'not used') },
    async results (jobId) { throw new StratmeshError(codes[jobIds.indexOf(jobId ?? '')], 'm') },
    async submit () { throw new StratmeshError('INTERNAL', 'not used') },
    async stop () {},
  }
  const server = createApiServer({ control, dataDir: dir.path })
  await server.start()
  t.after(async () => { await server.stop() })
  const runs = await Promise.all(jobIds.map(id => peer(['results', id, '--data-dir', dir.path])))
  runs.forEach((r, i) => {
    assert.equal(r.code, ERROR_CODES[codes[i]].exit, codes[i])
    oneLine(r, codes[i])
  })
})

test('the command reference names every command and every option of the table', () => {
  const md = commandReference()
  for (const c of COMMANDS) assert.ok(md.includes(`### \`peer ${c.name}`), c.name)
  const used = new Set(COMMANDS.flatMap(c => c.options))
  for (const [key, o] of Object.entries(OPTIONS)) {
    assert.ok(used.has(key as keyof typeof OPTIONS), `option ${key} belongs to a command`)
    assert.ok(md.includes(o.flags), o.flags)
  }
})
