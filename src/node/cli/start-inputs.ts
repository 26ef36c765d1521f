/**
 * What `peer start` checks and gathers before it writes anything: the data dir and the mesh
 * secret. And should the start still fail (a port in use), the undo of the data dir it created,
 * so a failed start leaves no new files behind.
 */
import { mkdir, rm, stat } from 'node:fs/promises'
import { StratmeshError } from '../../protocol/errors.js'
import { checkMeshSecret, hasStoredSecret, readSecretFile } from '../mesh/index.js'
import { DATA_DIR_ENV, invalid, SECRET_ENV } from './options.js'
import { promptSecret } from './secret-prompt.js'

/** A secret the user gave, and where from (for its error messages). */
export interface GivenSecret {
  readonly secret: string
  readonly from: string
}

/** How the user named the data dir, for messages: the option, the variable, or neither. */
export function dataDirOrigin (opts: { dataDir?: string }, env: NodeJS.ProcessEnv = process.env): string {
  if (opts.dataDir !== undefined) return '--data-dir'
  const fromEnv = env[DATA_DIR_ENV]
  return fromEnv !== undefined && fromEnv !== '' ? DATA_DIR_ENV : 'the default data dir'
}

function errnoOf (err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message
}

/** Refuses a data dir that is a file or lies inside one, naming where it came from. */
export async function checkDataDir (dataDir: string, origin: string): Promise<void> {
  let isDirectory: boolean
  try {
    isDirectory = (await stat(dataDir)).isDirectory()
  } catch (err) {
    const code = errnoOf(err)
    if (code === 'ENOENT') return
    if (code === 'ENOTDIR') throw invalid(origin, 'lies inside a file, not a directory', dataDir)
    throw invalid(origin, `cannot be used (${code})`, dataDir)
  }
  if (!isDirectory) throw invalid(origin, 'is a file, not a directory', dataDir)
}

/** Creates the data dir (mode 0700); returns the topmost directory this created, for undoDataDir. */
export async function makeDataDir (dataDir: string, origin: string): Promise<string | undefined> {
  try {
    return await mkdir(dataDir, { recursive: true, mode: 0o700 })
  } catch (err) {
    throw invalid(origin, `cannot be created (${errnoOf(err)})`, dataDir)
  }
}

/**
 * After a failed start, removes the directories makeDataDir created, with whatever the start put
 * in them. Not when the failure says another peer holds the data dir: its files are not ours.
 */
export async function undoDataDir (created: string | undefined, err: unknown): Promise<void> {
  if (created === undefined) return
  if (err instanceof StratmeshError && (err.code === 'DATA_DIR_LOCKED' || err.code === 'PEER_ALREADY_RUNNING')) return
  await rm(created, { recursive: true, force: true })
}

/**
 * The secret the user gave: `--secret-file`, else STRATMESH_SECRET, else, on a terminal with no
 * secret stored, what they type at a prompt (Enter alone starts a new mesh). Undefined: the peer
 * takes the stored one or generates one. The demo does not ask: it is a one-machine run, and a
 * question would stand between a new user and the set-up's two commands.
 */
export async function givenSecret (opts: { secretFile?: string, demo?: boolean }, dataDir: string, env: NodeJS.ProcessEnv = process.env): Promise<GivenSecret | undefined> {
  if (opts.secretFile !== undefined) return { secret: await readSecretFile(opts.secretFile), from: `--secret-file ${opts.secretFile}` }
  const fromEnv = env[SECRET_ENV]
  if (fromEnv !== undefined && fromEnv !== '') return { secret: checkMeshSecret(fromEnv, SECRET_ENV), from: SECRET_ENV }
  if (opts.demo === true || process.stdin.isTTY !== true || await hasStoredSecret(dataDir)) return undefined
  const typed = (await promptSecret('mesh secret (paste the one of your mesh, or press Enter to start a new mesh): ')).trim()
  return typed === '' ? undefined : { secret: checkMeshSecret(typed, 'the prompt'), from: 'the prompt' }
}
