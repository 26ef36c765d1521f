/**
 * Asks for the mesh secret on the terminal without echoing it, as ssh and sudo ask for a password:
 * the terminal is put in raw mode, so nothing typed or pasted appears on screen or in a terminal
 * log, and the secret never reaches a command line or the shell history.
 */
import { StratmeshError } from '../../protocol/errors.js'

/** What the prompt needs of a terminal; process.stdin and process.stderr, or fakes in tests. */
export interface SecretTerminal {
  readonly input: Pick<NodeJS.ReadStream, 'setRawMode' | 'isRaw' | 'setEncoding' | 'on' | 'off' | 'resume' | 'pause'>
  readonly output: Pick<NodeJS.WritableStream, 'write'>
}

const ENTER = new Set(['\r', '\n'])
const CTRL_C = '\u0003'
const CTRL_D = '\u0004'
const BACKSPACE = new Set(['\u007f', '\b'])
/** Escape sequences of arrow and function keys: keys, not characters of a secret. */
const ESCAPE_SEQUENCE = /\u001b\[[0-9;]*[A-Za-z~]|\u001b./g

/** The line typed (Enter or Ctrl-D ends it); Ctrl-C rejects with SECRET_PROMPT_CANCELLED. */
export async function promptSecret (question: string, terminal: SecretTerminal = { input: process.stdin, output: process.stderr }): Promise<string> {
  const { input, output } = terminal
  const wasRaw = input.isRaw
  output.write(question)
  return await new Promise<string>((resolve, reject) => {
    let typed: string[] = []
    const finish = (err?: Error): void => {
      input.off('data', onData)
      input.setRawMode(wasRaw)
      input.pause()
      output.write('\n')
      if (err === undefined) resolve(typed.join(''))
      else reject(err)
    }
    const onData = (chunk: string | Buffer): void => {
      for (const ch of String(chunk).replace(ESCAPE_SEQUENCE, '')) {
        if (ENTER.has(ch) || ch === CTRL_D) { finish(); return }
        if (ch === CTRL_C) { finish(new StratmeshError('SECRET_PROMPT_CANCELLED', 'cancelled at the mesh secret prompt; nothing was written')); return }
        if (BACKSPACE.has(ch)) typed = typed.slice(0, -1)
        else if (ch >= ' ') typed.push(ch)
      }
    }
    input.setRawMode(true)
    input.setEncoding('utf8')
    input.on('data', onData)
    input.resume()
  })
}
