/**
 * The engine's only source of randomness: a seeded sfc32 generator. Seeds are derived from
 * integers (job seed, island, epoch…) through splitmix32 so nearby seeds give unrelated streams.
 * Pure integer arithmetic: the same seed gives the same sequence on every machine.
 */
export interface Prng {
  /** Uniform in [0, 1). */
  next (): number
  /** Uniform integer in [0, n). */
  int (n: number): number
  /** Standard normal (Box-Muller). */
  normal (): number
}

function splitmix32 (state: number): () => number {
  let s = state >>> 0
  return () => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
    return (z ^ (z >>> 16)) >>> 0
  }
}

/** A generator seeded by a list of integers (each taken modulo 2^32). */
export function createPrng (...seeds: number[]): Prng {
  let h = 0x243f6a88
  for (const seed of seeds) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`PRNG seed must be a safe integer, got ${seed}`)
    // Fold both halves of a 53-bit integer so large seeds stay distinct.
    const lo = seed >>> 0
    const hi = Math.floor(seed / 0x100000000) >>> 0
    h = splitmix32(h ^ lo)() ^ hi
    h = splitmix32(h)()
  }
  const mix = splitmix32(h)
  let a = mix(); let b = mix(); let c = mix(); let d = mix()
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) u32()
  let spare: number | null = null
  const next = (): number => u32() / 0x100000000
  return {
    next,
    int (n: number): number {
      if (!(n >= 1)) throw new RangeError(`PRNG int bound must be >= 1, got ${n}`)
      return Math.floor(next() * n)
    },
    normal (): number {
      if (spare !== null) { const s = spare; spare = null; return s }
      let u = 0
      while (u === 0) u = next()
      const v = next()
      const r = Math.sqrt(-2 * Math.log(u))
      spare = r * Math.sin(2 * Math.PI * v)
      return r * Math.cos(2 * Math.PI * v)
    },
  }
}
