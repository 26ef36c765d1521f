/**
 * Entries that arrived ahead of a gap in their author's chain, waiting for the gap to fill. Bounded
 * in entries, in bytes and per author (src/protocol/limits.ts), so a peer that sends a chain from
 * its end cannot make the receiver hold it all; what does not fit is refused and fetched again.
 */
import type { Entry } from '../protocol/entry.js'
import { MAX_PENDING_BYTES, MAX_PENDING_ENTRIES, MAX_PENDING_PER_AUTHOR } from '../protocol/limits.js'

/** An entry's size as it crossed the wire: what holding it costs. */
function wireBytes (e: Entry): number {
  return Buffer.byteLength(JSON.stringify(e), 'utf8')
}

export class PendingPool {
  private readonly byAuthor = new Map<string, Map<number, Entry>>()
  private size = 0
  private bytes = 0

  /** The entry waiting at (author, seq), if any. */
  get (author: string, seq: number): Entry | undefined {
    return this.byAuthor.get(author)?.get(seq)
  }

  /** Is this very entry (not merely one at its seq) waiting? */
  holds (e: Entry): boolean {
    return this.byAuthor.get(e.author)?.get(e.seq) === e
  }

  /** Adds an entry whose slot is free; false, and nothing added, when a bound would be passed. */
  add (e: Entry): boolean {
    const mine = this.byAuthor.get(e.author)
    const bytes = wireBytes(e)
    if (this.size >= MAX_PENDING_ENTRIES || (mine?.size ?? 0) >= MAX_PENDING_PER_AUTHOR || this.bytes + bytes > MAX_PENDING_BYTES) return false
    if (mine === undefined) this.byAuthor.set(e.author, new Map([[e.seq, e]]))
    else mine.set(e.seq, e)
    this.size++
    this.bytes += bytes
    return true
  }

  /** Removes and returns the entry waiting at (author, seq). */
  take (author: string, seq: number): Entry | undefined {
    const byseq = this.byAuthor.get(author)
    const e = byseq?.get(seq)
    if (e === undefined) return undefined
    byseq!.delete(seq)
    if (byseq!.size === 0) this.byAuthor.delete(author)
    this.size--
    this.bytes -= wireBytes(e)
    return e
  }

  clear (): void {
    this.byAuthor.clear()
    this.size = 0
    this.bytes = 0
  }
}
