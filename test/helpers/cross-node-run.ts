/**
 * A small fixed battery of everything whose bits peers must agree on: V8's Math functions, the
 * indicator kernels and whole GA jobs (leaderboards and checkpoint hashes). Two Node versions that
 * give the same battery can share a job. Every number is written as the hex of its 64 bits, so -0
 * and the last bit count and the JSON compares byte for byte; NaN is written as NaN, since its
 * payload bits are not something the engine or a strategy can tell apart by arithmetic.
 * (Node 20 and 24 do differ: `10 ** -4` and other powers moved by one bit.)
 *
 * As a script it writes `{ node, battery }` as JSON on stdout, so a test can run it under another
 * Node binary.
 */
import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { syntheticCandles } from '../../src/engine/data/synthetic.js'
import { atr, donchian, ema, rsi, sma, stdev, wma } from '../../src/engine/indicators/index.js'
import { createJobSpec } from '../../src/engine/job-setup.js'
import { referenceCheckpoints } from './reference-run.js'
import { validateStrategyDefinition } from '../../src/engine/param-space.js'
import { createPrng } from '../../src/engine/prng.js'
import { leaderboardOf } from '../../src/ledger/leaderboard.js'
import { canonicalHash } from '../../src/protocol/canonical.js'
import type { Objective } from '../../src/protocol/types.js'
import { ENGINE_FIXTURE } from './job-spec-fixture.js'

const STRATEGIES = fileURLToPath(new URL('../../strategies/', import.meta.url))

/** The bundled strategies and objectives the battery runs whole jobs of. */
const JOBS: ReadonlyArray<readonly [string, Objective]> = [
  ['sma-cross.ts', 'sharpe'],
  ['donchian-long-short.ts', 'calmar'],
  ['rsi-reversion.ts', 'return'],
]

const UNARY_MATH = ['exp', 'expm1', 'log', 'log1p', 'log2', 'log10', 'sqrt', 'cbrt', 'sin', 'cos', 'tan',
  'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'fround'] as const

export interface CrossNodeResult {
  /** process.version of the Node that computed it. */
  readonly node: string
  readonly battery: unknown
}

function bitsHex (x: number): string {
  if (Number.isNaN(x)) return 'NaN'
  const bytes = new Float64Array([x])
  return Buffer.from(bytes.buffer).toString('hex')
}

/** Every number in `value` replaced by the hex of its bits. */
function inBits (value: unknown): unknown {
  if (typeof value === 'number') return bitsHex(value)
  if (value instanceof Float64Array) return Array.from(value, bitsHex)
  if (Array.isArray(value)) return value.map(inBits)
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, inBits(v)]))
  return value
}

/** Inputs across the ranges the engine meets: tiny, around 1, large, negative, and the odd values. */
function mathInputs (): number[] {
  const rng = createPrng(23)
  const xs = [0, -0, 1, -1, 0.5, Math.PI, Math.E, 1e-300, 1e300, 710, -745, NaN, Infinity, -Infinity]
  for (let i = 0; i < 200; i++) xs.push((rng.next() - 0.5) * 10 ** (i % 9 - 4))
  return xs
}

function mathBattery (): Record<string, string> {
  const xs = mathInputs()
  const out: Record<string, string> = {}
  const hashOf = (values: number[]): string => canonicalHash(values.map(bitsHex))
  for (const name of UNARY_MATH) out[name] = hashOf(xs.map(x => Math[name](x)))
  out.pow = hashOf(xs.flatMap(x => xs.slice(0, 40).map(y => x ** y)))
  out.atan2 = hashOf(xs.flatMap(x => xs.slice(0, 40).map(y => Math.atan2(x, y))))
  out.hypot = hashOf(xs.flatMap(x => xs.slice(0, 40).map(y => Math.hypot(x, y))))
  return out
}

function indicatorBattery (): Record<string, string> {
  const c = syntheticCandles({ bars: 4000, seed: 31 })
  const out: Record<string, string> = {}
  for (const period of [2, 14, 200]) {
    const channel = donchian(c.high, c.low, period)
    const series = [sma(c.close, period), ema(c.close, period), wma(c.close, period), rsi(c.close, period),
      stdev(c.close, period), atr(c.high, c.low, c.close, period), channel.upper, channel.middle, channel.lower]
    out[`period ${period}`] = canonicalHash(inBits(series))
  }
  return out
}

async function jobBattery (): Promise<Record<string, unknown>> {
  const market = syntheticCandles({ bars: 5000, seed: 13 })
  const out: Record<string, unknown> = {}
  for (const [file, objective] of JOBS) {
    const mod = await import(pathToFileURL(join(STRATEGIES, file)).href) as { default: unknown }
    const def = validateStrategyDefinition(mod.default, file)
    const spec = createJobSpec({
      engine: ENGINE_FIXTURE,
      strategy: { hash: 'e'.repeat(64), name: file },
      dataset: { hash: 'f'.repeat(64), name: 'cross-node', bars: market.length },
      objective,
      minTrades: 5,
      seed: 9,
      ga: { islands: 2, population: 10, generations: 3, epochs: 2 },
    })
    const checkpoints = await referenceCheckpoints(spec, def, market)
    out[file] = { checkpoints: checkpoints.map(cp => canonicalHash(cp)), leaderboard: inBits(leaderboardOf(checkpoints, 10)) }
  }
  return out
}

/** The battery computed by this Node. */
export async function crossNodeRun (): Promise<CrossNodeResult> {
  return { node: process.version, battery: { math: mathBattery(), indicators: indicatorBattery(), jobs: await jobBattery() } }
}

if (process.argv[1] !== undefined && pathToFileURL(realpathSync(process.argv[1])).href === import.meta.url) {
  process.stdout.write(JSON.stringify(await crossNodeRun()))
}
