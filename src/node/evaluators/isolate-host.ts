/**
 * One isolated-vm isolate in an evaluator child, holding the engine bundle and at most one
 * strategy: created with the isolate's own memory limit (which counts ArrayBuffers too), the engine
 * script run, its operations taken off the global, the realm sealed (isolate-realm.ts), and only
 * then the strategy's code compiled and run. Answers come back as JSON text, checked for size
 * before they are copied out and parsed.
 */
import type IsolatedVm from 'isolated-vm'
import type { Candles, Costs, ParamValues } from '../../protocol/types.js'
import type { JobSpec } from '../../protocol/job-spec.js'
import type { UnitInput } from '../../engine/ga.js'
import type { WindowWinner } from '../../engine/walk-forward-result.js'
import type { StatisticsInput } from '../../engine/stats/job-statistics.js'
import { wrapStrategyModule } from '../../engine/strategy-loader.js'
import { StratmeshError } from '../../protocol/errors.js'
import { isErrorCode } from '../../protocol/error-codes.js'
import { SEAL_REALM_SCRIPT } from './isolate-realm.js'
import { ENGINE_GLOBAL, ISOLATE_INTERFACE_VERSION, OPTIONAL_OPERATIONS } from '../../engine/isolate/interface.js'

type Ivm = typeof IsolatedVm

/**
 * Largest answer copied out of the isolate, in UTF-16 units: a checkpoint is at most 1 MiB (it
 * travels in a ledger entry), a detail a few hundred KB; 16 Mi leaves room and keeps a strategy
 * that bloats an answer from filling the child's heap.
 */
export const MAX_ISOLATE_ANSWER_CHARS = 16 * 1024 * 1024
/** Longest genome key a progress report may carry (the key of a genome of a sane space is far shorter). */
export const MAX_PROGRESS_KEY_CHARS = 16 * 1024

/** Exit code of a child whose isolate hit its memory limit; stderr says so for the pool. */
export const EXIT_ISOLATE_OUT_OF_MEMORY = 75
/** The line the pool recognises (evaluator-process.ts); strategy code has no way to write to stderr. */
export const ISOLATE_OUT_OF_MEMORY_LINE = 'stratmesh evaluator: the isolate reached its memory limit'

/**
 * Bytes a job adds to its isolate's limit: the candles (six Float64 columns, copied in) and the
 * indicator cache's bound, which V8 counts against the limit as ArrayBuffers.
 */
export function jobIsolateBytes (bars: number, maxCacheBytes: number): number {
  // A quarter more for the look-ahead check's prefix contexts (engine/isolate/entry.ts).
  return maxCacheBytes + Math.floor(maxCacheBytes / 4) + bars * 8 * 6
}

/** An isolate's memory limit in MiB: the evaluator's base limit and `extraBytes` rounded up. */
export function isolateMemoryMb (baseMb: number, extraBytes: number): number {
  return baseMb + Math.ceil(extraBytes / 1024 / 1024)
}

/** Why the host gave up on its isolate: the child then exits so the pool replaces it. */
export type IsolateFault = 'out-of-memory' | 'bad-progress'

export interface IsolateHostOptions {
  readonly ivm: Ivm
  readonly engineScript: string
  readonly memoryMb: number
  /** Returns false when the report is one too many for the request: the host then ends the isolate. */
  readonly onProgress: (index: number, paramsKey: string, repeat: boolean) => boolean
}

const OPERATIONS = ['fingerprint', 'inspect', 'loadJob', 'runUnit', 'evaluate', 'detail', 'backtest', 'takeSeries', 'lookAhead', 'preflight', 'walkForward', 'statistics', 'take'] as const
type Operation = typeof OPERATIONS[number]
type OptionalOperation = typeof OPTIONAL_OPERATIONS[number]
type OperationRef = IsolatedVm.Reference<(...args: unknown[]) => unknown>

export class IsolateHost {
  /** Set when the host ended the isolate (or V8 did, at its memory limit). */
  fault: IsolateFault | null = null
  private readonly ivm: Ivm
  private readonly isolate: IsolatedVm.Isolate
  private readonly context: IsolatedVm.Context
  private readonly ops: Record<Operation, OperationRef> & Partial<Record<OptionalOperation, OperationRef>>

