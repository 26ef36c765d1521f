/**
 * Progress for long work: a single rewritten line on a terminal, plain log lines otherwise (so a
 * log file or CI output stays readable). Always on stderr, so stdout stays clean for results.
 */
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
      else if (!tty && last !== '') stream.write(`${last}\n`)
      shown = false
    },
  }
}
