import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { repairPnetCipherMemory } from '../../../src/node/mesh/libp2p-node.js'

type Cipher = { update: (input: Uint8Array) => Uint8Array }
const xsalsa20 = createRequire(import.meta.url)('xsalsa20') as (nonce: Uint8Array, key: Uint8Array) => Cipher

test('pnet ciphers survive many large writes on interleaved instances (xsalsa20 shared-memory leak)', () => {
  repairPnetCipherMemory()
  const key = new Uint8Array(32).fill(7)
  const nonceA = new Uint8Array(24).fill(1)
  const nonceB = new Uint8Array(24).fill(2)
  const encA = xsalsa20(nonceA, key)
  const encB = xsalsa20(nonceB, key)
  const decA = xsalsa20(nonceA, key)
  const big = new Uint8Array(1024 * 1024 + 17).map((_, i) => i * 13)
  // Unrepaired, each switch between instances after a grow grows the memory by the write size
  // again: 200 interleaved 1 MiB writes need 200 MiB, far beyond the 64 MiB maximum.
  for (let i = 0; i < 100; i++) {
    const c = encA.update(big)
    assert.deepEqual(decA.update(c), big, `round trip ${i}`)
    encB.update(new Uint8Array(100))
  }
})
