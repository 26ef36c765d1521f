import { test } from 'node:test'
import assert from 'node:assert/strict'
import { BEST_PER_UNIT, FITNESS_SEARCH_MIN_EVALUATIONS, runUnit, unitInputs, type UnitEnv } from '../../src/engine/ga.js'
import { createJobSpec, jobId } from '../../src/engine/job-setup.js'
import { runJobLocally } from '../../src/engine/job-runner.js'
import { leaderboardOf } from '../../src/ledger/leaderboard.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import { isStratmeshError } from '../../src/protocol/errors.js'
import { choice, defineStrategy, float, int } from '../../src/engine/strategy-api.js'
import { paramsProblem } from '../../src/engine/param-space.js'
import { paramsKey } from '../../src/protocol/params-key.js'
import type { EvalResult, Metrics, ParamValues } from '../../src/protocol/types.js'
import type { Checkpoint, JobSpec } from '../../src/protocol/job-spec.js'
import { ENGINE_FIXTURE } from '../helpers/job-spec-fixture.js'

// An analytic fitness landscape stands in for the backtester: the GA's behaviour (determinism,
// search, migration, elitism) is what is under test here; the backtester has its own tests.
const def = defineStrategy({
  name: 'landscape',
  params: { a: int(0, 100), b: float(-5, 5), mode: choice(['x', 'y', 'z']), c: int(10, 200, 10) },
  constraints: p => p.a < p.c || 'a must be below c',
  positions: (ctx) => ctx.output(),
})

const zeroMetrics: Metrics = { totalReturn: 0, cagr: 0, sharpe: 0, sortino: 0, maxDrawdown: 0, calmar: 0, trades: 20, winRate: 0, profitFactor: 0, exposure: 0, bars: 1 }

function landscape (p: ParamValues): EvalResult {
  const a = p.a as number; const b = p.b as number; const c = p.c as number
  const fitness = -((a - 37) ** 2) / 100 - (b - 1.5) ** 2 - (p.mode === 'y' ? 0 : 3) - Math.abs(c - 120) / 50
  return { fitness, inSample: { ...zeroMetrics, sharpe: fitness }, outOfSample: { ...zeroMetrics, sharpe: fitness / 2 } }
}

function spec (over: Partial<JobSpec['ga']> = {}, seed = 7): JobSpec {
  return createJobSpec({
    engine: ENGINE_FIXTURE,
    strategy: { hash: 'a'.repeat(64), name: 'landscape' },
    dataset: { hash: 'b'.repeat(64), name: 'test', bars: 1000 },
    seed,
    ga: { islands: 3, population: 16, generations: 4, epochs: 3, ...over },
  })
}

const env: UnitEnv = { def, evaluate: landscape }

async function runAll (s: JobSpec, e: UnitEnv = env, concurrency = 1): Promise<Checkpoint[]> {
  return runJobLocally(s, async input => runUnit(input, e), { concurrency })
}

test('a unit is a pure function of its inputs: byte-identical checkpoints', () => {
  const s = spec()
  const a = runUnit({ spec: s, island: 1, epoch: 0, previous: null, migrants: null }, env)
  const b = runUnit({ spec: s, island: 1, epoch: 0, previous: null, migrants: null }, env)
  assert.equal(canonicalHash(a), canonicalHash(b))
  assert.equal(a.jobId, jobId(s))
  assert.equal(a.population.length, 16)
  const other = runUnit({ spec: s, island: 2, epoch: 0, previous: null, migrants: null }, env)
  assert.notEqual(canonicalHash(a), canonicalHash(other), 'islands have their own PRNG streams')
})

test('every genome fits the space and the constraints; population is sorted best first', () => {
  const cp = runUnit({ spec: spec(), island: 0, epoch: 0, previous: null, migrants: null }, env)
  for (const g of cp.population) {
    assert.equal(paramsProblem(def.params, g.params), null)
    assert.ok((g.params.a as number) < (g.params.c as number))
  }
  for (let i = 1; i < cp.population.length; i++) {
    assert.ok((cp.population[i - 1].fitness ?? -Infinity) >= (cp.population[i].fitness ?? -Infinity))
  }
  assert.deepEqual(cp.best.map(g => g.params), cp.population.slice(0, cp.best.length).map(g => g.params))
  assert.ok(cp.best.every(g => g.inSample !== null && g.outOfSample !== null))
})

