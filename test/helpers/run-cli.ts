/**
 * Runs the `peer` CLI as a child process, as a user would: from the build (`bin/peer.js`) or from
 * source through tsx. A run that outlives its timeout is SIGKILLed, so a hung command fails the
 * test instead of stalling it.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url))

export interface CliRun { readonly code: number, readonly stdout: string, readonly stderr: string }

export interface CliRunOptions {
  /** The built CLI (default) or the TypeScript source through tsx (no build needed). */
  readonly from?: 'dist' | 'source'
  readonly timeoutMs: number
  /** The child's whole environment. */
  readonly env: NodeJS.ProcessEnv
}

export async function runPeerCli (args: readonly string[], opts: CliRunOptions): Promise<CliRun> {
  const entry = opts.from === 'source'
    ? ['--import', 'tsx', 'src/node/cli/main.ts']
    : [join(REPO_ROOT, 'bin', 'peer.js')]
  return await new Promise(resolve => {
    const child = execFile(process.execPath, [...entry, ...args], {
      cwd: REPO_ROOT,
      timeout: opts.timeoutMs,
      killSignal: 'SIGKILL',
      maxBuffer: 16 * 1024 * 1024,
      env: opts.env,
    }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1
      resolve({ code, stdout, stderr })
    })
    child.stdin?.end()
  })
}
