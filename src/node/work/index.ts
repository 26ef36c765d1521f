/** What src/node/work offers the rest of the peer; everything else in the folder is its own. */
export { createCommitVerifier, type CommitVerifier, type Rejection, type VerifierStats } from './commit-verifier.js'
export { HISTORY_SAMPLE_MS, createJobHistory, type HistoryPoint, type JobHistory } from './job-history.js'
export { prepareJob } from './job-inputs.js'
export { localEngine, type LocalEngine } from './local-engine.js'
export { createJobLibrary, type JobLibrary, type JobReadiness } from './job-library.js'
export { DEFAULT_LEASE_TTL_MS, WAKE_CLAIM_HOLD_MS, createScheduler, type RunningUnit, type Scheduler } from './scheduler.js'
export { STATISTICS_FAILED, createStatisticsKeeper, statisticsInput, type StatisticsKeeper, type StatisticsStatus } from './statistics-keeper.js'
