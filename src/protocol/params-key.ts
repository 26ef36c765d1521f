/**
 * The canonical key of a parameter set: a genome's identity on the wire and on the leaderboard, so
 * every peer de-duplicates, ranks and breaks ties on the same text.
 */
import type { ParamValues } from './types.js'

/** A stable text key of a genome, for de-duplication and tie-breaks. */
export function paramsKey (params: ParamValues): string {
  return JSON.stringify(Object.keys(params).sort().map(k => [k, params[k]]))
}
