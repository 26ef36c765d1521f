import { test } from 'node:test'
import assert from 'node:assert/strict'
import { paramsKey } from '../../src/protocol/params-key.js'

test('a parameter set has one key whatever the order of its fields', () => {
  assert.equal(paramsKey({ slow: 50, fast: 10, mode: 'long' }), paramsKey({ mode: 'long', fast: 10, slow: 50 }))
  assert.notEqual(paramsKey({ fast: 10 }), paramsKey({ fast: 11 }))
  assert.notEqual(paramsKey({ fast: 10 }), paramsKey({ fast: '10' }), 'a number and its text are different genomes')
})

test('the key text is pinned: peers and stored leaderboards compare it', () => {
  assert.equal(paramsKey({ b: 1.5, a: 'x' }), '[["a","x"],["b",1.5]]')
  assert.equal(paramsKey({}), '[]')
})
