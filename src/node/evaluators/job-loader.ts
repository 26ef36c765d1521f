/** Compiles a job's strategy (a few kept) and loads the job into an evaluator, with the pool's memory bounds. */
import type { EvaluatorProcess } from './evaluator-process.js'
import type { PoolJob } from './pool-types.js'
import { answerError } from './evaluator-failures.js'
import { compileStrategy } from './strategy-compiler.js'

/** Compiled strategies kept, by job key: compiling is cheap, but units of a job arrive in bursts. */
const COMPILED_CACHE = 16

export class JobLoader {
  private readonly cacheBytes: number
  private readonly compiled = new Map<string, string>()

  /** `cacheBytes`: each evaluator's indicator cache bound (its isolate's memory limit grows by it). */
  constructor (cacheBytes: number) {
    this.cacheBytes = cacheBytes
  }

  compile (job: PoolJob): string {
    let code = this.compiled.get(job.key)
    if (code === undefined) {
      code = compileStrategy(job.source, job.fileName)
      if (this.compiled.size >= COMPILED_CACHE) this.compiled.delete(this.compiled.keys().next().value as string)
      this.compiled.set(job.key, code)
    }
    return code
  }

  /** Sends the job to a fresh child (one strategy per child lifetime, see evaluators/child.ts). */
  async load (ev: EvaluatorProcess, job: PoolJob, code: string): Promise<void> {
    if (ev.job === job.key) return
    ev.used = true
    const m = await ev.request({ type: 'load-job', jobKey: job.key, engine: job.engine, code, fileName: job.fileName, candles: job.candles, spec: job.spec, maxCacheBytes: this.cacheBytes, ...(job.basket === undefined ? {} : { basket: job.basket }) })
    if (m.type !== 'loaded') throw answerError(m, 'loaded')
    ev.job = job.key
  }
}
