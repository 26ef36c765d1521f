/**
 * The single-machine reference for a job: every unit run in this process, in dependency order,
 * with the real strategy module, strategy context and evaluation. The mesh must reproduce its
 * leaderboard exactly.
 */
import { pathToFileURL } from 'node:url'
import { runUnit } from '../../src/engine/ga.js'
import { evalSetupFor } from '../../src/engine/job-setup.js'
import { runJobLocally } from '../../src/engine/job-runner.js'
import { leaderboardOf } from '../../src/ledger/leaderboard.js'
import { evaluateGenome } from '../../src/engine/evaluate.js'
import { basketSetupFor, evaluateBasket } from '../../src/engine/basket.js'
import { createStrategyContext } from '../../src/engine/strategy-context.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { compileStrategy } from '../../src/node/evaluators/strategy-compiler.js'
import { instantiateStrategy } from '../../src/node/evaluators/strategy-module.js'
import type { StrategyDefinition } from '../../src/engine/strategy-api.js'
import type { Checkpoint, JobSpec, LeaderboardRow } from '../../src/protocol/job-spec.js'
import type { Candles } from '../../src/protocol/types.js'

/** Every checkpoint of the job, each unit run in this process in dependency order. */
export async function referenceCheckpoints (spec: JobSpec, def: StrategyDefinition, candles: Candles): Promise<Checkpoint[]> {
  const ctx = createStrategyContext(candles)
  // Each unit on its own ranges: a walk-forward window's train and test ranges.
  return await runJobLocally(spec, async input => {
    const setup = evalSetupFor(spec, candles, input.island)
    return runUnit(input, { def, evaluate: p => evaluateGenome(def, ctx, p, setup) })
  })
}

/** The same for a basket job: `symbols` holds every symbol's candles in the order of spec.basket.datasets. */
export async function referenceBasketCheckpoints (spec: JobSpec, def: StrategyDefinition, symbols: readonly Candles[]): Promise<Checkpoint[]> {
  const basket = spec.basket
  if (basket === undefined) throw new Error('not a basket job')
  const members = symbols.map((candles, k) => ({ name: basket.datasets[k].name, ctx: createStrategyContext(candles), setup: basketSetupFor(spec, candles, k) }))
  return await runJobLocally(spec, async input => runUnit(input, { def, evaluate: (p, scope) => evaluateBasket(def, members, basket.aggregate, p, scope) }))
}

export async function referenceLeaderboard (spec: JobSpec, strategyPath: string, candles: Candles, top: number): Promise<LeaderboardRow[]> {
  const mod = await import(pathToFileURL(strategyPath).href) as { default: unknown }
  const def = validateStrategyDefinition(mod.default, strategyPath)
  return leaderboardOf(await referenceCheckpoints(spec, def, candles), top)
}

/** What must match between two leaderboards: rank, params and fitness (the peer may differ). */
export function comparable (rows: readonly LeaderboardRow[]): Array<[number, string, number]> {
  return rows.map(r => [r.rank, JSON.stringify(r.params), r.fitness])
}

/** The same for a strategy given as source (compiled as a peer compiles it), e.g. one that is in no repo. */
export async function referenceLeaderboardOfSource (spec: JobSpec, source: string, fileName: string, candles: Candles, top: number): Promise<LeaderboardRow[]> {
  const def = instantiateStrategy(compileStrategy(source, fileName), fileName)
  return leaderboardOf(await referenceCheckpoints(spec, def, candles), top)
}
