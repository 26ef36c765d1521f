export * from './canonical.js'
export * from './errors.js'
export * from './error-codes.js'
export * from './limits.js'
export * from './hlc.js'
export {
  ENTRY_TYPES, BLOB_KINDS, isEntryType, validateBody,
  type EntryType, type EntryBodies, type HelloBody, type JobBody, type UnitRef, type ClaimBody, type RenewBody, type ReleaseBody,
  type CommitBody, type BlobKind, type BlobAnnouncement, type BlobHaveBody, type CancelBody, type PriorityBody
} from './entry-bodies.js'
export {
  entryHash, authorKey, validateEntry, signEntry, verifyEntry, checkSignature, checkEntry, encodeEntry, decodeEntry,
  type Entry, type EntryOf, type UnsignedEntry, type UnsignedEntryOf
} from './entry.js'