test('the whole job gives the same leaderboard run serially or concurrently, and the GA improves', async () => {
  const s = spec({ epochs: 4, generations: 6 })
  const serial = await runAll(s, env, 1)
  const parallel = await runAll(s, env, 3)
  assert.equal(canonicalHash(serial), canonicalHash(parallel))
  const board = leaderboardOf(serial, 5)
  assert.equal(canonicalHash(board), canonicalHash(leaderboardOf([...parallel].reverse(), 5)))
  const firstEpochBest = Math.max(...serial.filter(c => c.epoch === 0).map(c => c.best[0].fitness as number))
  assert.ok(board[0].fitness > firstEpochBest, `best ${board[0].fitness} should beat epoch 0's ${firstEpochBest}`)
  assert.equal(board[0].params.mode, 'y')
  assert.ok(Math.abs((board[0].params.a as number) - 37) <= 6, `a=${board[0].params.a}`)
  assert.deepEqual(board.map(r => r.rank), [1, 2, 3, 4, 5])
  assert.equal(new Set(board.map(r => paramsKey(r.params))).size, 5, 'leaderboard rows are distinct genomes')
})

test('another seed explores differently', async () => {
  const a = leaderboardOf(await runAll(spec({}, 7)), 5)
  const b = leaderboardOf(await runAll(spec({}, 8)), 5)
  assert.notEqual(canonicalHash(a), canonicalHash(b))
})

test('migration brings the ring neighbour\'s best genomes onto the island', () => {
  const optimum = { a: 37, b: 1.5, c: 120, mode: 'y' }
  const run = (migrants: number): Checkpoint => {
    const s = spec({ migrants })
    const prev0 = runUnit({ spec: s, island: 0, epoch: 0, previous: null, migrants: null }, env)
    const prev2 = runUnit({ spec: s, island: 2, epoch: 0, previous: null, migrants: null }, env)
    // Plant the global optimum at the top of the neighbour island.
    const planted = { ...prev2, population: [{ params: optimum, fitness: landscape(optimum).fitness }, ...prev2.population.slice(1)] }
    return runUnit({ spec: s, island: 0, epoch: 1, previous: prev0, migrants: planted }, env)
  }
  assert.deepEqual(run(2).best[0].params, optimum, 'the migrant arrived and, being best, survived by elitism')
  assert.notDeepEqual(run(0).best[0].params, optimum, 'without migration the island cannot have it')
})

test('inherited genomes keep their fitness without re-evaluation; elites survive', () => {
  const s = spec({ elite: 3 })
  const prev = runUnit({ spec: s, island: 0, epoch: 0, previous: null, migrants: null }, env)
  const prevM = runUnit({ spec: s, island: 2, epoch: 0, previous: null, migrants: null }, env)
  const evaluated = new Set<string>()
  const next = runUnit({ spec: s, island: 0, epoch: 1, previous: prev, migrants: prevM }, { ...env, onEvaluation: (_i, p) => { evaluated.add(paramsKey(p)) } })
  for (const g of prev.population.slice(0, 3)) assert.ok(!evaluated.has(paramsKey(g.params)), 'an elite from the checkpoint is not evaluated again')
  assert.ok((next.population[0].fitness as number) >= (prev.population[0].fitness as number), 'elitism: the best never gets worse')
})

test('skipped genomes get the given error and no evaluation; failed genomes rank last', () => {
  const s = spec()
  const first = runUnit({ spec: s, island: 0, epoch: 0, previous: null, migrants: null }, env)
  const victim = paramsKey(first.population[0].params)
  const evaluated: string[] = []
  const cp = runUnit({ spec: s, island: 0, epoch: 0, previous: null, migrants: null }, {
    ...env,
    skip: new Map([[victim, 'EVAL_TIMEOUT: took longer than 1 s']]),
    onEvaluation: (_i, p) => { evaluated.push(paramsKey(p)) },
  })
  assert.ok(!evaluated.includes(victim))
  const g = cp.population.find(x => paramsKey(x.params) === victim)
  if (g !== undefined) {
    assert.equal(g.fitness, null)
    assert.match(g.error ?? '', /^EVAL_TIMEOUT/)
    assert.equal(cp.population.at(-1)?.fitness, null)
  }
  assert.ok(cp.errors >= 1)
})

