/**
 * The --out file of `peer data fetch`: what an existing one already holds, so a run resumes after
 * its last bar, and appending a page at a time, so an interrupted run keeps what it fetched.
 */
import { createReadStream } from 'node:fs'
import { appendFile, open, writeFile } from 'node:fs/promises'
import { StratmeshError } from '../../protocol/errors.js'
import { FETCHED_CSV_HEADER, lastBarTime } from '../../engine/data/index.js'

/** Bytes read from each end of an existing file: more than the longest line the command writes. */
const END_READ_BYTES = 4096

export interface ExistingOut {
  /** Open times of its first and last bars; null when it holds no bar. */
  readonly firstTime: number | null
  readonly lastTime: number | null
  readonly bars: number
}

async function countLines (path: string): Promise<number> {
  let n = 0
  for await (const chunk of createReadStream(path)) {
    const bytes = chunk as Buffer
    for (let i = bytes.indexOf(10); i >= 0; i = bytes.indexOf(10, i + 1)) n++
  }
  return n
}

/** What `path` holds, or null when there is no such file. Refuses a file it must not append to. */
export async function readExistingOut (path: string): Promise<ExistingOut | null> {
  let handle
  try {
    handle = await open(path, 'r')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new StratmeshError('FETCH_OUT_NOT_RESUMABLE', `cannot read --out ${path}: ${(err as Error).message}`, { cause: err, details: { file: path } })
  }
  try {
    const size = (await handle.stat()).size
    const head = Buffer.alloc(Math.min(size, END_READ_BYTES))
    await handle.read(head, 0, head.length, 0)
    const tail = Buffer.alloc(Math.min(size, END_READ_BYTES))
    await handle.read(tail, 0, tail.length, size - tail.length)
    const headLines = head.toString('utf8').split('\n')
    const lastTime = lastBarTime(headLines[0] ?? '', tail.toString('utf8'), path)
    if (lastTime === null) return { firstTime: null, lastTime: null, bars: 0 }
    return { firstTime: lastBarTime(headLines[0] ?? '', `${headLines[1] ?? ''}\n`, path), lastTime, bars: (await countLines(path)) - 1 }
  } finally {
    await handle.close()
  }
}

/** Appends CSV lines, writing the header first when the file is new (and refusing to clobber one made meanwhile). */
export async function appendToOut (path: string, lines: string, isNew: boolean): Promise<void> {
  try {
    if (isNew) await writeFile(path, `${FETCHED_CSV_HEADER}\n${lines}`, { flag: 'wx' })
    else await appendFile(path, lines)
  } catch (err) {
    throw new StratmeshError('FETCH_OUT_NOT_RESUMABLE', `cannot write --out ${path}: ${(err as Error).message}`, { cause: err, details: { file: path } })
  }
}
