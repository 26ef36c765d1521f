/**
 * The evaluator child: the only process that runs strategy code. Started by the evaluator pool with
 * child_process.fork, a scrubbed environment, a heap cap and Node's permission model; it loads a
 * job's strategy and candles once, then runs whole GA work units on request, reporting each
 * evaluation before it starts so the parent's watchdog knows which genome hung. It also recomputes
 * one genome in detail (equity, drawdown, trades) for the dashboard, and evaluates lists of
 * genomes for the peer's check of other members' checkpoints.
 */
import { evaluateDetail } from '../../engine/backtest-detail.js'
import { sampleGenomeDetail } from '../../engine/downsample.js'
import { runUnit } from '../../engine/ga.js'
import { evalSetupFor } from '../../engine/job-setup.js'
import { evaluateGenome, type EvalSetup } from '../../engine/evaluate.js'
import { paramsProblem } from '../../engine/param-space.js'
import { paramsKey } from '../../protocol/params-key.js'
import { createStrategyContext } from '../../engine/strategy-context.js'
import type { StrategyContext, StrategyDefinition } from '../../engine/strategy-api.js'
import { StratmeshError } from '../../protocol/errors.js'
import { installArrayBudget } from './array-budget.js'
import { parseParentMessage, type ChildMessage, type ParentMessage } from './messages.js'
import { forbidNondeterminism, instantiateStrategy } from './strategy-module.js'

interface LoadedJob {
  readonly key: string
  readonly def: StrategyDefinition
  readonly ctx: StrategyContext
  readonly setup: EvalSetup
}

const rawSend = process.send?.bind(process)
if (rawSend === undefined) {
  console.error('evaluator-child must be started by the evaluator pool (it needs an IPC channel)')
  process.exit(2)
}
const send = (m: ChildMessage): void => { rawSend(m) }

// The parent is gone (stopped or died): nothing left to do, and no orphan may stay behind. When the
// event loop is blocked by a looping strategy this cannot run; the pool's reaper covers that case.
process.on('disconnect', () => process.exit(0))

// Ctrl-C in a terminal signals the whole foreground process group, evaluators included. The peer
// shuts down gracefully and ends its evaluators itself; an evaluator that died of the same Ctrl-C
// first would look like a crashing strategy. SIGTERM/SIGKILL from the pool still end it.
process.on('SIGINT', () => {})

// Ambient capabilities no evaluation needs: timers and fetch would let strategy code run later,
// between units, or talk to the network. Node's internals keep their own references.
for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'queueMicrotask', 'fetch']) {
  Reflect.deleteProperty(globalThis, name)
}
forbidNondeterminism()
// Before any strategy code runs: the typed-array constructors it will see are the counting ones.
const arrays = installArrayBudget()
// Process powers the permission model leaves open: signalling other processes (the peer included;
// _debugProcess would open the peer's inspector), loading native code, any built-in module without
// an import (getBuiltinModule, Node >= 20.16: the network, randomness, clocks), and speaking for the
// child on the IPC channel. The child needs none of them after this point.
for (const name of ['send', 'kill', '_kill', '_debugProcess', '_debugEnd', '_linkedBinding', 'dlopen', 'binding', 'getBuiltinModule', 'chdir']) {
  (process as unknown as Record<string, unknown>)[name] = () => { throw new StratmeshError('STRATEGY_FORBIDDEN', `strategies may not use process.${name}`) }
}

/**
 * One strategy per process lifetime: strategy code can change this realm (globals, built-in
 * prototypes), so a second strategy, or the GA serving another job, must never run after it here.
 * The pool replaces the process instead of loading another job into it.
 */
let job: LoadedJob | null = null
let used = false

function claimRealm (): void {
  if (used) throw new StratmeshError('EVAL_CHILD_USED', 'this evaluator has already loaded a strategy; it runs one in its lifetime')
  used = true
}

/** The definition whose positions() counts the typed arrays it makes against `maxBytes` per call. */
function withArrayBudget (def: StrategyDefinition, maxBytes: number): StrategyDefinition {
  return {
    name: def.name,
    ...(def.description === undefined ? {} : { description: def.description }),
    params: def.params,
    ...(def.constraints === undefined ? {} : { constraints: def.constraints }),
    positions: (ctx, p) => arrays.counted(maxBytes, () => def.positions(ctx, p)),
  }
}

