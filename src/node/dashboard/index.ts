/** What src/node/dashboard offers the rest of the peer; everything else in the folder is its own. */
export { isAssetPath, serveAsset } from './assets.js'
export { LOGIN_CODE_TTL_MS, START_LINK_TTL_MS, createDashboardAuth, originAllowed, type DashboardAuth } from './auth.js'
export { createDashboardData, type DashboardData } from './data.js'
export type { BoardView, DashboardControl, JobProgressView, RowDetailView } from './types.js'
