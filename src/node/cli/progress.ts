/**
 * Progress for long work: a single rewritten line on a terminal, plain log lines otherwise (so a
 * log file or CI output stays readable). Always on stderr, so stdout stays clean for results.
 */
import type { PeerStatus } from '../peer-types.js'

export interface ProgressLine {
  update (text: string): void
  /** Prints a line that stays (above the live line on a terminal). */
  log (text: string): void
  done (): void
}

/** Plain mode logs at most this often, so a fast job does not flood a log file. */
export const PLAIN_PROGRESS_INTERVAL_MS = 2000

export function createProgressLine (stream: NodeJS.WriteStream = process.stderr, clock: () => number = Date.now): ProgressLine {
  const tty = stream.isTTY === true
  let last = ''
  let lastPlain = -Infinity
  let lastWritten = ''
  let shown = false
  return {
    update (text) {
      last = text
      if (tty) {
        const width = stream.columns > 10 ? stream.columns - 1 : 120
        stream.write(`\r\x1b[2K${text.slice(0, width)}`)
        shown = true
      } else if (clock() - lastPlain >= PLAIN_PROGRESS_INTERVAL_MS) {
        lastPlain = clock()
        lastWritten = text
        stream.write(`${text}\n`)
      }
    },
    log (text) {
      if (tty && shown) stream.write('\r\x1b[2K')
      stream.write(`${text}\n`)
      if (tty && shown) stream.write(last)
    },
    done () {
      if (tty && shown) stream.write('\r\x1b[2K')
      // The final state once, not again when it was the last line written.
      else if (!tty && last !== '' && last !== lastWritten) stream.write(`${last}\n`)
      shown = false
      last = ''
      lastWritten = ''
    },
  }
}

/** `peers 2 · units 12/40 · 310 evals/s · best 1.234`: connected peers, active jobs' units, the mesh's rate. */
export function progressText (s: PeerStatus): string {
  const connected = s.peers.filter(p => p.connected).length
  const active = s.jobs.filter(j => !j.done)
  const rate = s.self.evalsPerSec + s.peers.reduce((sum, p) => sum + (p.connected ? p.evalsPerSec : 0), 0)
  const parts = [`peers ${connected}`]
  if (active.length === 0) {
    parts.push(s.jobs.length === 0 ? 'no jobs' : `${s.jobs.length} job${s.jobs.length === 1 ? '' : 's'} done`)
  } else {
    const done = active.reduce((n, j) => n + j.committed, 0)
    const total = active.reduce((n, j) => n + j.total, 0)
    parts.push(`units ${done}/${total}${active.length > 1 ? ` (${active.length} jobs)` : ''}`)
  }
  parts.push(`${rate >= 100 ? Math.round(rate) : rate.toFixed(1)} evals/s`)
  const best = active.map(j => j.bestFitness).filter((f): f is number => f !== null)
  if (best.length > 0) parts.push(`best ${Math.max(...best).toFixed(3)}`)
  return parts.join(' · ')
}
