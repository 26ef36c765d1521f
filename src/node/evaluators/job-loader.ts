/**
 * Compiles a job's strategy (a few kept) and loads the job into an evaluator, with the pool's memory
 * bounds: into a fresh child, or into one that holds the same strategy, engine and candles already.
 */
import type { Candles } from '../../protocol/types.js'
import { sha256Hex } from '../../protocol/canonical.js'
import { StratmeshError } from '../../protocol/errors.js'
import type { EvaluatorProcess } from './evaluator-process.js'
import type { PoolJob } from './pool-types.js'
import { answerError } from './evaluator-failures.js'
import { compileStrategy } from './strategy-compiler.js'

/** Compiled strategies and realms kept, by job key: units of a job arrive in bursts. */
const COMPILED_CACHE = 16

/**
 * Each candles object the pool is handed gets a number: the job library hands the same object for
 * the same dataset, so equal numbers mean the very bars a child already holds.
 */
const candleIds = new WeakMap<Candles, number>()
let nextCandleId = 1

function candlesId (c: Candles): number {
  let id = candleIds.get(c)
  if (id === undefined) {
    id = nextCandleId++
    candleIds.set(c, id)
  }
  return id
}

/** A small map that forgets its oldest entry past `COMPILED_CACHE`. */
function remember<T> (map: Map<string, T>, key: string, make: () => T): T {
  let v = map.get(key)
  if (v === undefined) {
    v = make()
    if (map.size >= COMPILED_CACHE) map.delete(map.keys().next().value as string)
    map.set(key, v)
  }
  return v
}

export class JobLoader {
  private readonly cacheBytes: number
  private readonly compiled = new Map<string, string>()
  private readonly realms = new Map<string, string | null>()

  /** `cacheBytes`: each evaluator's indicator cache bound (its isolate's memory limit grows by it). */
  constructor (cacheBytes: number) {
    this.cacheBytes = cacheBytes
  }

  compile (job: PoolJob): string {
    return remember(this.compiled, job.key, () => compileStrategy(job.source, job.fileName))
  }

  /**
   * What a child holds of a job apart from its spec: the engine bundle, the strategy's source and
   * file name, and the candles. Jobs of one realm may share a child, one after another, as the units
   * of one job do (an isolate still holds one strategy in its lifetime). A basket job has none: its
   * symbols' contexts are made from its spec.
   */
  realm (job: PoolJob): string | null {
    return remember(this.realms, job.key, () => job.basket === undefined
      ? `${sha256Hex(job.engine)}/${sha256Hex(job.source)}/${sha256Hex(job.fileName)}/${candlesId(job.candles)}`
      : null)
  }

  /** Whether `ev` can take `job`: it is fresh, holds the job, or holds the job's realm. */
  fits (ev: EvaluatorProcess, job: PoolJob): boolean {
    if (!ev.used || ev.job === job.key) return true
    return ev.realm !== null && ev.realm === this.realm(job)
  }

  /** Loads the job into `ev`, which must fit it (fits()): afresh, or as another job of its realm. */
  async load (ev: EvaluatorProcess, job: PoolJob, code: string): Promise<void> {
    if (ev.job === job.key) return
    if (ev.used) {
      if (!this.fits(ev, job)) throw new StratmeshError('EVAL_CHILD_USED', `this evaluator holds another strategy or dataset than job ${job.key.slice(0, 12)}'s`)
      const m = await ev.request({ type: 'use-job', jobKey: job.key, spec: job.spec })
      if (m.type !== 'loaded') throw answerError(m, 'loaded')
      ev.job = job.key
      return
    }
    ev.used = true
    const m = await ev.request({ type: 'load-job', jobKey: job.key, engine: job.engine, code, fileName: job.fileName, candles: job.candles, spec: job.spec, maxCacheBytes: this.cacheBytes, ...(job.basket === undefined ? {} : { basket: job.basket }) })
    if (m.type !== 'loaded') throw answerError(m, 'loaded')
    ev.job = job.key
    ev.realm = m.reusable === true ? this.realm(job) : null
  }
}
