/**
 * The evaluator child: the process that holds the isolate where strategy code runs. Started by the
 * evaluator pool with child_process.fork, a scrubbed environment and Node's permission model; it
 * creates one isolated-vm isolate (isolate-host.ts) for one strategy and its candles in its
 * lifetime (one job's, or several jobs' that share them), then runs whole GA work units on
 * request, reporting each evaluation before it starts so the parent's watchdog knows which genome
 * hung. It also recomputes one genome in detail for the dashboard, evaluates lists of genomes for
 * the check of other members' checkpoints, and inspects a strategy at submit. No strategy code
 * runs in this Node realm: only in the isolate.
 *
 * argv: the path of the engine bundle this peer was built with (for inspect; a job and a fingerprint
 * request bring their own bundle's text), the isolate's base memory limit in MiB, and isolated-vm's native
 * binary for this machine (found by the parent; the child may be a bundle in the temp directory).
 */
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import type IsolatedVm from 'isolated-vm'
import { StratmeshError } from '../../protocol/errors.js'
import { STATISTICS_ROWS, VARIANCE_SAMPLE } from '../../engine/stats/job-statistics.js'
import { EXIT_ISOLATE_OUT_OF_MEMORY, ISOLATE_OUT_OF_MEMORY_LINE, IsolateHost, isolateMemoryMb, jobIsolateBytes } from './isolate-host.js'
import { MEMORY_REPORT_MS, parseParentMessage, type ChildMessage, type ParentMessage } from './messages.js'
import { checkInspected, rebuildDetail } from './isolate-answers.js'

const rawSend = process.send?.bind(process)
if (rawSend === undefined) {
  console.error('evaluator-child must be started by the evaluator pool (it needs an IPC channel)')
  process.exit(2)
}
const send = (m: ChildMessage): void => { rawSend(m) }
const [bundlePath, memoryArg, isolatedVmBinary] = process.argv.slice(2)
const baseMemoryMb = Number(memoryArg)

// The parent is gone (stopped or died): nothing left to do, and no orphan may stay behind. While an
// isolate call blocks the event loop this cannot run; the pool's reaper covers that case.
process.on('disconnect', () => process.exit(0))
// Ctrl-C in a terminal signals the whole foreground process group; the peer ends its evaluators itself.
process.on('SIGINT', () => {})

const ivm = (createRequire(import.meta.url)(isolatedVmBinary) as { ivm: typeof IsolatedVm }).ivm
const engineScript = readFileSync(bundlePath, 'utf8')

/** The request being answered: progress reports carry its id. */
let currentId = 0
/**
 * Progress reports the current request may still send. Each re-arms the parent's watchdog, so a
 * strategy that found a way to make the engine report more than it evaluates must not hold the
 * time limit off: past the most a request can honestly need, the isolate is ended.
 */
let progressLeft = 0
let host: IsolateHost | null = null
let jobKey: string | null = null

/**
 * One isolate, one strategy per process lifetime: the pool replaces the process for another
 * strategy, engine or candles, and sends use-job for another job of the same ones. The
 * engine is the job's bundle when one came with the request, else the one this peer was built with.
 */
function newHost (extraBytes: number, engine = engineScript): IsolateHost {
  if (host !== null) throw new StratmeshError('EVAL_CHILD_USED', 'this evaluator has already loaded a strategy; it runs one in its lifetime')
  host = new IsolateHost({
    ivm,
    engineScript: engine,
    memoryMb: isolateMemoryMb(baseMemoryMb, extraBytes),
    onProgress: (index, paramsKey, repeat) => {
      if (--progressLeft < 0) return false
      send({ type: 'progress', id: currentId, index, paramsKey, ...(repeat ? { repeat: true } : {}) })
      // A unit blocks this event loop for its whole run, so the timer cannot report meanwhile.
      if (performance.now() - lastMemoryReport >= MEMORY_REPORT_MS) reportMemory()
      return true
    },
  })
  return host
}

let lastMemoryReport = 0

/** Sends this process's memory, and its isolate's when it holds a live one. */
function reportMemory (): void {
  lastMemoryReport = performance.now()
  const rssBytes = process.memoryUsage.rss()
  let usage: { heapBytes: number, externalBytes: number } | null = null
  if (host !== null && !host.disposed) {
    try {
      usage = host.memoryUsage()
    } catch {
      // Disposed between the check and the call (its memory limit): the process figure still tells.
    }
  }
  send(usage === null ? { type: 'memory', rssBytes } : { type: 'memory', rssBytes, isolateHeapBytes: usage.heapBytes, isolateExternalBytes: usage.externalBytes })
}

function loadedHost (key: string): IsolateHost {
  if (host === null || jobKey !== key) throw new StratmeshError('EVAL_JOB_NOT_LOADED', `job ${key} is not loaded in this evaluator`)
  return host
}

