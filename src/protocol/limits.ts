/**
 * Limits of the ledger format. Every value a peer sends is bounded before it is trusted; each
 * bound is named here with the reason for its value (docs/LIMITS.md lists them).
 */

/**
 * Largest canonical encoding of one entry. A commit carries its checkpoint inline (a population
 * of up to 1000 genomes plus the best genomes with their metrics), which stays well under this;
 * anything bigger is refused before it is parsed. It also fits a sync page (2 MiB).
 */
export const MAX_ENTRY_BYTES = 1024 * 1024

/** Format version of entries; a peer refuses versions it does not know rather than guess. */
export const ENTRY_VERSION = 1

/**
 * Longest author id. A libp2p peer id of an Ed25519 key is 52 characters in base58; the slack
 * lets a longer encoding be refused by the key check with a clear message, not by length.
 */
export const MAX_AUTHOR_CHARS = 128

/** Seq numbers are JSON numbers, so they stay safe integers. */
export const MAX_SEQ = Number.MAX_SAFE_INTEGER

/**
 * Highest isolate interface version a hello may announce: versions count up by one per change of
 * the host/bundle contract, so this is never reached; it only keeps the number a small integer.
 */
export const MAX_ISOLATE_INTERFACE_VERSION = 1_000_000

/** Longest peer name in a hello: a host name, shown in one column of `peer status`. */
export const MAX_PEER_NAME_CHARS = 64

/**
 * Addresses a hello may list (so peers that only know a bootstrap peer can dial each other): a
 * machine has a few interfaces, each with an IPv4 and an IPv6 address.
 */
export const MAX_HELLO_ADDRS = 16

/** Longest address in a hello: a multiaddr with a peer id is about 100 characters. */
export const MAX_HELLO_ADDR_CHARS = 256

/** Most cores a hello may announce: more than any one machine has, small enough to plan with. */
export const MAX_CORES = 4096

/**
 * Lease TTL bounds. Leases are a performance device measured in seconds: under one second a
 * lease would expire between renewals on a loaded machine; over five minutes a sleeping laptop
 * would hold its unit hostage for too long.
 */
export const MIN_LEASE_TTL_MS = 1_000
export const MAX_LEASE_TTL_MS = 5 * 60_000

/**
 * How far ahead of local time a remote hybrid-logical-clock wall time is accepted. Machines
 * synced by NTP are within a second; a minute tolerates a badly set clock without letting a peer
 * with a clock hours ahead stretch its leases (lease expiry is hlc wall time + ttl).
 */
export const MAX_CLOCK_SKEW_MS = 60_000

/** Largest hlc counter: far more events than can share one millisecond, and a safe integer. */
export const MAX_HLC_COUNTER = 0xffffffff

/** Hlc wall times are milliseconds since the epoch; this bound (year 2255) catches garbage. */
export const MAX_HLC_WALL_MS = 9e12

/** Most blobs one blob-have entry announces; a peer with more sends several entries. */
export const MAX_BLOBS_PER_ANNOUNCE = 256

/** Largest blob size an announcement may state (as the blob protocol: 4 GiB). */
export const MAX_ANNOUNCED_BLOB_BYTES = 4 * 1024 * 1024 * 1024

/** Most genomes in a checkpoint's population or best list (the largest allowed population). */
export const MAX_CHECKPOINT_GENOMES = 1000

/** Most parameters of one genome (as MAX_PARAMS of a strategy definition). */
export const MAX_GENOME_PARAMS = 32

/** Longest string value of a choice parameter or parameter name. */
export const MAX_PARAM_STRING_CHARS = 256

/** Longest recorded evaluation error ("CODE: message"), enough for a one-line reason. */
export const MAX_GENOME_ERROR_CHARS = 1000

/** Most evaluations a unit may report (1000 generations of 1000 genomes, with room). */
export const MAX_UNIT_EVALUATIONS = 1e9

/**
 * Most entries one range request returns. Catching up on 100k entries takes a hundred round
 * trips; one page stays at most a few MiB (same as the sync protocol's MAX_RANGE_ENTRIES).
 */
export const MAX_LOG_RANGE_ENTRIES = 1000

/**
 * Entries that arrived ahead of a gap, held in memory until the gap is filled. Gossip can
 * deliver entry n+1 before n; a bounded pool keeps that cheap, and an entry beyond the bound is
 * refused with ENTRY_GAP so the replicator fetches it again by range later.
 */
export const MAX_PENDING_ENTRIES = 4096
/** Bytes the pending pool may hold: 4096 entries of up to 1 MiB would be 4 GiB, far too much to keep waiting. */
export const MAX_PENDING_BYTES = 64 * 1024 * 1024
/** Share of the pending pool one author may take, so one chatty peer cannot starve the others. */
export const MAX_PENDING_PER_AUTHOR = 1024

// Job control (`peer submit --priority`, `peer priority`)
/**
 * Job priorities run from MIN_JOB_PRIORITY to MAX_JOB_PRIORITY; a job without one has
 * DEFAULT_JOB_PRIORITY. A small range is enough to say "before" and "after" and keeps the numbers
 * people type readable; only the order matters to the scheduler.
 */
export const MIN_JOB_PRIORITY = -100
export const MAX_JOB_PRIORITY = 100
export const DEFAULT_JOB_PRIORITY = 0
