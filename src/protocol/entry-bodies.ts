/**
 * The bodies of ledger entries, one shape per entry type, and their validators. A validator
 * checks every field's type and range and refuses unknown fields; its ENTRY_BAD_SCHEMA error
 * names the bad field (`body.checkpoint.best[3].inSample.sharpe`) in the message and in
 * `details.field`. Whether an island or epoch lies within its job is the fold's business: the
 * job may not have arrived yet.
 */
import { canonicalHash } from './canonical.js'
import { StratmeshError, isStratmeshError } from './errors.js'
import {
  MAX_ANNOUNCED_BLOB_BYTES, MAX_BLOBS_PER_ANNOUNCE, MAX_CHECKPOINT_GENOMES, MAX_CORES, MAX_ISOLATE_INTERFACE_VERSION,
  MAX_GENOME_ERROR_CHARS, MAX_GENOME_PARAMS, MAX_LEASE_TTL_MS, MAX_PARAM_STRING_CHARS, MAX_PEER_NAME_CHARS, MAX_HELLO_ADDRS, MAX_HELLO_ADDR_CHARS,
  MAX_RENEW_UNITS, MAX_UNIT_EVALUATIONS, MIN_LEASE_TTL_MS, MAX_JOB_PRIORITY, MIN_JOB_PRIORITY
} from './limits.js'
import { validateJobSpec, JOB_LIMITS, MAX_BASKET_SYMBOLS, MAX_WALK_FORWARD_WINDOWS } from './job-spec-check.js'
import type { Checkpoint, JobSpec } from './job-spec.js'

export const ENTRY_TYPES = ['hello', 'job', 'claim', 'renew', 'release', 'commit', 'blob-have', 'cancel', 'priority'] as const
export type EntryType = typeof ENTRY_TYPES[number]

export interface HelloBody {
  /**
   * The runtime fingerprint of the author's own engine bundle (see JobEngine), and the isolate
   * interface version its evaluators speak: jobs carry their own engine, so these say what the
   * author can run, not which engine the mesh uses.
   */
  readonly fingerprint: string
  readonly isolateInterface: number
  readonly cores: number
  readonly name: string
  /** Multiaddrs the author listens on, so members that met only a bootstrap peer find each other. */
  readonly addrs?: readonly string[]
}
/**
 * `priority` is the submitter's priority for the job (absent: DEFAULT_JOB_PRIORITY). It is on the
 * body, not in the spec, so a job's id (the hash of its spec) does not depend on it.
 */
export interface JobBody { readonly spec: JobSpec, readonly id: string, readonly priority?: number }
export interface UnitRef { readonly jobId: string, readonly island: number, readonly epoch: number }
export interface ClaimBody extends UnitRef { readonly ttlMs: number }
/**
 * A renew extends the author's leases by `ttlMs` from the entry's time: one unit (the first
 * format, still accepted so old ledgers fold the same) or every unit the author runs, listed.
 */
export type RenewBody = ClaimBody | RenewAllBody
export interface RenewAllBody { readonly units: readonly UnitRef[], readonly ttlMs: number }
export type ReleaseBody = UnitRef
export interface CommitBody extends UnitRef { readonly checkpointHash: string, readonly checkpoint: Checkpoint }
export type BlobKind = 'strategy' | 'dataset' | 'engine'
export const BLOB_KINDS: readonly BlobKind[] = ['strategy', 'dataset', 'engine']
export interface BlobAnnouncement { readonly hash: string, readonly size: number, readonly kind: BlobKind }
export interface BlobHaveBody { readonly blobs: readonly BlobAnnouncement[] }

/** Any member stops a job for the whole mesh: its units are no longer claimed, run or committed. */
export interface CancelBody { readonly jobId: string }
/** Any member sets a job's priority; the latest (hlc, author) of the job's priority and job entries holds. */
export interface PriorityBody { readonly jobId: string, readonly priority: number }

export interface EntryBodies {
  hello: HelloBody
  job: JobBody
  claim: ClaimBody
  renew: RenewBody
  release: ReleaseBody
  commit: CommitBody
  'blob-have': BlobHaveBody
  cancel: CancelBody
  priority: PriorityBody
}

const HASH_RE = /^[0-9a-f]{64}$/
const METRIC_KEYS = ['totalReturn', 'cagr', 'sharpe', 'sortino', 'maxDrawdown', 'calmar', 'trades', 'winRate', 'profitFactor', 'exposure', 'bars'] as const

export function schemaError (field: string, problem: string): StratmeshError {
  return new StratmeshError('ENTRY_BAD_SCHEMA', `${field} ${problem}`, { details: { field } })
}

