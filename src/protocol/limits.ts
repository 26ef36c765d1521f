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
 * Units one renew entry may list. A peer renews all its leases in one entry per renew period; a
 * unit reference is about 100 bytes, so this keeps a renew near 25 KB, far below an entry's cap,
 * and a peer with more running units writes one entry per this many.
 */
export const MAX_RENEW_UNITS = 256

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

// Ledger budget. Not enforced by admission (an entry is capped by MAX_ENTRY_BYTES): these are the
// growth the design is held to, measured by bench/ledger-growth.bench.ts (docs/BENCHMARKS.md,
// "Ledger growth"), and what the compaction in docs/DESIGN.md ("Bounded history") shrinks further.

/**
 * Entries an idle peer (no job, no lease, no blob to fetch) may append per hour: none. Measured: one
 * hello of about 450 B at start (again only when its name, cores or addresses change), then
 * nothing in 60 s or at any time after, since renews, claims and blob-haves all need work.
 */
export const LEDGER_IDLE_ENTRIES_PER_HOUR_BUDGET = 0
/**
 * Bytes of ledger per unit, renews aside: its claim (about 400 B), its commit with the checkpoint
 * inline (3.3 KiB for a 4-genome population, about 12 KiB for the demo's), and a release when a
 * lease is given back. The demo run measured 196 KB for 16 units.
 */
export const LEDGER_BYTES_PER_UNIT_BUDGET = 16 * 1024
/**
 * Bytes of ledger per job beyond its units: the job entry (about 1 KiB) and blob-have entries (the
 * submitter's, about 630 B, and one per blob each other peer fetches). Measured: 1.6 KiB per job on one peer.
 */
export const LEDGER_BYTES_PER_JOB_BUDGET = 8 * 1024
/**
 * Renew bytes per busy peer per hour: one renew every third of the lease TTL (20 s) while the peer
 * holds any lease, about 540 entries of about 420 B. This holds once one renew covers all of a
 * peer's leases (one per peer per period, not one per lease); with one renew per lease it is this
 * times the leases held, which is what a peer with several evaluators paid before.
 */
export const LEDGER_RENEW_BYTES_PER_PEER_HOUR_BUDGET = 256 * 1024

// Job control (`peer submit --priority`, `peer priority`)
/**
 * Job priorities run from MIN_JOB_PRIORITY to MAX_JOB_PRIORITY; a job without one has
 * DEFAULT_JOB_PRIORITY. A small range is enough to say "before" and "after" and keeps the numbers
 * people type readable; only the order matters to the scheduler.
 */
export const MIN_JOB_PRIORITY = -100
export const MAX_JOB_PRIORITY = 100
export const DEFAULT_JOB_PRIORITY = 0
