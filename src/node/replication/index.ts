/** What src/node/replication offers the rest of the peer; everything else in the folder is its own. */
export { createLogStore, type EntryEvent, type LogStore } from './log-store.js'
export { logStoreLog } from './replicated-log.js'
export { createReplicator, type Replicator } from './replicator.js'
export { messageRejections } from './stats.js'