/** An object with exactly the required keys and perhaps some optional ones, nothing else. */
export function object (v: unknown, field: string, required: readonly string[], optional: readonly string[] = []): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw schemaError(field, 'must be an object')
  const obj = v as Record<string, unknown>
  for (const key of Object.keys(obj)) {
    if (!required.includes(key) && !optional.includes(key)) throw schemaError(`${field}.${key}`, 'is not a known field')
  }
  for (const key of required) if (!(key in obj)) throw schemaError(`${field}.${key}`, 'is missing')
  return obj
}

export function int (v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) throw schemaError(field, `must be an integer in [${min}, ${max}]`)
  return v
}

function finite (v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw schemaError(field, 'must be a finite number')
  return v
}

export function string (v: unknown, field: string, min: number, max: number): string {
  if (typeof v !== 'string' || v.length < min || v.length > max) throw schemaError(field, `must be a string of ${min} to ${max} characters`)
  return v
}

export function hash (v: unknown, field: string): string {
  if (typeof v !== 'string' || !HASH_RE.test(v)) throw schemaError(field, 'must be a sha256 hash (64 lower-case hex digits)')
  return v
}

function array (v: unknown, field: string, max: number): readonly unknown[] {
  if (!Array.isArray(v)) throw schemaError(field, 'must be an array')
  if (v.length > max) throw schemaError(field, `has ${v.length} items, more than ${max}`)
  return v
}

function unitRef (body: Record<string, unknown>, field: string): void {
  hash(body.jobId, `${field}.jobId`)
  // A walk-forward job numbers its islands window by window (unit-layout.ts).
  int(body.island, `${field}.island`, 0, JOB_LIMITS.islands[1] * MAX_WALK_FORWARD_WINDOWS - 1)
  int(body.epoch, `${field}.epoch`, 0, JOB_LIMITS.epochs[1] - 1)
}

function ttl (v: unknown, field: string): void {
  int(v, field, MIN_LEASE_TTL_MS, MAX_LEASE_TTL_MS)
}

function metrics (v: unknown, field: string): void {
  if (v === null) return
  const m = object(v, field, METRIC_KEYS)
  for (const key of METRIC_KEYS) finite(m[key], `${field}.${key}`)
}

/** A basket genome's per-symbol results: at most one per symbol a basket may hold. */
function symbolResults (v: unknown, field: string): void {
  array(v, field, MAX_BASKET_SYMBOLS).forEach((r, k) => {
    const s = object(r, `${field}[${k}]`, ['fitness', 'inSample', 'outOfSample'])
    if (s.fitness !== null) finite(s.fitness, `${field}[${k}].fitness`)
    metrics(s.inSample, `${field}[${k}].inSample`)
    metrics(s.outOfSample, `${field}[${k}].outOfSample`)
  })
}

function genome (v: unknown, field: string, best: boolean): void {
  const g = object(v, field, best ? ['params', 'fitness', 'inSample', 'outOfSample'] : ['params', 'fitness'], best ? ['error', 'symbols'] : ['error'])
  if (typeof g.params !== 'object' || g.params === null || Array.isArray(g.params)) throw schemaError(`${field}.params`, 'must be an object')
  const params = g.params as Record<string, unknown>
  const names = Object.keys(params)
  if (names.length > MAX_GENOME_PARAMS) throw schemaError(`${field}.params`, `has ${names.length} parameters, more than ${MAX_GENOME_PARAMS}`)
  for (const name of names) {
    string(name, `${field}.params (a name)`, 1, MAX_PARAM_STRING_CHARS)
    const value = params[name]
    if (typeof value === 'string') string(value, `${field}.params.${name}`, 0, MAX_PARAM_STRING_CHARS)
    else finite(value, `${field}.params.${name}`)
  }
  if (g.fitness !== null) finite(g.fitness, `${field}.fitness`)
  if (g.error !== undefined) string(g.error, `${field}.error`, 0, MAX_GENOME_ERROR_CHARS)
  if (best) {
    metrics(g.inSample, `${field}.inSample`)
    metrics(g.outOfSample, `${field}.outOfSample`)
    if (g.symbols !== undefined) symbolResults(g.symbols, `${field}.symbols`)
  }
}

function checkpoint (v: unknown, field: string, unit: UnitRef): Checkpoint {
  const c = object(v, field, ['jobId', 'island', 'epoch', 'population', 'best', 'evaluations', 'errors'])
  for (const key of ['jobId', 'island', 'epoch'] as const) {
    if (c[key] !== unit[key]) throw schemaError(`${field}.${key}`, `must equal the commit's ${key}`)
  }
  array(c.population, `${field}.population`, MAX_CHECKPOINT_GENOMES).forEach((g, i) => { genome(g, `${field}.population[${i}]`, false) })
  array(c.best, `${field}.best`, MAX_CHECKPOINT_GENOMES).forEach((g, i) => { genome(g, `${field}.best[${i}]`, true) })
  int(c.evaluations, `${field}.evaluations`, 0, MAX_UNIT_EVALUATIONS)
  int(c.errors, `${field}.errors`, 0, MAX_UNIT_EVALUATIONS)
  return c as unknown as Checkpoint
}

