/**
 * This peer's own engine: the bundle its evaluators were built with (or given), and its runtime
 * fingerprint on this machine, computed once at start. Jobs this peer submits name both; a hello
 * announces the fingerprint.
 */
import { performance } from 'node:perf_hooks'
import type { EvaluatorPool } from '../evaluators/index.js'

export interface LocalEngine {
  readonly script: string
  readonly hash: string
  readonly fingerprint: string
  /** How long the fingerprint took, evaluator start included (ms). */
  readonly fingerprintMs: number
}

/** Fingerprints the pool's own bundle (the pool keeps it by hash, so jobs naming it are not run again). */
export async function localEngine (pool: Pick<EvaluatorPool, 'engine' | 'fingerprint'>): Promise<LocalEngine> {
  const { script, hash } = pool.engine()
  const started = performance.now()
  const fingerprint = await pool.fingerprint(script)
  return { script, hash, fingerprint, fingerprintMs: performance.now() - started }
}
