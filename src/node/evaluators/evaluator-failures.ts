/**
 * How the pool reads an evaluator's failures: which ones cost a restart (and are counted in the
 * pool's stats), the error a genome that killed its evaluator records, and the error for an answer
 * that is not the one asked for.
 */
import { StratmeshError, isStratmeshError } from '../../protocol/errors.js'
import type { ChildMessage } from './messages.js'

export type RestartReason = 'timeout' | 'crash' | 'outOfMemory'

export const RESTART_REASON: Readonly<Record<string, RestartReason>> = { EVAL_TIMEOUT: 'timeout', EVAL_CRASHED: 'crash', EVAL_OUT_OF_MEMORY: 'outOfMemory' }

/** What a genome that killed its evaluator records: stable text, the same on every peer. */
export const SKIP_ERROR: Readonly<Record<string, string>> = {
  EVAL_TIMEOUT: 'EVAL_TIMEOUT: the evaluation exceeded the time limit and was stopped',
  EVAL_CRASHED: 'EVAL_CRASHED: the evaluator process died during this evaluation',
  EVAL_OUT_OF_MEMORY: 'EVAL_OUT_OF_MEMORY: the evaluation exceeded the evaluator memory limit',
}

/** The restart an error stands for, if it killed its evaluator. */
export function restartReason (err: unknown): RestartReason | undefined {
  return isStratmeshError(err) && err.code in RESTART_REASON ? RESTART_REASON[err.code] : undefined
}

export function answerError (m: ChildMessage, expected: string): StratmeshError {
  if (m.type === 'error') return new StratmeshError(m.code, m.message)
  return new StratmeshError('EVAL_BAD_MESSAGE', `evaluator answered ${m.type}, expected ${expected}`)
}