  constructor (opts: IsolateHostOptions) {
    this.ivm = opts.ivm
    // A rejection nobody handled would otherwise be thrown out of whichever later call is running,
    // failing a unit for a strategy's stray promise; it is the strategy's own business.
    this.isolate = new opts.ivm.Isolate({ memoryLimit: opts.memoryMb, onUnhandledRejection: () => {} })
    this.context = this.isolate.createContextSync()
    // The bundle may come with a job from another peer's build: it runs in the isolate like a
    // strategy, and a host drives only a bundle that speaks its interface.
    try {
      this.isolate.compileScriptSync(opts.engineScript, { filename: 'stratmesh-engine.js' }).runSync(this.context)
    } catch (err) {
      throw new StratmeshError('EVAL_START_FAILED', `the engine bundle failed to run: ${(err as Error).message}`, { cause: err })
    }
    const engine = this.context.global.getSync(ENGINE_GLOBAL, { reference: true }) as IsolatedVm.Reference<Record<string, unknown>>
    if (engine.typeof !== 'object') throw new StratmeshError('ENGINE_INTERFACE_UNSUPPORTED', 'the engine bundle does not define its operations')
    const version: unknown = engine.getSync('interfaceVersion')
    if (version !== ISOLATE_INTERFACE_VERSION) {
      throw new StratmeshError('ENGINE_INTERFACE_UNSUPPORTED', `the engine bundle speaks isolate interface ${String(version).slice(0, 20)}; this peer's evaluators speak ${ISOLATE_INTERFACE_VERSION}`)
    }
    const optional = OPTIONAL_OPERATIONS.map(name => [name, engine.getSync(name, { reference: true }) as OperationRef] as const).filter(([, op]) => op.typeof === 'function')
    this.ops = Object.fromEntries([...OPERATIONS.map(name => [name, engine.getSync(name, { reference: true })]), ...optional]) as IsolateHost['ops']
    const progress = (index: unknown, key: unknown, repeat: unknown): void => {
      if (!Number.isSafeInteger(index) || (index as number) < 0 || typeof key !== 'string' || key.length > MAX_PROGRESS_KEY_CHARS) this.end('bad-progress')
      else if (!opts.onProgress(index as number, key, repeat === true)) this.end('bad-progress')
    }
    ;(engine.getSync('connect', { reference: true }) as IsolatedVm.Reference<(...args: unknown[]) => void>)
      .applySync(undefined, [new opts.ivm.Callback(progress), new opts.ivm.Callback(() => { this.end('out-of-memory') })])
    // The operations are the host's from here: the strategy finds neither them nor the callbacks.
    this.context.global.deleteSync(ENGINE_GLOBAL)
    this.context.evalSync(SEAL_REALM_SCRIPT)
  }

  get disposed (): boolean {
    return this.isolate.isDisposed
  }

  /** The isolate's heap in use and the ArrayBuffers it holds, in bytes (for `peer status`). */
  memoryUsage (): { heapBytes: number, externalBytes: number } {
    const h = this.isolate.getHeapStatisticsSync()
    return { heapBytes: h.used_heap_size, externalBytes: h.externally_allocated_size }
  }

  /** The bundle's runtime fingerprint on this machine (sha256 hex); run before any strategy. */
  fingerprint (): string {
    const fp = this.call('fingerprint', [])
    if (typeof fp !== 'string' || !/^[0-9a-f]{64}$/.test(fp)) throw new StratmeshError('EVAL_BAD_MESSAGE', 'the engine bundle\'s fingerprint is not a sha256 hex string')
    return fp
  }

  inspect (code: string, fileName: string): unknown {
    return this.call('inspect', [this.strategy(code, fileName), fileName])
  }

  /**
   * `symbols`: the job's candles, or a basket job's in the order of spec.basket.datasets: the first
   * symbol's columns where a one-dataset job's go, the others' after the cache bound, each column
   * copied into a buffer of its own (a strategy run on one symbol cannot reach another's bars).
   */
  loadJob (code: string, fileName: string, symbols: readonly Candles[], spec: JobSpec, maxCacheBytes: number): void {
    const columns = (c: Candles): unknown[] => [c.time, c.open, c.high, c.low, c.close, c.volume].map(x => new this.ivm.ExternalCopy(x).copyInto({ release: true }))
    this.call('loadJob', [this.strategy(code, fileName), fileName, ...columns(symbols[0]), JSON.stringify(spec), maxCacheBytes, ...symbols.slice(1).flatMap(columns)])
  }

  /** Whether the bundle can take another job of the loaded strategy and candles (useSpec). */
  get canUseSpec (): boolean {
    return this.ops.useSpec !== undefined
  }

