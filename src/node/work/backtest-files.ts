/**
 * The CSV files of `peer backtest`, written by the peer: an equity curve has a row per bar (a
 * year of minutes is half a million rows), which would otherwise cross the local API as tens of
 * megabytes of JSON. The API is the data dir owner's alone, so the peer writes where its owner's
 * CLI asks; rows go out in chunks, so a file never sits whole in memory as text.
 */
import { open } from 'node:fs/promises'
import { StratmeshError } from '../../protocol/errors.js'
import type { RangeBacktest } from '../evaluators/index.js'

/** Rows per write: large enough for few syscalls, small enough to bound the text held at once. */
const ROWS_PER_CHUNK = 8192

function isoTime (ms: number): string {
  return new Date(ms).toISOString()
}

async function writeRows (path: string, option: string, header: string, count: number, row: (i: number) => string): Promise<void> {
  try {
    const file = await open(path, 'w')
    try {
      await file.write(header + '\n')
      for (let start = 0; start < count; start += ROWS_PER_CHUNK) {
        const lines: string[] = []
        for (let i = start; i < Math.min(count, start + ROWS_PER_CHUNK); i++) lines.push(row(i))
        await file.write(lines.join('\n') + '\n')
      }
    } finally {
      await file.close()
    }
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'its directory does not exist' : (err as Error).message
    throw new StratmeshError('BACKTEST_FILE_UNWRITABLE', `${option} ${path}: cannot write it: ${why}`, { cause: err, details: { option, file: path } })
  }
}

/**
 * One row per trade: entry and exit as bar open times (an open trade's exit is the last bar of the
 * range, marked to its close), side, the return after costs, and whether it was still open.
 */
export async function writeTradesCsv (path: string, time: Float64Array, b: RangeBacktest): Promise<void> {
  await writeRows(path, '--trades', 'entry_time,exit_time,side,return,open', b.trades.length, i => {
    const t = b.trades[i]
    return `${isoTime(time[t.entryBar])},${isoTime(time[t.exitBar])},${t.side > 0 ? 'long' : 'short'},${t.return},${t.open}`
  })
}

/** One row per bar of the range: its open time, the equity at its close (starting from 1) and the drawdown from the running peak. */
export async function writeEquityCsv (path: string, time: Float64Array, from: number, b: RangeBacktest): Promise<void> {
  await writeRows(path, '--equity', 'time,equity,drawdown', b.equity.length, k => `${isoTime(time[from + k])},${b.equity[k]},${b.drawdown[k]}`)
}
