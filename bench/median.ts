/** The medians the benches report (docs/BENCHMARKS.md: medians of >= 5 runs on a noisy machine). */
import { performance } from 'node:perf_hooks'

/** The middle of the sorted values; of an even count, the upper of the two middle ones. */
export function median (xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

/** Median wall time, ms, of `runs` calls of `fn`, after `warmUp` untimed calls. */
export function medianTime (runs: number, fn: () => unknown, warmUp = 0): number {
  for (let k = 0; k < warmUp; k++) fn()
  const times: number[] = []
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now()
    fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}
