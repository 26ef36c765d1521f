/** What src/node/mesh offers the rest of the peer; everything else in the folder is its own. */
export { loadOrCreateIdentity } from './identity.js'
export { createPeerNode, type PeerNode } from './libp2p-node.js'
export { checkMeshSecret, hasStoredSecret, readSecretFile, resolveMeshSecret, SECRET_FILE, type MeshSecret } from './secret.js'
export { remoteError, request, serve, type FrameChannel, type StreamNode } from './stream-codec.js'
