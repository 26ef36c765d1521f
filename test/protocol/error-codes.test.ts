import { test } from 'node:test'
import assert from 'node:assert/strict'
import { ERROR_AREAS, ERROR_CODES, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_JOB_NOT_FOUND, EXIT_PEER_NOT_RUNNING, EXIT_USAGE, errorCodeInfo, isErrorCode } from '../../src/protocol/error-codes.js'
import { StratmeshError, isStratmeshError } from '../../src/protocol/errors.js'

test('every registered code names itself, an area and a one-line meaning', () => {
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    assert.equal(info.code, code)
    assert.ok(info.area in ERROR_AREAS, code)
    assert.match(code, /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$/)
    assert.ok(info.meaning.length > 0 && !info.meaning.includes('\n') && !info.meaning.includes('|'), code)
  }
})

test('input codes are HTTP 400 and exit 2; others answer 4xx/5xx and exit 1, 3, 4 or 130 (Ctrl-C)', () => {
  for (const info of Object.values(ERROR_CODES)) {
    if (info.input) {
      assert.deepEqual([info.http, info.exit], [400, EXIT_USAGE], info.code)
    } else {
      assert.ok(info.http >= 401 && info.http <= 599, info.code)
      assert.ok([EXIT_FAILURE, EXIT_PEER_NOT_RUNNING, EXIT_JOB_NOT_FOUND, EXIT_INTERRUPTED].includes(info.exit), info.code)
    }
  }
  assert.equal(ERROR_CODES.PEER_NOT_RUNNING.exit, EXIT_PEER_NOT_RUNNING)
  assert.equal(ERROR_CODES.JOB_NOT_FOUND.exit, EXIT_JOB_NOT_FOUND)
  assert.equal(ERROR_CODES.DATA_DIR_LOCKED.input, false, 'another peer holding the data dir is not the user\'s input')
})

test('the codes that stop a job, and the genome failures that depend on the machine', () => {
  const with_ = (p: 'breaksJob' | 'machineDependent'): string[] => Object.values(ERROR_CODES).filter(c => c[p]).map(c => c.code).sort()
  assert.deepEqual(with_('breaksJob'), ['EVAL_UNIT_FAILED', 'STRATEGY_CONSTRAINTS_UNSATISFIABLE', 'STRATEGY_FORBIDDEN_IMPORT', 'STRATEGY_INVALID', 'STRATEGY_LOOKAHEAD', 'STRATEGY_SYNTAX'])
  assert.deepEqual(with_('machineDependent'), ['EVAL_CRASHED', 'EVAL_OUT_OF_MEMORY', 'EVAL_TIMEOUT'])
})

test('codes from outside are checked against the registry', () => {
  assert.equal(isErrorCode('CSV_BAD_ROW'), true)
  for (const c of ['NOT_A_CODE', 'ENOENT', 'toString', '__proto__', 42, undefined]) assert.equal(isErrorCode(c), false, String(c))
  assert.equal(errorCodeInfo('API_NOT_FOUND')?.http, 404)
  assert.equal(errorCodeInfo('ENOENT'), undefined)
  assert.equal(errorCodeInfo(undefined), undefined)
  assert.ok(isStratmeshError(new StratmeshError('JOB_INVALID', 'm'), 'JOB_INVALID'))
})
