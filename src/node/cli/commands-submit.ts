/**
 * `peer submit STRATEGY`: resolves the files here (the peer may run in another directory), checks
 * they exist so a typo fails before any connection, and lets the peer do the real checks (load the
 * strategy in an evaluator, import the candles) before it publishes anything.
 */
import { readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { StratmeshError } from '../../protocol/errors.js'
import { connectToPeer } from '../api/index.js'
import type { SubmitRequest, SubmitResult } from '../peer-types.js'
import { dataDirFrom } from './options.js'

/** The GA and cost settings are the request's own; the CLI adds where to find the peer and the output form. */
export interface SubmitOptions extends Omit<SubmitRequest, 'strategyPath' | 'data' | 'basket'> {
  readonly dataDir?: string
  /** Every --data given: one file (or 'default'), several files, or folders of them. */
  readonly data?: string | readonly string[]
  readonly json?: boolean
}

export async function existingFile (path: string, code: 'STRATEGY_NOT_FOUND' | 'DATA_NOT_FOUND', what: string): Promise<string> {
  const abs = resolve(path)
  try {
    if (!(await stat(abs)).isFile()) throw new StratmeshError(code, `${what} ${abs} is not a file`, { details: { file: abs } })
  } catch (err) {
    if (err instanceof StratmeshError) throw err
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message
    throw new StratmeshError(code, `cannot read ${what} ${abs}: ${why}`, { cause: err, details: { file: abs } })
  }
  return abs
}

/** Files a folder given to --data holds that `peer submit` can import: CSV and JSON candle files. */
const CANDLE_FILE = /\.(csv|json)$/i

/**
 * Every data file, absolute, in the order given (a folder's files by name); none for the bundled
 * dataset. A file given twice is refused: it would weigh one symbol double in the aggregate.
 */
async function dataFiles (given: readonly string[]): Promise<string[]> {
  if (given.length === 0 || (given.length === 1 && given[0] === 'default')) return []
  const out: string[] = []
  for (const g of given) {
    if (g === 'default') throw new StratmeshError('BASKET_INVALID', "--data default is the bundled dataset alone; it cannot be one symbol of several", { details: { option: '--data' } })
    const abs = resolve(g)
    const isDir = await stat(abs).then(s => s.isDirectory(), () => false)
    if (!isDir) { out.push(await existingFile(g, 'DATA_NOT_FOUND', '--data file')); continue }
    const names = (await readdir(abs, { withFileTypes: true })).filter(e => e.isFile() && CANDLE_FILE.test(e.name)).map(e => e.name).sort()
    if (names.length === 0) throw new StratmeshError('BASKET_INVALID', `--data ${abs} is a folder without CSV or JSON candle files`, { details: { option: '--data', file: abs } })
    out.push(...names.map(n => join(abs, n)))
  }
  const twice = out.find((f, i) => out.indexOf(f) !== i)
  if (twice !== undefined) throw new StratmeshError('BASKET_INVALID', `--data ${twice} is given twice: each symbol must be given once`, { details: { option: '--data', file: twice } })
  return out
}

/** The request for these options, with paths made absolute and checked. */
export async function submitRequestFor (strategy: string, opts: SubmitOptions): Promise<SubmitRequest> {
  const strategyPath = await existingFile(strategy, 'STRATEGY_NOT_FOUND', 'strategy file')
  const files = await dataFiles(typeof opts.data === 'string' ? [opts.data] : opts.data ?? [])
  const req: Record<string, unknown> = { strategyPath, data: files[0] ?? 'default' }
  if (files.length > 1) {
    if (opts.walkForward !== undefined) throw new StratmeshError('BASKET_INVALID', '--walk-forward does not apply to a job over several symbols yet: its windows are bar indices of one series', { details: { option: '--walk-forward' } })
    req.basket = files
  }
  for (const k of ['islands', 'population', 'epochs', 'generations', 'objective', 'minTrades', 'fee', 'slippage', 'oos', 'seed', 'walkForward', 'windows', 'train', 'test', 'timeframe', 'aggregate', 'priority'] as const) {
    if (opts[k] !== undefined) req[k] = opts[k]
  }
  return req as unknown as SubmitRequest
}

export function describeSubmit (r: SubmitResult): string {
  const gaps = r.dataset.gaps === undefined || r.dataset.gaps === 0 ? '' : `, ${r.dataset.gaps} gaps`
  const ga = r.spec.ga
  const on = r.basket === undefined ? `${r.dataset.name} (${r.dataset.bars} bars${gaps}${describeResample(r.dataset.resampled)})` : `${r.basket.length} symbols (${r.basket.map(d => `${d.name} ${d.bars} bars`).join(', ')}), fitness the ${r.spec.basket?.aggregate ?? ''} over the symbols`
  return `${r.existing ? 'already submitted' : 'submitted'}: ${r.strategy.name} on ${on}, ` +
    `${ga.islands} islands x ${ga.epochs} epochs, population ${ga.population}, ${ga.generations} generations per epoch, objective ${r.spec.objective}` +
    describeWalkForward(r.spec.walkForward)
}

function describeResample (r: SubmitResult['dataset']['resampled']): string {
  if (r === undefined) return ''
  const dropped = [r.droppedPartialFirst ? 'first' : '', r.droppedPartialLast ? 'last' : ''].filter(s => s !== '')
  return ` resampled from ${r.sourceBars} ${r.sourceStep} bars${dropped.length === 0 ? '' : `, partial ${dropped.join(' and ')} ${r.timeframe} bar${dropped.length === 1 ? '' : 's'} dropped`}`
}

function describeWalkForward (wf: SubmitResult['spec']['walkForward']): string {
  if (wf === undefined) return ''
  const first = wf.windows[0]
  return `; ${wf.mode} walk-forward, ${wf.windows.length} windows of ${first.trainTo - first.trainFrom} train and ${first.testTo - first.trainTo} test bars (each window runs those islands and epochs)`
}

export async function submitCommand (strategy: string, opts: SubmitOptions): Promise<void> {
  const req = await submitRequestFor(strategy, opts)
  const peer = await connectToPeer(dataDirFrom(opts))
  const result = await peer.submit(req)
  if (opts.json === true) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    return
  }
  process.stderr.write(describeSubmit(result) + '\n')
  process.stdout.write(result.jobId + '\n')
}