/** The most progress reports a request can need: one per evaluation, plus the unit's repeats of its best genomes. */
function progressAllowed (m: ParentMessage): number {
  if (m.type === 'evaluate') return m.params.length
  // One report per genome checked (a unit's sample, or the submit's).
  if (m.type === 'look-ahead' || m.type === 'preflight') return 16
  // One report per leaderboard row and per genome of the variance sample.
  if (m.type === 'statistics') return STATISTICS_ROWS + VARIANCE_SAMPLE
  if (m.type !== 'run-unit') return 0
  const ga = (m.input.spec as { ga?: { population?: unknown, generations?: unknown } } | undefined)?.ga
  const evaluations = Number(ga?.population) * (Number(ga?.generations) + 1)
  return Number.isSafeInteger(evaluations) && evaluations > 0 ? 2 * evaluations + 100 : 0
}

function handle (m: ParentMessage): ChildMessage {
  currentId = m.id
  progressLeft = progressAllowed(m)
  switch (m.type) {
    case 'inspect':
      return { type: 'inspected', id: m.id, ...checkInspected(newHost(0).inspect(m.code, m.fileName)) }
    case 'fingerprint':
      return { type: 'fingerprinted', id: m.id, fingerprint: newHost(0, m.engine).fingerprint() }
    case 'load-job': {
      const bars = m.basket === undefined ? m.candles.length : m.basket.reduce((n, c) => n + c.length, 0)
      const h = newHost(jobIsolateBytes(bars, m.maxCacheBytes), m.engine)
      h.loadJob(m.code, m.fileName, m.basket ?? [m.candles], m.spec, m.maxCacheBytes)
      jobKey = m.jobKey
      return { type: 'loaded', id: m.id, reusable: m.basket === undefined && h.canUseSpec }
    }
    case 'use-job':
      // The parent sends it only for the strategy, engine and candles loaded here (job-loader.ts).
      loadedHost(jobKey ?? '').useSpec(m.spec)
      jobKey = m.jobKey
      return { type: 'loaded', id: m.id }
    case 'run-unit':
      // The parent checks the checkpoint's shape (messages.ts) as it checks everything a child sends.
      return { type: 'result', id: m.id, checkpoint: loadedHost(m.jobKey).runUnit(m.input, m.skip) as never }
    case 'detail':
      return { type: 'detailed', id: m.id, detail: rebuildDetail(loadedHost(m.jobKey).detail(m.params, m.maxPoints, m.maxTrades, m.island)) }
    case 'evaluate':
      return { type: 'evaluated', id: m.id, results: loadedHost(m.jobKey).evaluate(m.params, m.island) as never }
    case 'backtest': {
      const { answer, series } = loadedHost(m.jobKey).backtest(m.params, m.range)
      // The parent checks every field (messages.ts, backtest-series.ts).
      return { type: 'backtested', id: m.id, ...(answer as { metrics: never, fitness: never, tradeCount: never }), series: series as never }
    }
    case 'look-ahead':
      loadedHost(m.jobKey).lookAhead(m.island, m.epoch, m.population)
      return { type: 'checked', id: m.id }
    case 'preflight':
      loadedHost(m.jobKey).preflight()
      return { type: 'checked', id: m.id }
    case 'walk-forward':
      // The parent checks the result (messages.ts) as it checks everything a child sends.
      return { type: 'walked-forward', id: m.id, result: loadedHost(m.jobKey).walkForward(m.winners, m.maxPoints) as never }
    case 'statistics':
      // The parent checks the answer (statistics-answer.ts).
      return { type: 'statistics-computed', id: m.id, statistics: loadedHost(m.jobKey).statistics(m.input) as never }
  }
}

function errorMessage (id: number, err: unknown): ChildMessage {
  if (err instanceof StratmeshError) return { type: 'error', id, code: err.code, message: err.message }
  const e = err as { message?: unknown } | null
  return { type: 'error', id, code: 'EVAL_CHILD_ERROR', message: typeof e?.message === 'string' ? e.message : String(err) }
}

/** The isolate is gone (its memory limit, or the host ended it): this process is replaced. */
function exitIfIsolateEnded (): void {
  if (host === null || !host.disposed) return
  if (host.fault === 'bad-progress') {
    console.error('stratmesh evaluator: the isolate sent a malformed progress report')
    process.exit(1)
  }
  console.error(ISOLATE_OUT_OF_MEMORY_LINE)
  process.exit(EXIT_ISOLATE_OUT_OF_MEMORY)
}

process.on('message', (raw: unknown) => {
  let id = -1
  try {
    const m = parseParentMessage(raw)
    id = m.id
    send(handle(m))
  } catch (err) {
    exitIfIsolateEnded()
    send(errorMessage(Math.max(id, 0), err))
  }
})

send({ type: 'ready' })
reportMemory()
// Unref'd: the process lives as long as its IPC channel, not for this timer.
setInterval(() => { if (performance.now() - lastMemoryReport >= MEMORY_REPORT_MS / 2) reportMemory() }, MEMORY_REPORT_MS).unref()
