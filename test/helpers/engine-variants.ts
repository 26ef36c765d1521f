/**
 * Engine bundles that differ from this build's, as peers built from other commits (or hostile
 * ones) would hand around. Each is this build's bundle with a few lines appended, which run when
 * the bundle loads, before the host takes its operations.
 */
import { engineScript } from './engine-script.js'

/** Another bundle (another hash) that computes the same bits: what a rebuild from another commit gives. */
export function commentedEngine (): string {
  return `${engineScript()}\n// built from another commit\n`
}

/** A bundle that speaks isolate interface `version`. */
export function engineOfInterface (version: number): string {
  return `${engineScript()}\n;globalThis.stratmeshEngine.interfaceVersion = ${version};\n`
}

/**
 * A bundle whose fingerprint differs in every isolate it is loaded in, as if each machine computed
 * other bits: its answer to the fingerprint operation ends in a salt drawn when it loads.
 */
export function engineOfUnstableFingerprint (): string {
  return `${engineScript()}
;(() => {
  const ops = globalThis.stratmeshEngine
  const salt = Math.random().toString(16).slice(2).padEnd(16, '0').slice(0, 16)
  const fingerprint = ops.fingerprint
  const take = ops.take
  let salted = null
  ops.fingerprint = () => {
    fingerprint()
    salted = JSON.stringify({ ok: JSON.parse(take()).ok.slice(0, 48) + salt })
    return salted.length
  }
  ops.take = () => {
    if (salted === null) return take()
    const answer = salted
    salted = null
    return answer
  }
})();
`
}
