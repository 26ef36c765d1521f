import { isDeepStrictEqual } from 'node:util'
import type { ResultsView } from '../../src/node/peer-types.js'

/** How long peers that each report a job done get to agree on who is credited with each row. */
export const AGREE_TIMEOUT_MS = 15_000

/**
 * The peers' results of a job, read together until every leaderboard equals the first row for row
 * (bounded: the last read is returned either way, so the test's own assertions report what
 * differs). Needed after each peer has reported the job done: two peers that claimed the same unit
 * may both commit it, and a row names the author of the counted commit, the earliest by (hlc,
 * author). A peer that has not yet received the earlier commit credits its own for a moment
 * (longer over a lossy link), while reporting the job done all the same.
 */
export async function agreedResults<P> (peers: readonly P[], read: (p: P) => Promise<ResultsView>, timeoutMs = AGREE_TIMEOUT_MS): Promise<ResultsView[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const boards = await Promise.all(peers.map(read))
    if (boards.every(b => isDeepStrictEqual(b.leaderboard, boards[0].leaderboard)) || Date.now() >= deadline) return boards
    await new Promise(resolve => setTimeout(resolve, 200))
  }
}
