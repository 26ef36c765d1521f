/**
 * The Probability of Backtest Overfitting by combinatorially symmetric cross-validation (Bailey,
 * Borwein, Lopez de Prado & Zhu, "The Probability of Backtest Overfitting", Journal of
 * Computational Finance, 2017; working paper 2013). The bars are cut into S blocks; for every way
 * of picking S/2 of them as a pseudo in-sample half (the rest is its out-of-sample half), the
 * strategy with the best Sharpe on the first half is ranked on the second. PBO is the share of
 * splits where that winner lands in the bottom half out of sample: how often picking the best
 * in-sample row picks one no better than the median.
 */

/** Blocks the bars are cut into: C(16, 8) = 12870 splits, the paper's choice, cheap with per-block sums. */
export const PBO_BLOCKS = 16

export interface PboResult {
  /** Share of splits whose in-sample winner ranks in the bottom half out of sample (logit <= 0). */
  readonly pbo: number
  readonly splits: number
  readonly strategies: number
  /** Median of the logits ln(w / (1 - w)) of the winners' relative out-of-sample ranks w. */
  readonly medianLogit: number
}

interface BlockSums { readonly count: Float64Array, readonly sum: Float64Array, readonly sumSq: Float64Array }

function blockSums (r: ArrayLike<number>, blocks: number): BlockSums {
  const t = r.length
  const out = { count: new Float64Array(blocks), sum: new Float64Array(blocks), sumSq: new Float64Array(blocks) }
  for (let b = 0; b < blocks; b++) {
    const lo = Math.floor(b * t / blocks)
    const hi = Math.floor((b + 1) * t / blocks)
    let s = 0; let q = 0
    for (let i = lo; i < hi; i++) { s += r[i]; q += r[i] * r[i] }
    out.count[b] = hi - lo; out.sum[b] = s; out.sumSq[b] = q
  }
  return out
}

/** Sharpe (mean / population std) over the blocks whose bit in `mask` equals `bit`; 0 when flat. */
function sharpeOver (s: BlockSums, mask: number, bit: number): number {
  let c = 0; let sum = 0; let sq = 0
  for (let b = 0; b < s.count.length; b++) {
    if (((mask >> b) & 1) !== bit) continue
    c += s.count[b]; sum += s.sum[b]; sq += s.sumSq[b]
  }
  if (c === 0) return 0
  const mean = sum / c
  const variance = sq / c - mean * mean
  return variance > 0 ? mean / Math.sqrt(variance) : 0
}

function popcount (x: number): number {
  let c = 0
  for (let v = x; v !== 0; v &= v - 1) c++
  return c
}

/**
 * PBO of a selection among `returns` (one series of per-bar returns per strategy, all of one
 * length). Null with fewer than 2 strategies or fewer bars than blocks. The in-sample winner of a
 * split is the first of the best (ties go to the lower index); its out-of-sample rank counts the
 * strategies strictly below it, so a tie never lifts it.
 */
export function probabilityOfOverfitting (returns: ReadonlyArray<ArrayLike<number>>, blocks = PBO_BLOCKS): PboResult | null {
  const n = returns.length
  if (n < 2 || blocks < 2 || blocks % 2 !== 0 || blocks > 30) return null
  const t = returns[0].length
  if (t < blocks || returns.some(r => r.length !== t)) return null
  const sums = returns.map(r => blockSums(r, blocks))
  const logits: number[] = []
  let overfit = 0
  const inSample = new Float64Array(n)
  const outOfSample = new Float64Array(n)
  for (let mask = 0; mask < 1 << blocks; mask++) {
    if (popcount(mask) !== blocks / 2) continue
    let best = 0
    for (let k = 0; k < n; k++) {
      inSample[k] = sharpeOver(sums[k], mask, 1)
      outOfSample[k] = sharpeOver(sums[k], mask, 0)
      if (inSample[k] > inSample[best]) best = k
    }
    let below = 0
    for (let k = 0; k < n; k++) if (outOfSample[k] < outOfSample[best]) below++
    const w = (below + 1) / (n + 1)
    const logit = Math.log(w / (1 - w))
    logits.push(logit)
    if (logit <= 0) overfit++
  }
  logits.sort((a, b) => a - b)
  const mid = logits.length >> 1
  const medianLogit = logits.length % 2 === 1 ? logits[mid] : (logits[mid - 1] + logits[mid]) / 2
  return { pbo: overfit / logits.length, splits: logits.length, strategies: n, medianLogit }
}