/** A walk-forward's shape; its ranges are validateJobSpec's. */
function walkForwardShape (v: unknown, field: string): void {
  const wf = object(v, field, ['mode', 'windows'])
  string(wf.mode, `${field}.mode`, 1, 16)
  array(wf.windows, `${field}.windows`, MAX_WALK_FORWARD_WINDOWS).forEach((w, k) => {
    const window = object(w, `${field}.windows[${k}]`, ['trainFrom', 'trainTo', 'testTo'])
    for (const key of ['trainFrom', 'trainTo', 'testTo']) finite(window[key], `${field}.windows[${k}].${key}`)
  })
}

/** A basket's shape; its bounds are validateJobSpec's. */
function basketShape (v: unknown, field: string): void {
  const b = object(v, field, ['datasets', 'aggregate'])
  string(b.aggregate, `${field}.aggregate`, 1, 16)
  array(b.datasets, `${field}.datasets`, MAX_BASKET_SYMBOLS).forEach((d, k) => {
    const ds = object(d, `${field}.datasets[${k}]`, ['hash', 'name', 'bars'])
    hash(ds.hash, `${field}.datasets[${k}].hash`)
    string(ds.name, `${field}.datasets[${k}].name`, 0, MAX_PARAM_STRING_CHARS)
    finite(ds.bars, `${field}.datasets[${k}].bars`)
  })
}

/** The job spec's shape (types, no unknown fields); its ranges are validateJobSpec's. */
function jobSpec (v: unknown, field: string): JobSpec {
  const s = object(v, field, ['engine', 'strategy', 'dataset', 'oosFraction', 'objective', 'minTrades', 'costs', 'ga', 'seed'], ['walkForward', 'basket'])
  const engine = object(s.engine, `${field}.engine`, ['hash', 'fingerprint'])
  hash(engine.hash, `${field}.engine.hash`)
  hash(engine.fingerprint, `${field}.engine.fingerprint`)
  const strategy = object(s.strategy, `${field}.strategy`, ['hash', 'name'])
  hash(strategy.hash, `${field}.strategy.hash`)
  string(strategy.name, `${field}.strategy.name`, 0, MAX_PARAM_STRING_CHARS)
  const dataset = object(s.dataset, `${field}.dataset`, ['hash', 'name', 'bars'])
  hash(dataset.hash, `${field}.dataset.hash`)
  string(dataset.name, `${field}.dataset.name`, 0, MAX_PARAM_STRING_CHARS)
  finite(dataset.bars, `${field}.dataset.bars`)
  finite(s.oosFraction, `${field}.oosFraction`)
  string(s.objective, `${field}.objective`, 1, 32)
  finite(s.minTrades, `${field}.minTrades`)
  const costs = object(s.costs, `${field}.costs`, ['fee', 'slippage'])
  finite(costs.fee, `${field}.costs.fee`)
  finite(costs.slippage, `${field}.costs.slippage`)
  const gaKeys = ['islands', 'population', 'generations', 'epochs', 'elite', 'tournament', 'crossoverRate', 'mutationRate', 'migrants']
  const ga = object(s.ga, `${field}.ga`, gaKeys)
  for (const key of gaKeys) finite(ga[key], `${field}.ga.${key}`)
  finite(s.seed, `${field}.seed`)
  if (s.walkForward !== undefined) walkForwardShape(s.walkForward, `${field}.walkForward`)
  if (s.basket !== undefined) basketShape(s.basket, `${field}.basket`)
  try {
    return validateJobSpec(s as unknown as JobSpec)
  } catch (err) {
    if (!isStratmeshError(err, 'JOB_INVALID')) throw err
    const sub = String(err.details?.field ?? '')
    const path = sub in ga ? `ga.${sub}` : sub === 'fee' || sub === 'slippage' ? `costs.${sub}` : sub
    throw new StratmeshError('ENTRY_BAD_SCHEMA', `${field}.${path}: ${err.message}`, { cause: err, details: { field: `${field}.${path}` } })
  }
}

type Validator = (body: unknown, field: string) => void

