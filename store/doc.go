// Package store owns Intyg's durable state: certificates with their exact
// submitted bytes, status events, sick-leave periods and diagnoses (kept
// queryable per patient), API tokens, and the access log. One implementation
// over database/sql serves SQLite (modernc.org/sqlite, the default) and
// PostgreSQL (pgx); versioned migrations for both are embedded and applied
// by goose at Open.
//
// Writes go through a group-commit writer: concurrent writes are batched
// into one transaction and one fsync (a batch in which a write fails runs
// again without it, so that a failing write takes only itself down), and a
// caller returns only after the commit is durable. On SQLite the writer
// does not wait for the disk itself: a syncer fsyncs the write-ahead log
// while the next batch gathers, checkpoints run beside the writer, and the
// new certificates of a batch are inserted together, one statement a table;
// the writer's connection appends a commit's log frames in a few writes
// (logvfs.go), and the writer reads the histories that a new certificate's
// flags are computed from in the transaction that stores it, so that they
// include what was stored a moment before. On PostgreSQL, where round
// trips cost more than statements, new certificates are inserted in
// pipelines (one round trip and one commit for all waiting) and the flags'
// history reads, just before, are batched the same way; each pipeline
// takes its patients' locks and stores a certificate only if its patient's
// history is still the one its flags were made from, else flags it again,
// so that two servers on one database flag as one does.
//
// The access log is a SHA-256 hash chain appended inside those write
// transactions (VerifyAuditChain checks it), and Backup copies a SQLite
// database consistently while it is in use.
//
// store imports intake (for the domain types) and nothing else of ours.
package store
