/**
 * Turning a user's files into a job: read and check the strategy (in an evaluator: it is other
 * people's code), import the candles, build the spec, run the submit check (the islands' first
 * populations keep the constraints, a sample does not look ahead; engine/preflight.ts), and store
 * strategy, candles and engine as content-addressed blobs. Nothing is published here; the caller
 * appends the ledger entries once all of this succeeded.
 */
import { readFile, stat } from 'node:fs/promises'
import { StratmeshError } from '../../protocol/errors.js'
import { sha256Hex } from '../../protocol/canonical.js'
import { encodeDataset } from '../../engine/data/dataset-codec.js'
import { resampleCandles, type ResampleReport } from '../../engine/data/resample.js'
import { DEFAULT_DATASET_NAME, defaultDataset } from '../../engine/data/synthetic.js'
import type { Candles } from '../../protocol/types.js'
import { createJobSpec, DEFAULT_BASKET_AGGREGATE, jobId } from '../../engine/job-setup.js'
import { basketOf, importDataFile, readCandlesFile } from './basket-inputs.js'
import type { JobSpec, WalkForward } from '../../protocol/job-spec.js'
import { resolveWalkForward } from '../../engine/walk-forward.js'
import type { BlobStore } from '../blobs/index.js'
import type { EvaluatorPool } from '../evaluators/index.js'
import type { SubmitRequest } from '../peer-types.js'
import type { LocalEngine } from './local-engine.js'

/** Strategy sources are small programs; a megabyte is already absurd for one. */
export const MAX_STRATEGY_FILE_BYTES = 1024 * 1024
/** Candle files beyond this are refused before reading (about 20M rows of CSV). */
export const MAX_DATA_FILE_BYTES = 2 * 1024 * 1024 * 1024

export interface PreparedJob {
  readonly spec: JobSpec
  readonly engine: { readonly hash: string, readonly size: number }
  readonly strategy: { readonly name: string, readonly hash: string, readonly size: number }
  readonly dataset: { readonly name: string, readonly hash: string, readonly size: number, readonly bars: number, readonly gaps?: number, readonly resampled?: ResampleReport }
  /** A basket job's symbols in order, the first being `dataset`. */
  readonly basket?: ReadonlyArray<{ readonly name: string, readonly hash: string, readonly size: number, readonly bars: number, readonly gaps: number }>
}

export async function readUserFile (path: string, what: 'strategy' | 'data', max: number): Promise<Buffer> {
  const code = what === 'strategy' ? 'STRATEGY_NOT_FOUND' : 'DATA_NOT_FOUND'
  let size: number
  try {
    const s = await stat(path)
    if (!s.isFile()) throw new StratmeshError(code, `${path} is not a file`, { details: { file: path } })
    size = s.size
  } catch (err) {
    if (err instanceof StratmeshError) throw err
    throw new StratmeshError(code, `cannot read ${what} file ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`, { cause: err, details: { file: path } })
  }
  if (size > max) throw new StratmeshError(what === 'strategy' ? 'STRATEGY_TOO_LARGE' : 'DATA_TOO_LARGE', `${path} has ${size} bytes; the limit is ${max}`, { details: { file: path } })
  return await readFile(path)
}

/** The bundled dataset, encoded: generated on demand (deterministic: every peer gets the same bytes). */
let defaultEncoded: { bytes: Uint8Array, bars: number, candles: Candles } | undefined
export function defaultDatasetBytes (): { bytes: Uint8Array, bars: number, candles: Candles } {
  if (defaultEncoded === undefined) {
    const { candles } = defaultDataset()
    defaultEncoded = { bytes: encodeDataset(candles), bars: candles.length, candles }
  }
  return defaultEncoded
}

async function storeBlob (store: BlobStore, bytes: Uint8Array, hash: string, what: string): Promise<void> {
  if (await store.put(bytes) !== hash) throw new StratmeshError('BLOB_HASH_MISMATCH', `blob store returned an unexpected hash for the ${what}`)
}

interface JobDataset { readonly candles: Candles, readonly name: string, readonly bytes: Uint8Array, readonly gaps?: number, readonly resampled?: ResampleReport }

/**
 * The candles a job runs on, as its dataset blob and its hash: the bundled dataset or the user's
 * file, resampled when the request names a timeframe. Resampled candles are the blob, so every
 * peer runs on the same bytes without resampling, and the name says the timeframe
 * ("btc-1m.csv@1h"); the file's own candles are then never encoded.
 */
async function jobDataset (req: SubmitRequest): Promise<JobDataset & { readonly hash: string }> {
  if (req.data === 'default') {
    const { candles, bytes } = defaultDatasetBytes()
    if (req.timeframe === undefined) return { candles, name: DEFAULT_DATASET_NAME, bytes, hash: sha256Hex(bytes) }
    return resampled({ candles, name: DEFAULT_DATASET_NAME }, req.timeframe)
  }
  if (req.timeframe === undefined) return await importDataFile(req.data, readDataFile)
  return resampled(await readCandlesFile(req.data, readDataFile), req.timeframe)
}

function resampled (source: { readonly candles: Candles, readonly name: string }, timeframe: string): JobDataset & { readonly hash: string } {
  const { candles, report } = resampleCandles(source.candles, timeframe)
  const bytes = encodeDataset(candles)
  return { candles, name: `${source.name}@${timeframe}`, bytes, hash: sha256Hex(bytes), gaps: report.gaps, resampled: report }
}

