/**
 * The `peer` command line: builds the commander program from the tables in options.ts and runs
 * it. Any error ends as one line and an exit code (errors.ts).
 */
import { realpathSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { Command, CommanderError, Option } from 'commander'
import { StratmeshError } from '../../protocol/errors.js'
import { startCommand } from './commands-start.js'
import { submitCommand } from './commands-submit.js'
import { statusCommand } from './commands-status.js'
import { resultsCommand } from './commands-results.js'
import { backtestCommand } from './commands-backtest.js'
import { openCommand } from './commands-open.js'
import { stopCommand } from './commands-stop.js'
import { dataFetchCommand } from './commands-data-fetch.js'
import { cancelCommand, forgetCommand, jobsCommand, priorityCommand } from './commands-jobs.js'
import { EXIT_USAGE, programError } from './errors.js'
import { COMMAND_GROUPS, COMMANDS, OPTIONS, WITHDRAWN_OPTIONS, type CommandSpec, type OptionSpec } from './options.js'

/** The product's version, shown by --version. */
const VERSION = '0.1.0'

type Action = (args: Array<string | undefined>, opts: Record<string, unknown>) => Promise<void>

const ACTIONS: Record<CommandSpec['name'], Action> = {
  start: async (_args, opts) => { await startCommand(opts) },
  submit: async ([strategy], opts) => { await submitCommand(strategy as string, opts) },
  status: async (_args, opts) => { await statusCommand(opts) },
  results: async ([job], opts) => { await resultsCommand(job, opts) },
  backtest: async (_args, opts) => { await backtestCommand(opts) },
  open: async (_args, opts) => { await openCommand(opts) },
  stop: async (_args, opts) => { await stopCommand(opts) },
  'data fetch': async ([exchange, symbol, timeframe], opts) => { await dataFetchCommand(exchange as string, symbol as string, timeframe as string, opts) },
  jobs: async (_args, opts) => { await jobsCommand(opts) },
  cancel: async ([job], opts) => { await cancelCommand(job as string, opts) },
  priority: async ([job, priority], opts) => { await priorityCommand(job as string, priority as string, opts) },
  forget: async ([job], opts) => { await forgetCommand(job as string, opts) },
}

function helpText (o: OptionSpec): string {
  const extra = [o.env === undefined ? '' : `env: ${o.env}`, o.defaultText === undefined ? '' : `default: ${o.defaultText}`].filter(s => s !== '').join('; ')
  return extra === '' ? o.description : `${o.description} (${extra})`
}

function toOption (o: OptionSpec): Option {
  const opt = new Option(o.flags, helpText(o))
  const parse = o.parse
  if (o.repeatable === true) {
    opt.argParser((value: string, previous: unknown[] | undefined) => [...(previous ?? []), parse === undefined ? value : parse(value)])
  } else if (parse !== undefined) {
    opt.argParser((value: string) => parse(value))
  }
  return opt
}

/** The commander program; exported so tests and docs can inspect it without running anything. */
export function buildProgram (): Command {
  const program = new Command('peer')
    .description('stratmesh: optimise trading strategies with a genetic algorithm across every machine you own')
    .version(VERSION)
    .exitOverride()
    // Commander's own error text is replaced by our one line (see run); help still prints.
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true)
  const groups = new Map<string, Command>()
  for (const spec of COMMANDS) {
    const [first, sub] = spec.name.split(' ')
    let parent = program
    if (sub !== undefined) {
      parent = groups.get(first) ?? program.command(first).description(COMMAND_GROUPS[first] ?? first)
      groups.set(first, parent)
    }
    const cmd = parent.command(sub ?? first).description(spec.summary)
    for (const a of spec.args) cmd.argument(a.required ? `<${a.name}>` : `[${a.name}]`, a.description)
    for (const key of spec.options) cmd.addOption(toOption(OPTIONS[key]))
    const withdrawn = WITHDRAWN_OPTIONS.filter(w => w.command === spec.name)
    for (const w of withdrawn) cmd.addOption(new Option(w.flags).hideHelp())
    cmd.action(async (...params: unknown[]) => {
      const args = params.slice(0, spec.args.length) as Array<string | undefined>
      const opts = params[spec.args.length] as Record<string, unknown>
      for (const w of withdrawn) if (opts[w.key] !== undefined) throw w.refusal()
      await ACTIONS[spec.name](args, opts)
    })
  }
  return program
}

/** Runs the CLI with these arguments (as in process.argv) and exits with the command's code. */
export async function main (argv: readonly string[] = process.argv): Promise<never> {
  try {
    await buildProgram().parseAsync([...argv])
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version end here too; help shown because a command was missing is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') process.exit(err.exitCode === 0 ? 0 : EXIT_USAGE)
      programError(new StratmeshError('USAGE', `${err.message.replace(/^error: /, '')} (see peer --help)`, { cause: err }))
    }
    programError(err)
  }
  // Pipes are asynchronous on macOS: let pending output drain before exiting.
  await Promise.all([process.stdout, process.stderr].map(async s => { await new Promise(resolve => s.write('', resolve)) }))
  // Explicit: a keep-alive socket or a stray timer must not keep a finished command alive.
  process.exit(process.exitCode ?? 0)
}

function isEntryPoint (): boolean {
  const script = process.argv[1]
  if (script === undefined) return false
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href
  } catch {
    return false
  }
}

if (isEntryPoint()) await main()
