/** Evaluations per second over a sliding window, counted in buckets so the count stays cheap. */
export class EvaluationRate {
  private readonly windowMs: number
  private readonly now: () => number
  private readonly buckets: Array<[number, number]> = []

  constructor (windowMs: number, now: () => number) {
    this.windowMs = windowMs
    this.now = now
  }

  count (): void {
    const t = this.now()
    const last = this.buckets[this.buckets.length - 1]
    // Buckets of a tenth of the window keep the list short at thousands of evaluations per second.
    if (last !== undefined && t - last[0] < this.windowMs / 10) last[1]++
    else this.buckets.push([t, 1])
    while (this.buckets.length > 0 && t - this.buckets[0][0] > this.windowMs) this.buckets.shift()
  }

  perSecond (): number {
    const t = this.now()
    while (this.buckets.length > 0 && t - this.buckets[0][0] > this.windowMs) this.buckets.shift()
    if (this.buckets.length === 0) return 0
    const count = this.buckets.reduce((s, [, n]) => s + n, 0)
    const span = Math.max(t - this.buckets[0][0], this.windowMs / 10)
    return count / (span / 1000)
  }
}
