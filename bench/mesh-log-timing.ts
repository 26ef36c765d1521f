/**
 * Where a mesh job's time goes between epochs, read from the peers' timestamped logs (the LAN
 * runner stamps every line): for each unit of epoch >= 1, the time from the later of its inputs'
 * commits (on whichever host) to its first claim, which is what the inputs' checks, gossip and pull
 * cost on the critical path; and, from the peers' own lines when they log them, each check's
 * latency from the commit's arrival to its verdict and how long speculative results waited.
 */

export interface JobTiming {
  /** Input committed -> unit claimed, ms, one per unit of epoch >= 1 (median and max below). */
  readonly inputToClaim: { readonly median: number, readonly max: number, readonly n: number }
  /** Remote commit arrived -> check began, and check began -> verdict, ms (medians), when logged. */
  readonly check: { readonly queued: number, readonly took: number, readonly n: number } | null
  /** Units claimed while an input was still being checked, and their results' median wait for the verdicts, ms. */
  readonly speculative: { readonly n: number, readonly waited: number | null }
  /**
   * Claim -> commit on the host that committed, ms: the median unit, and the median of each host's
   * first unit of the job (its evaluator starts the job: a new process, the job loaded, a cold cache).
   */
  readonly units: { readonly median: number, readonly first: number, readonly n: number }
}

function median (xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)]
}

const STAMPED = /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (.*)$/

/** Timings of one job (by id) from the logs of every host that worked on it. */
export function jobTiming (logs: readonly string[], jobId: string, islands: number): JobTiming {
  const short = jobId.slice(0, 12)
  const claimed = new Map<string, number>()
  const committed = new Map<string, number>()
  const queued: number[] = []
  const took: number[] = []
  const waited: number[] = []
  let speculative = 0
  const durations: number[] = []
  const firsts: number[] = []
  for (const log of logs) {
    const mine = new Map<string, number>()
    let first = true
    for (const line of log.split('\n')) {
      const m = STAMPED.exec(line)
      if (m === null || !m[2].includes(short)) continue
      const at = Date.parse(m[1])
      const text = m[2]
      const unit = /island (\d+) epoch (\d+)/.exec(text)
      const key = unit === null ? '' : `${unit[1]}/${unit[2]}`
      if (text.startsWith('claimed unit')) {
        if (!claimed.has(key) || (claimed.get(key) as number) > at) claimed.set(key, at)
        if (!mine.has(key)) mine.set(key, at)
        if (text.includes('still being checked')) speculative++
      } else if (text.startsWith('committed island')) {
        if (!committed.has(key) || (committed.get(key) as number) > at) committed.set(key, at)
        const since = mine.get(key)
        if (since !== undefined) { durations.push(at - since); if (first) firsts.push(at - since); first = false }
      }
      const check = /^checked island .* in (\d+) ms, (\d+) ms after it arrived/.exec(text)
      if (check !== null) { took.push(Number(check[1])); queued.push(Number(check[2])) }
      const wait = / waited (\d+) ms for its inputs' checks/.exec(text)
      if (wait !== null) waited.push(Number(wait[1]))
    }
  }
  const gaps: number[] = []
  for (const [key, at] of claimed) {
    const [island, epoch] = key.split('/').map(Number)
    if (epoch === 0) continue
    const inputs = [`${island}/${epoch - 1}`, ...(islands > 1 ? [`${(island - 1 + islands) % islands}/${epoch - 1}`] : [])]
    const ready = Math.max(...inputs.map(k => committed.get(k) ?? NaN))
    if (Number.isFinite(ready)) gaps.push(at - ready)
  }
  return {
    inputToClaim: { median: median(gaps), max: gaps.length === 0 ? NaN : Math.max(...gaps), n: gaps.length },
    check: took.length === 0 ? null : { queued: median(queued), took: median(took), n: took.length },
    speculative: { n: speculative, waited: waited.length === 0 ? null : median(waited) },
    units: { median: median(durations), first: median(firsts), n: durations.length },
  }
}

/** One line for the bench's output. */
export function describeTiming (t: JobTiming): string {
  const parts = [`input committed -> claimed: median ${t.inputToClaim.median} ms, max ${t.inputToClaim.max} ms (${t.inputToClaim.n} units)`]
  if (t.check !== null) parts.push(`checks: ${t.check.queued} ms from arrival to start, ${t.check.took} ms to verdict (medians of ${t.check.n})`)
  parts.push(`units claimed -> committed: median ${t.units.median} ms, each host's first ${t.units.first} ms`)
  if (t.speculative.n > 0) parts.push(`${t.speculative.n} claims speculative, results waited ${t.speculative.waited ?? '-'} ms for verdicts (median)`)
  return parts.join('; ')
}
