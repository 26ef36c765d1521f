/** What src/node/api offers the rest of the peer; everything else in the folder is its own. */
export { API_TOKEN_BYTES } from './auth.js'
export { connectToPeer, pidAlive } from './client.js'
export { DEFAULT_TOP, MAX_TOP } from './requests.js'
export { createApiServer, type ApiServer } from './server.js'
