/**
 * The symbols of a job over several data files: each file is imported and encoded as a dataset
 * blob of its own (so a peer fetches each symbol once, whatever jobs name it), in the order given.
 */
import { basename } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { sha256Hex } from '../../protocol/canonical.js'
import { MAX_BASKET_SYMBOLS } from '../../protocol/job-spec-check.js'
import { importCandles } from '../../engine/data/import-candles.js'
import { encodeDataset } from '../../engine/data/dataset-codec.js'
import type { Candles } from '../../protocol/types.js'
import type { SubmitRequest } from '../peer-types.js'

/** One imported data file, ready to store as a blob. */
export interface ImportedDataset {
  readonly name: string
  readonly hash: string
  readonly bytes: Uint8Array
  readonly bars: number
  readonly candles: Candles
  readonly gaps: number
}

export type ReadDataFile = (path: string) => Promise<Uint8Array>

/** A data file's candles, named by its file name, with its gap count. */
export async function readCandlesFile (path: string, read: ReadDataFile): Promise<{ readonly name: string, readonly candles: Candles, readonly gaps: number }> {
  const imported = importCandles(await read(path), path)
  return { name: basename(path), candles: imported.candles, gaps: imported.report.gaps }
}

/** A data file's candles encoded as its dataset blob, with the blob's hash. */
function asDataset (data: { readonly name: string, readonly candles: Candles, readonly gaps: number }): ImportedDataset {
  const bytes = encodeDataset(data.candles)
  return { ...data, hash: sha256Hex(bytes), bytes, bars: data.candles.length }
}

export async function importDataFile (path: string, read: ReadDataFile): Promise<ImportedDataset> {
  return asDataset(await readCandlesFile(path, read))
}

/**
 * Every symbol of a basket request, or null for a one-dataset job. Refused by name: options that
 * do not apply to a basket, too many files, and the same candles given twice (which would weigh
 * one symbol double in the aggregate).
 */
export async function basketOf (req: SubmitRequest, read: ReadDataFile): Promise<ImportedDataset[] | null> {
  if (req.basket === undefined) {
    if (req.aggregate !== undefined) throw new StratmeshError('BASKET_INVALID', '--aggregate needs several --data files (or a folder of them)', { details: { option: '--aggregate' } })
    return null
  }
  const paths = req.basket
  if (req.walkForward !== undefined) {
    throw new StratmeshError('BASKET_INVALID', '--walk-forward does not apply to a job over several symbols yet: its windows are bar indices of one series', { details: { option: '--walk-forward' } })
  }
  if (paths.length < 2 || paths.length > MAX_BASKET_SYMBOLS) throw new StratmeshError('BASKET_INVALID', `--data names ${paths.length} files; a job over several symbols takes 2 to ${MAX_BASKET_SYMBOLS}`, { details: { option: '--data' } })
  if (paths[0] !== req.data) throw new StratmeshError('BASKET_INVALID', 'the first --data file must be the request\'s data', { details: { option: '--data' } })
  const out: ImportedDataset[] = []
  for (const path of paths) {
    const d = await importDataFile(path, read)
    const twin = out.find(o => o.hash === d.hash)
    if (twin !== undefined) throw new StratmeshError('BASKET_INVALID', `--data ${path} holds the same candles as ${twin.name}: each symbol must be given once`, { details: { option: '--data', file: path } })
    out.push(d)
  }
  return out
}