test('inputs are checked: a unit refuses a checkpoint of the wrong unit or job', () => {
  const s = spec()
  const cp = runUnit({ spec: s, island: 0, epoch: 0, previous: null, migrants: null }, env)
  assert.throws(() => runUnit({ spec: s, island: 1, epoch: 1, previous: cp, migrants: cp }, env), /UNIT_BAD_INPUT|needs|expected/)
  assert.throws(() => runUnit({ spec: s, island: 0, epoch: 1, previous: null, migrants: null }, env), /needs the previous/)
  assert.throws(() => runUnit({ spec: s, island: 5, epoch: 0, previous: null, migrants: null }, env), /island 5/)
  assert.deepEqual(unitInputs(3, 0, 2), { previous: [0, 1], migrants: [2, 1] })
  assert.deepEqual(unitInputs(1, 0, 2), { previous: [0, 1], migrants: null })
})

test("a unit searches with scope 'fitness' and asks for 'full' only for its best genomes; the checkpoint is the one a full-only env gives", () => {
  const s = spec({ islands: 1, population: 24, generations: 5 })
  const scopes: string[] = []
  // Out-of-sample metrics only when asked for, as the real evaluator does.
  const scoped: UnitEnv = { def, evaluate: (p, scope) => { scopes.push(scope); const r = landscape(p); return scope === 'full' ? r : { ...r, outOfSample: null } } }
  const first = runUnit({ spec: s, island: 0, epoch: 0, previous: null, migrants: null }, scoped)
  assert.equal(canonicalHash(first), canonicalHash(runUnit({ spec: s, island: 0, epoch: 0, previous: null, migrants: null }, env)))
  const fullCalls = scopes.filter(x => x === 'full').length
  assert.equal(fullCalls, BEST_PER_UNIT, 'one full evaluation per best genome')
  assert.equal(scopes.length - fullCalls, first.evaluations, 'the search evaluated each counted genome once, for its fitness')
  for (const b of first.best) assert.notEqual(b.outOfSample, null)
  assert.ok(s.ga.population * (s.ga.generations + 1) >= FITNESS_SEARCH_MIN_EVALUATIONS)
  // A unit too small to gain from it evaluates every genome in full, and repeats none.
  const small = spec({ islands: 1, population: 8, generations: 2 })
  scopes.length = 0
  const tiny = runUnit({ spec: small, island: 0, epoch: 0, previous: null, migrants: null }, scoped)
  assert.ok(scopes.length === tiny.evaluations && scopes.every(x => x === 'full'), `small units search in full (${scopes.length} calls for ${tiny.evaluations})`)
  // The next epoch inherits metrics for the previous best, and only its new best genomes are evaluated again.
  scopes.length = 0
  const next = runUnit({ spec: s, island: 0, epoch: 1, previous: first, migrants: null }, scoped)
  assert.equal(canonicalHash(next), canonicalHash(runUnit({ spec: s, island: 0, epoch: 1, previous: first, migrants: null }, env)))
  const inherited = new Set(first.best.map(b => paramsKey(b.params)))
  assert.equal(scopes.filter(x => x === 'full').length, next.best.filter(b => !inherited.has(paramsKey(b.params))).length)
})

test('a best genome whose second evaluation disagrees with its first fails the unit (STRATEGY_NONDETERMINISTIC)', () => {
  const s = spec({ islands: 1, population: 24, generations: 5 })
  // A strategy whose full evaluation drifts from its search evaluation.
  const drifting: UnitEnv = { def, evaluate: (p, scope) => { const r = landscape(p); return scope === 'full' ? { ...r, fitness: (r.fitness ?? 0) + 1e-9 } : { ...r, outOfSample: null } } }
  assert.throws(() => runUnit({ spec: s, island: 0, epoch: 0, previous: null, migrants: null }, drifting), (e: unknown) => isStratmeshError(e, 'STRATEGY_NONDETERMINISTIC'))
})
