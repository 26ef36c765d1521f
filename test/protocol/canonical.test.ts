import { test } from 'node:test'
import assert from 'node:assert/strict'
import { canonicalString, canonicalHash } from '../../src/protocol/canonical.js'
import { isStratmeshError } from '../../src/protocol/errors.js'

test('canonical JSON sorts keys at every depth and drops undefined members', () => {
  assert.equal(canonicalString({ b: 1, a: { d: [1, 'x', null], c: true }, u: undefined }), '{"a":{"c":true,"d":[1,"x",null]},"b":1}')
})

test('the same value in another key order hashes the same', () => {
  assert.equal(canonicalHash({ x: 1.5, y: [2, 3] }), canonicalHash({ y: [2, 3], x: 1.5 }))
  assert.notEqual(canonicalHash({ x: 1.5 }), canonicalHash({ x: 1.25 }))
})

test('non-finite numbers, typed arrays and class instances are refused with a path', () => {
  for (const bad of [{ a: [1, Number.NaN] }, { a: Infinity }, { a: new Float64Array(2) }, { a: new Map() }]) {
    assert.throws(() => canonicalString(bad), (err: unknown) => isStratmeshError(err, 'CANONICAL_BAD_VALUE') && /\$\.a/.test(err.message))
  }
})