  /** Another job of the loaded strategy on the loaded candles: its spec replaces the loaded one's. */
  useSpec (spec: JobSpec): void {
    this.call('useSpec', [JSON.stringify(spec)])
  }

  runUnit (input: UnitInput, skip: ReadonlyArray<readonly [string, string]>): unknown {
    return this.call('runUnit', [JSON.stringify(input), JSON.stringify(skip)])
  }

  evaluate (params: readonly ParamValues[], island: number): unknown {
    return this.call('evaluate', [JSON.stringify(params), island])
  }

  /** Throws STRATEGY_LOOKAHEAD when the sample of unit (island, epoch) with this population looks ahead. */
  lookAhead (island: number, epoch: number, population: ReadonlyArray<{ readonly params: ParamValues, readonly fitness: number | null }>): void {
    this.call('lookAhead', [JSON.stringify({ island, epoch, population })])
  }

  /** Throws the loaded job's first problem at submit (STRATEGY_CONSTRAINTS_UNSATISFIABLE, STRATEGY_LOOKAHEAD). */
  preflight (): void {
    this.call('preflight', [])
  }

  detail (params: ParamValues, maxPoints: number, maxTrades: number, island: number): unknown {
    return this.call('detail', [JSON.stringify(params), maxPoints, maxTrades, island])
  }

  walkForward (winners: readonly WindowWinner[], maxPoints: number): unknown {
    return this.call('walkForward', [JSON.stringify(winners), maxPoints])
  }

  /**
   * One genome over [from, to): the answer (metrics, fitness, trade count) as JSON, and the series
   * copied out as a Float64Array (whose shape the parent checks, as everything a child sends).
   */
  backtest (params: ParamValues, range: { from: number, to: number, costs: Costs }): { answer: unknown, series: unknown } {
    const answer = this.call('backtest', [JSON.stringify(params), JSON.stringify(range)])
    const series: unknown = this.ops.takeSeries.applySync(undefined, [], { result: { copy: true } })
    return { answer, series }
  }

  statistics (input: StatisticsInput): unknown {
    return this.call('statistics', [JSON.stringify(input)])
  }

  /** Compiles the strategy's CommonJS text in the isolate and returns its module function, to pass in. */
  private strategy (code: string, fileName: string): unknown {
    let script: IsolatedVm.Script
    try {
      script = this.isolate.compileScriptSync(wrapStrategyModule(code), { filename: fileName })
    } catch (err) {
      throw new StratmeshError('STRATEGY_LOAD_FAILED', `${fileName}: loading the strategy threw: ${(err as Error).message}`, { cause: err })
    }
    const fn = script.runSync(this.context, { reference: true }) as IsolatedVm.Reference<unknown>
    return fn.derefInto()
  }

  /** Runs one operation; its answer's size is checked before it is copied out, then unwrapped. */
  private call (op: Exclude<Operation, 'take' | 'takeSeries'> | OptionalOperation, args: unknown[]): unknown {
    const fn = this.ops[op]
    if (fn === undefined) throw new StratmeshError('ENGINE_INTERFACE_UNSUPPORTED', `the engine bundle has no ${op} operation`)
    const length: unknown = fn.applySync(undefined, args as never[])
    if (typeof length !== 'number' || !(length <= MAX_ISOLATE_ANSWER_CHARS)) {
      throw new StratmeshError('EVAL_BAD_MESSAGE', `the isolate's answer to ${op} is ${String(length)} characters, more than ${MAX_ISOLATE_ANSWER_CHARS}`)
    }
    const text: unknown = this.ops.take.applySync(undefined, [])
    if (typeof text !== 'string' || text.length !== length) throw new StratmeshError('EVAL_BAD_MESSAGE', `the isolate's answer to ${op} is not the text it announced`)
    const answer = JSON.parse(text) as { ok?: unknown, error?: { code?: unknown, message?: unknown } }
    if (answer !== null && typeof answer === 'object' && 'ok' in answer) return answer.ok
    const e = answer?.error
    const message = typeof e?.message === 'string' ? e.message : 'an error without a message'
    throw new StratmeshError(isErrorCode(e?.code) ? e.code : 'EVAL_CHILD_ERROR', message)
  }

  private end (fault: IsolateFault): void {
    this.fault ??= fault
    if (!this.isolate.isDisposed) this.isolate.dispose()
  }
}
