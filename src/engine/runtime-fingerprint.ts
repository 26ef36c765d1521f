/**
 * The runtime fingerprint: a fixed battery run by an engine bundle in an evaluator's isolate,
 * hashed to one value. Peers compare checkpoints bit for bit, so two machines may share a job only
 * if the job's engine computes the same bits on both. The battery touches what could differ: the
 * Math functions V8 implements itself (fdlibm ports, which a V8 upgrade could change), indicator
 * kernels over a fixed series, and one tiny GA unit end to end (backtest, metrics, selection,
 * canonical JSON). It names no engine hash, so bundles that compute alike share a fingerprint.
 */
import { createHash } from 'node:crypto'
import { canonicalHash } from '../protocol/canonical.js'
import type { JobSpec } from '../protocol/job-spec.js'
import { syntheticCandles } from './data/synthetic.js'
import { evaluateGenome } from './evaluate.js'
import { runUnit } from './ga.js'
import { atr, bollinger, ema, macd, rsi, sma, stdev } from './indicators/index.js'
import { createJobSpec, evalSetupFor } from './job-setup.js'
import { createStrategyContext } from './strategy-context.js'
import { defineStrategy, int } from './strategy-api.js'

/** Inputs of the Math battery: small, large, near 0 and 1, negative, irrational-looking. */
const MATH_INPUTS = [1e-7, 0.1, 0.5, 0.9999999, 1, 1.5, Math.E, 3.3, 10, 123.456, 1e5, 7.5e8, -0.3, -3.3, -271.8]
/** Bars of the fixed series: enough for every indicator to warm up and a unit to trade. */
const FINGERPRINT_BARS = 800

function mathBattery (): number[] {
  const out: number[] = []
  for (const x of MATH_INPUTS) {
    const a = Math.abs(x)
    out.push(Math.exp(x), Math.expm1(x), Math.log(a), Math.log1p(a), Math.log2(a), Math.log10(a), Math.pow(a, 1.7), Math.pow(x, 3), Math.sqrt(a), Math.cbrt(x),
      Math.sin(x), Math.cos(x), Math.tan(x), Math.asin(x / (a + 1)), Math.acos(x / (a + 1)), Math.atan(x), Math.atan2(x, 0.7),
      Math.sinh(x / 100), Math.cosh(x / 100), Math.tanh(x), Math.asinh(x), Math.hypot(x, 2.5))
  }
  return out
}

const tinyStrategy = defineStrategy({
  name: 'fingerprint',
  params: { fast: int(2, 20, 1), slow: int(10, 80, 2) },
  constraints: p => p.fast < p.slow,
  positions (ctx, p) {
    const fast = ctx.ema(ctx.close, p.fast)
    const slow = ctx.sma(ctx.close, p.slow)
    const out = ctx.output()
    for (let i = 0; i < ctx.length; i++) out[i] = fast[i] > slow[i] ? 1 : fast[i] < slow[i] ? -0.5 : 0
    return out
  },
})

/** The checkpoint hash of one small unit of a fixed job. */
function tinyUnitHash (candles: ReturnType<typeof syntheticCandles>): string {
  const zero = '0'.repeat(64)
  const spec: JobSpec = createJobSpec({
    engine: { hash: zero, fingerprint: zero },
    strategy: { hash: zero, name: 'fingerprint' },
    dataset: { hash: zero, name: 'fingerprint', bars: candles.length },
    minTrades: 1,
    seed: 3,
    ga: { islands: 1, population: 8, generations: 2, epochs: 1 },
  })
  const ctx = createStrategyContext(candles)
  const setup = evalSetupFor(spec, candles)
  const checkpoint = runUnit({ spec, island: 0, epoch: 0, previous: null, migrants: null }, {
    def: tinyStrategy,
    evaluate: (params, scope) => evaluateGenome(tinyStrategy, ctx, params, setup, scope),
  })
  return canonicalHash(checkpoint)
}

/** The fingerprint (sha256 hex) of the engine this code is part of, on the runtime it runs on. */
export function runtimeFingerprint (): string {
  const candles = syntheticCandles({ bars: FINGERPRINT_BARS, seed: 11 })
  const { close, high, low } = candles
  const m = macd(close, 12, 26, 9)
  const b = bollinger(close, 20, 2)
  const series = [Float64Array.from(mathBattery()), sma(close, 30), ema(close, 30), rsi(close, 14), stdev(close, 20), atr(high, low, close, 14), m.macd, m.signal, b.upper, b.lower]
  const hash = createHash('sha256')
  for (const s of series) hash.update(new Uint8Array(s.buffer, s.byteOffset, s.byteLength))
  hash.update(tinyUnitHash(candles))
  return hash.digest('hex')
}