/** The context with its methods (the engine's indicators and output()) outside the budget. */
function engineCallsExempt (ctx: StrategyContext): StrategyContext {
  const wrapped: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(ctx)) {
    wrapped[key] = typeof value === 'function' ? (...args: unknown[]) => arrays.exempt(() => (value as (...a: unknown[]) => unknown).apply(ctx, args)) : value
  }
  return wrapped as unknown as StrategyContext
}

function errorMessage (id: number, err: unknown): ChildMessage {
  if (err instanceof StratmeshError) return { type: 'error', id, code: err.code, message: err.message }
  const e = err as { message?: unknown } | null
  return { type: 'error', id, code: 'EVAL_CHILD_ERROR', message: typeof e?.message === 'string' ? e.message : String(err) }
}

function handle (m: ParentMessage): ChildMessage {
  switch (m.type) {
    case 'inspect': {
      claimRealm()
      const def = instantiateStrategy(m.code, m.fileName)
      // A plain copy: the definition's objects may carry getters or functions that cannot cross IPC.
      const params = JSON.parse(JSON.stringify(def.params))
      return { type: 'inspected', id: m.id, name: def.name, params, ...(typeof def.description === 'string' ? { description: def.description } : {}) }
    }
    case 'load-job': {
      claimRealm()
      const def = withArrayBudget(instantiateStrategy(m.code, m.fileName), m.maxArrayBytes)
      const setup = evalSetupFor(m.spec, m.candles)
      job = { key: m.jobKey, def, ctx: engineCallsExempt(createStrategyContext(m.candles, { maxCacheBytes: m.maxCacheBytes })), setup }
      return { type: 'loaded', id: m.id }
    }
    case 'run-unit': {
      const j = job
      if (j === null || j.key !== m.jobKey) throw new StratmeshError('EVAL_JOB_NOT_LOADED', `job ${m.jobKey} is not loaded in this evaluator`)
      const checkpoint = runUnit(m.input, {
        def: j.def,
        evaluate: (params, scope) => evaluateGenome(j.def, j.ctx, params, j.setup, scope),
        onEvaluation: (index, params, repeat) => send({ type: 'progress', id: m.id, index, paramsKey: paramsKey(params), ...(repeat ? { repeat: true } : {}) }),
        skip: new Map(m.skip),
      })
      return { type: 'result', id: m.id, checkpoint }
    }
    case 'detail': {
      const j = job
      if (j === null || j.key !== m.jobKey) throw new StratmeshError('EVAL_JOB_NOT_LOADED', `job ${m.jobKey} is not loaded in this evaluator`)
      const detail = evaluateDetail(j.def, j.ctx, m.params, j.setup)
      return { type: 'detailed', id: m.id, detail: sampleGenomeDetail(detail, { maxPoints: m.maxPoints, maxTrades: m.maxTrades }) }
    }
    case 'evaluate': {
      const j = job
      if (j === null || j.key !== m.jobKey) throw new StratmeshError('EVAL_JOB_NOT_LOADED', `job ${m.jobKey} is not loaded in this evaluator`)
      // Genomes come from another member's checkpoint: one outside the strategy's space is
      // recorded as such (the GA never produces one), not run.
      const results = m.params.map((params, index) => {
        const problem = paramsProblem(j.def.params, params)
        if (problem !== null) return { fitness: null, inSample: null, outOfSample: null, error: `GENOME_OUTSIDE_SPACE: ${problem}` }
        send({ type: 'progress', id: m.id, index, paramsKey: paramsKey(params) })
        return evaluateGenome(j.def, j.ctx, params, j.setup)
      })
      return { type: 'evaluated', id: m.id, results }
    }
  }
}

process.on('message', (raw: unknown) => {
  let id = -1
  try {
    const m = parseParentMessage(raw)
    id = m.id
    send(handle(m))
  } catch (err) {
    send(errorMessage(Math.max(id, 0), err))
  }
})

send({ type: 'ready' })