async function readDataFile (path: string): Promise<Uint8Array> {
  return await readUserFile(path, 'data', MAX_DATA_FILE_BYTES)
}

/** The request's walk-forward windows on this data, or undefined for a plain job; options that exclude each other are refused by name. */
function walkForwardOf (req: SubmitRequest, time: Float64Array): WalkForward | undefined {
  if (req.walkForward === undefined) {
    const stray = (['windows', 'train', 'test'] as const).find(k => req[k] !== undefined)
    if (stray !== undefined) throw new StratmeshError('WALK_FORWARD_INVALID', `--${stray} needs --walk-forward`, { details: { option: `--${stray}` } })
    return undefined
  }
  if (req.oos !== undefined) throw new StratmeshError('WALK_FORWARD_INVALID', '--oos does not apply to a walk-forward job: its test ranges are what is out of sample', { details: { option: '--oos' } })
  return resolveWalkForward({ mode: req.walkForward, ...(req.windows === undefined ? {} : { windows: req.windows }), ...(req.train === undefined ? {} : { train: req.train }), ...(req.test === undefined ? {} : { test: req.test }) }, time)
}

export async function prepareJob (req: SubmitRequest, deps: { pool: EvaluatorPool, blobStore: BlobStore, engine: LocalEngine }): Promise<PreparedJob> {
  const sourceBytes = await readUserFile(req.strategyPath, 'strategy', MAX_STRATEGY_FILE_BYTES)
  const source = sourceBytes.toString('utf8')
  // Loads it in an evaluator and checks its declared parameters: a broken strategy fails here,
  // before anything reaches the mesh. Errors name the file by the path the user gave (as every
  // other error of a submit does), so an editor can open it at the line.
  const info = await deps.pool.inspect(source, req.strategyPath)

  const basket = await basketOf(req, readDataFile)
  if (basket !== null && req.timeframe !== undefined) {
    throw new StratmeshError('BASKET_INVALID', '--timeframe does not apply to a job over several symbols yet: resample each file with a job of its own, or give files of the timeframe', { details: { option: '--timeframe' } })
  }
  const first: JobDataset & { readonly hash: string } = basket !== null ? basket[0] : await jobDataset(req)
  const { bytes: datasetBytes, name: datasetName, hash: datasetHash, candles, gaps, resampled } = first
  const bars = candles.length

  const walkForward = walkForwardOf(req, candles.time)
  const strategyHash = sha256Hex(sourceBytes)
  // The job runs with this peer's engine on every peer: the bundle travels as a blob like the rest.
  const engineBytes = new TextEncoder().encode(deps.engine.script)
  const engineHash = deps.engine.hash

  const spec = createJobSpec({
    engine: { hash: engineHash, fingerprint: deps.engine.fingerprint },
    strategy: { hash: strategyHash, name: info.name },
    dataset: { hash: datasetHash, name: datasetName, bars },
    ...(req.objective === undefined ? {} : { objective: req.objective }),
    ...(req.minTrades === undefined ? {} : { minTrades: req.minTrades }),
    ...(req.fee === undefined ? {} : { fee: req.fee }),
    ...(req.slippage === undefined ? {} : { slippage: req.slippage }),
    ...(req.oos === undefined ? {} : { oosFraction: req.oos }),
    ...(req.seed === undefined ? {} : { seed: req.seed }),
    ...(walkForward === undefined ? {} : { walkForward }),
    ...(basket === null ? {} : { basket: { datasets: basket.map(d => ({ hash: d.hash, name: d.name, bars: d.bars })), aggregate: req.aggregate ?? DEFAULT_BASKET_AGGREGATE } }),
    ga: {
      ...(req.islands === undefined ? {} : { islands: req.islands }),
      ...(req.population === undefined ? {} : { population: req.population }),
      ...(req.generations === undefined ? {} : { generations: req.generations }),
      ...(req.epochs === undefined ? {} : { epochs: req.epochs }),
    },
  })
  // A strategy that looks ahead, or whose constraints starve the GA, is refused before anything
  // is stored or published: every unit of every peer would fail the same way.
  await deps.pool.preflight({ key: `submit:${jobId(spec)}`, engine: deps.engine.script, source, fileName: req.strategyPath, candles, spec, ...(basket === null ? {} : { basket: basket.map(d => d.candles) }) })
  await storeBlob(deps.blobStore, sourceBytes, strategyHash, 'strategy')
  await storeBlob(deps.blobStore, datasetBytes, datasetHash, 'dataset')
  for (const d of basket?.slice(1) ?? []) await storeBlob(deps.blobStore, d.bytes, d.hash, `dataset ${d.name}`)
  await storeBlob(deps.blobStore, engineBytes, engineHash, 'engine bundle')
  return {
    spec,
    engine: { hash: engineHash, size: engineBytes.byteLength },
    strategy: { name: info.name, hash: strategyHash, size: sourceBytes.byteLength },
    dataset: { name: datasetName, hash: datasetHash, size: datasetBytes.byteLength, bars, ...(gaps === undefined ? {} : { gaps }), ...(resampled === undefined ? {} : { resampled }) },
    ...(basket === null ? {} : { basket: basket.map(d => ({ name: d.name, hash: d.hash, size: d.bytes.byteLength, bars: d.bars, gaps: d.gaps })) }),
  }
}