const VALIDATORS: Record<EntryType, Validator> = {
  hello (v, f) {
    const b = object(v, f, ['fingerprint', 'isolateInterface', 'cores', 'name'], ['addrs'])
    hash(b.fingerprint, `${f}.fingerprint`)
    int(b.isolateInterface, `${f}.isolateInterface`, 1, MAX_ISOLATE_INTERFACE_VERSION)
    int(b.cores, `${f}.cores`, 1, MAX_CORES)
    string(b.name, `${f}.name`, 0, MAX_PEER_NAME_CHARS)
    if (b.addrs !== undefined) {
      for (const [i, a] of array(b.addrs, `${f}.addrs`, MAX_HELLO_ADDRS).entries()) {
        if (!string(a, `${f}.addrs[${i}]`, 1, MAX_HELLO_ADDR_CHARS).startsWith('/')) throw schemaError(`${f}.addrs[${i}]`, 'must be a multiaddr (starting with /)')
      }
    }
  },
  job (v, f) {
    const b = object(v, f, ['spec', 'id'], ['priority'])
    const spec = jobSpec(b.spec, `${f}.spec`)
    hash(b.id, `${f}.id`)
    if (b.priority !== undefined) int(b.priority, `${f}.priority`, MIN_JOB_PRIORITY, MAX_JOB_PRIORITY)
    if (b.id !== canonicalHash(spec)) throw schemaError(`${f}.id`, 'must equal the hash of the job spec')
  },
  claim (v, f) {
    const b = object(v, f, ['jobId', 'island', 'epoch', 'ttlMs'])
    unitRef(b, f)
    ttl(b.ttlMs, `${f}.ttlMs`)
  },
  renew (v, f) {
    if (typeof v === 'object' && v !== null && 'units' in v) {
      const b = object(v, f, ['units', 'ttlMs'])
      const units = array(b.units, `${f}.units`, MAX_RENEW_UNITS)
      if (units.length === 0) throw schemaError(`${f}.units`, 'must not be empty')
      units.forEach((u, i) => { unitRef(object(u, `${f}.units[${i}]`, ['jobId', 'island', 'epoch']), `${f}.units[${i}]`) })
      ttl(b.ttlMs, `${f}.ttlMs`)
      return
    }
    const b = object(v, f, ['jobId', 'island', 'epoch', 'ttlMs'])
    unitRef(b, f)
    ttl(b.ttlMs, `${f}.ttlMs`)
  },
  release (v, f) {
    unitRef(object(v, f, ['jobId', 'island', 'epoch']), f)
  },
  commit (v, f) {
    const b = object(v, f, ['jobId', 'island', 'epoch', 'checkpointHash', 'checkpoint'])
    unitRef(b, f)
    hash(b.checkpointHash, `${f}.checkpointHash`)
    const cp = checkpoint(b.checkpoint, `${f}.checkpoint`, b as unknown as UnitRef)
    if (b.checkpointHash !== canonicalHash(cp)) throw schemaError(`${f}.checkpointHash`, 'must equal the hash of the checkpoint')
  },
  'blob-have' (v, f) {
    const b = object(v, f, ['blobs'])
    const blobs = array(b.blobs, `${f}.blobs`, MAX_BLOBS_PER_ANNOUNCE)
    if (blobs.length === 0) throw schemaError(`${f}.blobs`, 'must not be empty')
    blobs.forEach((item, i) => {
      const blob = object(item, `${f}.blobs[${i}]`, ['hash', 'size', 'kind'])
      hash(blob.hash, `${f}.blobs[${i}].hash`)
      int(blob.size, `${f}.blobs[${i}].size`, 0, MAX_ANNOUNCED_BLOB_BYTES)
      if (!(BLOB_KINDS as readonly unknown[]).includes(blob.kind)) throw schemaError(`${f}.blobs[${i}].kind`, `must be one of ${BLOB_KINDS.map(k => `'${k}'`).join(', ')}`)
    })
  },
  cancel (v, f) {
    hash(object(v, f, ['jobId']).jobId, `${f}.jobId`)
  },
  priority (v, f) {
    const b = object(v, f, ['jobId', 'priority'])
    hash(b.jobId, `${f}.jobId`)
    int(b.priority, `${f}.priority`, MIN_JOB_PRIORITY, MAX_JOB_PRIORITY)
  }
}

export function isEntryType (v: unknown): v is EntryType {
  return typeof v === 'string' && (ENTRY_TYPES as readonly string[]).includes(v)
}

/** Checks a body against its type's schema; throws ENTRY_BAD_SCHEMA naming the first bad field. */
export function validateBody<T extends EntryType> (type: T, body: unknown, field = 'body'): EntryBodies[T] {
  if (!isEntryType(type)) throw schemaError('type', `must be one of ${ENTRY_TYPES.join(', ')}`)
  VALIDATORS[type](body, field)
  return body as EntryBodies[T]
}
