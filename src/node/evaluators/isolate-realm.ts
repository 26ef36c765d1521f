/**
 * What an evaluator's isolate keeps of the JavaScript built-ins, decided by the host whatever the
 * engine bundle does: the script below runs after the engine bundle and before any strategy code.
 * A bare isolate has no process, require, import, timers, fetch, performance or crypto to begin
 * with (tested); what V8 itself provides and a strategy must not have is removed here, and the
 * clocks and random sources left throw STRATEGY_NONDETERMINISTIC, so a strategy that reaches for
 * one fails the same way on every machine.
 */

/**
 * Globals removed: shared memory and waiting (SharedArrayBuffer, Atomics: Atomics.waitAsync runs
 * code later), WebAssembly (its memories and code), garbage-collector observers (WeakRef,
 * FinalizationRegistry: results would depend on when the collector ran), Intl and Temporal (the
 * current time through `new Intl.DateTimeFormat().format()` and `Temporal.Now`; locale-dependent
 * output), and console (nothing reads it).
 */
export const REMOVED_GLOBALS = ['SharedArrayBuffer', 'Atomics', 'WebAssembly', 'WeakRef', 'FinalizationRegistry', 'Intl', 'Temporal', 'console'] as const

/**
 * `Date` is replaced by a function that builds real dates from arguments (new Date(ms) is
 * deterministic) and throws for the current time; the real constructor is unreachable (its
 * prototype's `constructor` is the replacement; Date's prototype chain leads to Function, not to
 * the real Date) and its own now() throws as well. Math.random throws.
 */
export const SEAL_REALM_SCRIPT = `(() => {
  'use strict'
  const g = globalThis
  for (const name of ${JSON.stringify(REMOVED_GLOBALS)}) delete g[name]
  const nondeterministic = what => () => {
    const err = new Error('STRATEGY_NONDETERMINISTIC: strategies must be deterministic (' + what + ' is not available)')
    err.code = 'STRATEGY_NONDETERMINISTIC'
    throw err
  }
  const RealDate = g.Date
  const nowThrows = nondeterministic('Date.now')
  const newDateThrows = nondeterministic('new Date()')
  const callThrows = nondeterministic('Date()')
  function Date (...args) {
    if (new.target === undefined) callThrows()
    if (args.length === 0) newDateThrows()
    return Reflect.construct(RealDate, args, new.target)
  }
  Object.defineProperty(Date, 'prototype', { value: RealDate.prototype })
  Object.defineProperty(RealDate.prototype, 'constructor', { value: Date, writable: true, configurable: true })
  Date.UTC = RealDate.UTC
  Date.parse = RealDate.parse
  Date.now = nowThrows
  RealDate.now = nowThrows
  Object.defineProperty(g, 'Date', { value: Date, writable: true, configurable: true, enumerable: false })
  Object.defineProperty(Math, 'random', { value: nondeterministic('Math.random'), writable: true, configurable: true })
})()`
