/** What src/node/blobs offers the rest of the peer; everything else in the folder is its own. */
export { createBlobStore, type BlobStore } from './blob-store.js'
export { createBlobSync, type BlobSync } from './blob-sync.js'
