import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createServiceStack, type Startable } from '../../src/node/lifecycle.js'
import { createPeerEvents } from '../../src/node/peer-events.js'

function recorder (calls: string[], name: string, failOn?: 'start' | 'stop'): Startable {
  return {
    async start () {
      calls.push(`start ${name}`)
      if (failOn === 'start') throw new Error(`${name} cannot start`)
    },
    stop () {
      calls.push(`stop ${name}`)
      if (failOn === 'stop') throw new Error(`${name} cannot stop`)
    },
  }
}

test('services start in order and stop in reverse; a failing stop is logged and the rest still stop', async () => {
  const calls: string[] = []
  const lines: string[] = []
  const stack = createServiceStack(line => { lines.push(line) })
  await stack.start('a', recorder(calls, 'a'))
  stack.adopt('b', recorder(calls, 'b', 'stop'))
  await stack.start('c', recorder(calls, 'c'))
  await stack.stop()
  assert.deepEqual(calls, ['start a', 'start c', 'stop c', 'stop b', 'stop a'])
  assert.deepEqual(lines, ['stopping b: b cannot stop'])
  await stack.stop()
  assert.equal(calls.length, 5, 'a second stop stops nothing again')
})

test('a start that fails stops what had started, in reverse, and throws', async () => {
  const calls: string[] = []
  const stack = createServiceStack(() => {})
  await stack.start('a', recorder(calls, 'a'))
  await stack.start('b', recorder(calls, 'b'))
  await assert.rejects(stack.start('c', recorder(calls, 'c', 'start')), /c cannot start/)
  assert.deepEqual(calls, ['start a', 'start b', 'start c', 'stop b', 'stop a'])
})

test('peer events reach their listeners in order until they unsubscribe; a throwing listener is logged', () => {
  const lines: string[] = []
  const events = createPeerEvents(line => { lines.push(line) })
  const seen: string[] = []
  const off = events.on('woke', ({ gapMs }) => { seen.push(`first ${gapMs}`) })
  events.on('woke', () => { throw new Error('boom') })
  events.on('woke', ({ gapMs }) => { seen.push(`third ${gapMs}`) })
  events.emit('woke', { gapMs: 7 })
  off()
  events.emit('woke', { gapMs: 8 })
  assert.deepEqual(seen, ['first 7', 'third 7', 'third 8'])
  assert.deepEqual(lines, ['woke listener: boom', 'woke listener: boom'])
})
