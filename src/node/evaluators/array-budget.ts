/**
 * A budget on the typed arrays a strategy allocates in one evaluation (evaluator child only).
 *
 * The heap cap (--max-old-space-size) does not see typed arrays: their bytes live outside the V8
 * heap. A strategy that hoards Float64Arrays, the natural way to go wrong with this API, would
 * grow until the operating system killed the evaluator, or something else, or the machine swapped.
 * So the child wraps the typed-array constructors and ArrayBuffer: while a strategy's positions()
 * runs, every array it makes (with `new`, `from`, `of`, or the species methods such as slice and
 * map) is added up, and the one that would pass the budget throws EVAL_OUT_OF_MEMORY instead of
 * being made. The engine's own calls (ctx.sma and the rest) do not count: what they allocate depends
 * on the indicator cache, which is sized from the machine.
 *
 * What is counted is bytes made, not bytes alive (an array's end cannot be seen while the strategy
 * runs), so the count is the same on every machine and a genome fails, or not, wherever it runs.
 * The budget is generous for that reason: it is a guard against runaway code, not a sandbox; code
 * written to get around it (structuredClone, WebAssembly memory) is not stopped by it.
 */
import { StratmeshError } from '../../protocol/errors.js'

const TYPED_ARRAYS = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array',
  'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'] as const
const BUFFERS = ['ArrayBuffer', 'SharedArrayBuffer'] as const

export interface ArrayBudget {
  /** Runs a strategy's code, counting what it allocates against `maxBytes` (a fresh count each call). */
  counted<T> (maxBytes: number, fn: () => T): T
  /** Runs an engine call made from strategy code without counting it. */
  exempt<T> (fn: () => T): T
}

let installed: ArrayBudget | undefined

/** Wraps the constructors on globalThis (once per process) and returns the budget they report to. */
export function installArrayBudget (): ArrayBudget {
  if (installed !== undefined) return installed
  const g = globalThis as unknown as Record<string, unknown>
  // The real buffer constructors, before they are wrapped below.
  const bufferTypes = BUFFERS.map(name => g[name]).filter((c): c is new () => object => typeof c === 'function')
  const isBuffer = (v: unknown): boolean => bufferTypes.some(c => v instanceof c)
  let counting = false
  let limit = 0
  let made = 0

  function charge (bytes: number): void {
    if (!(bytes > 0)) return
    if (made + bytes > limit) {
      throw new StratmeshError('EVAL_OUT_OF_MEMORY', `the strategy's typed arrays passed the budget of ${Math.round(limit / 1024 / 1024)} MiB allocated in one evaluation`)
    }
    made += bytes
  }

  /** Bytes a constructor call is about to make, when known before it runs; undefined: count the result. */
  function requested (buffer: boolean, bytesPerElement: number, args: readonly unknown[]): number | undefined {
    const a0 = args[0]
    if (buffer) {
      // A resizable buffer may grow to its maxByteLength without another constructor call.
      const max = (args[1] as { maxByteLength?: unknown } | undefined)?.maxByteLength
      return Math.max(Number(a0) || 0, Number(max) || 0)
    }
    if (typeof a0 === 'number') return a0 * bytesPerElement
    if (isBuffer(a0)) return 0 // a view on memory that exists already
    // An array or array-like: its length, before the copy (an iterable without one is counted after).
    const length = typeof a0 === 'object' && a0 !== null ? (a0 as { length?: unknown }).length : undefined
    return typeof length === 'number' ? length * bytesPerElement : undefined
  }

  for (const name of [...TYPED_ARRAYS, ...BUFFERS]) {
    const target = g[name] as (new (...args: unknown[]) => { byteLength: number }) & { BYTES_PER_ELEMENT?: number, prototype: { constructor: unknown } }
    if (typeof target !== 'function') continue
    const bytesPerElement = target.BYTES_PER_ELEMENT ?? 1
    const buffer = bufferTypes.includes(target)
    const proxy: typeof target = new Proxy(target, {
      construct (t, args, newTarget) {
        // `new Float64Array(n)` reaches here with the proxy as newTarget. Passed on, V8 would derive
        // a fresh map for every array (a proxy caches none), every typed-array access in the engine
        // would go megamorphic, and evaluations ran 8x slower. The constructor itself gives the
        // usual map; a strategy's own subclass (newTarget a class) keeps its own.
        const mapFrom = newTarget === proxy ? t : newTarget
        if (!counting) return Reflect.construct(t, args, mapFrom) as object
        const before = requested(buffer, bytesPerElement, args)
        if (before !== undefined) charge(before)
        const result = Reflect.construct(t, args, mapFrom) as { byteLength: number }
        if (before === undefined) charge(result.byteLength)
        return result
      },
    })
    g[name] = proxy
    // slice, map, filter, subarray and ArrayBuffer#slice make their results through the species
    // constructor, found as the prototype's `constructor`.
    target.prototype.constructor = proxy
  }

  installed = {
    counted<T> (maxBytes: number, fn: () => T): T {
      const was = [counting, limit, made] as const
      counting = true
      limit = maxBytes
      made = 0
      try {
        return fn()
      } finally {
        [counting, limit, made] = was
      }
    },
    exempt<T> (fn: () => T): T {
      const was = counting
      counting = false
      try {
        return fn()
      } finally {
        counting = was
      }
    },
  }
  return installed
}
