package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"

	"github.com/intyg/intyg/intake"
)

// The access log is a hash chain. Entry n (its seq) carries
//
//	hash_n = SHA-256(encode("intyg-audit-v1", hash_{n-1}, n, at, token_id, role,
//	                        action, certificate_id, patient_id, query, remote_addr))
//
// in lower-case hex, where encode writes each field as its length in bytes,
// a colon, the bytes and a comma (so no two different entries encode alike)
// and hash_0 is "". The row id is not covered: the chain order is seq. The
// head of the chain (last seq, its row id and hash) is one row of
// audit_chain, read with a lock and updated in the transaction that appends,
// so entries are chained one at a time even with several writers.

// chainVersion names the encoding, so that a future one can be told apart.
const chainVersion = "intyg-audit-v1"

// auditHash returns the chain hash of e at position seq after prev. An
// entry that names a person (user_id, actor_name: migration 5) has them
// encoded after the other fields; one that names none encodes as before
// migration 5, so that earlier entries still verify, and adding or
// removing a name changes the hash.
func auditHash(prev string, seq int64, e *intake.AuditEntry) string {
	b := make([]byte, 0, 256)
	fields := []string{
		chainVersion, prev, strconv.FormatInt(seq, 10), e.At.UTC().Format(timeLayout),
		e.TokenID, string(e.Role), e.Action, e.CertificateID, e.PatientID, e.Query, e.RemoteAddr,
	}
	if e.UserID != "" || e.Name != "" {
		fields = append(fields, e.UserID, e.Name)
	}
	for _, f := range fields {
		b = strconv.AppendInt(b, int64(len(f)), 10)
		b = append(b, ':')
		b = append(b, f...)
		b = append(b, ',')
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// chainHead is the last entry of the chain.
type chainHead struct {
	seq     int64
	entryID int64
	hash    string
}

// lockChainHead reads the head of the chain and, on PostgreSQL, locks its
// row until tx ends, so that a concurrent appender (another worker or
// another instance) waits and then sees this transaction's head. SQLite
// needs no row lock: every write transaction there is BEGIN IMMEDIATE and
// holds the database's one write lock.
func (db *DB) lockChainHead(ctx context.Context, tx *sql.Tx) (chainHead, error) {
	q := `SELECT seq, entry_id, hash FROM audit_chain WHERE id = 1`
	if db.dialect == Postgres {
		q += ` FOR UPDATE`
	}
	var h chainHead
	if err := tx.QueryRowContext(ctx, q).Scan(&h.seq, &h.entryID, &h.hash); err != nil {
		return h, fmt.Errorf("chain head: %w", err)
	}
	return h, nil
}

func (db *DB) setChainHead(ctx context.Context, tx *sql.Tx, h chainHead) error {
	_, err := tx.ExecContext(ctx, db.rebind(`UPDATE audit_chain SET seq = ?, entry_id = ?, hash = ? WHERE id = 1`), h.seq, h.entryID, h.hash)
	if err != nil {
		return fmt.Errorf("chain head: %w", err)
	}
	return nil
}

// appendAuditEntry inserts e at the end of the chain and sets e.ID. It must
// run inside a write transaction; it may run again after a failed batch,
// and then reads the head afresh.
func (db *DB) appendAuditEntry(ctx context.Context, tx *sql.Tx, e *intake.AuditEntry) error {
	head, err := db.lockChainHead(ctx, tx)
	if err != nil {
		return err
	}
	seq := head.seq + 1
	hash := auditHash(head.hash, seq, e)
	if err := tx.QueryRowContext(ctx, db.rebind(`
		INSERT INTO audit_log (seq, hash, at, token_id, role, action, certificate_id, patient_id, query, remote_addr, user_id, actor_name)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		seq, hash, db.timeArg(e.At), e.TokenID, string(e.Role), e.Action, e.CertificateID, e.PatientID, e.Query, e.RemoteAddr, e.UserID, e.Name,
	).Scan(&e.ID); err != nil {
		return err
	}
	return db.setChainHead(ctx, tx, chainHead{seq: seq, entryID: e.ID, hash: hash})
}

// sealAuditLog chains the entries written before the chain existed, in id
// order, after the current head. It is migration 3, run once in the
// migration's transaction.
func (db *DB) sealAuditLog(ctx context.Context, tx *sql.Tx) error {
	head, err := db.lockChainHead(ctx, tx)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, `+auditFields+` FROM audit_log WHERE seq IS NULL ORDER BY id`)
	if err != nil {
		return fmt.Errorf("seal access log: %w", err)
	}
	// Read them all before writing: the transaction has one connection.
	var legacy []*intake.AuditEntry
	for rows.Next() {
		e, err := scanAuditFields(rows)
		if err != nil {
			rows.Close()
			return fmt.Errorf("seal access log: %w", err)
		}
		legacy = append(legacy, e)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("seal access log: %w", err)
	}
	for _, e := range legacy {
		head = chainHead{seq: head.seq + 1, entryID: e.ID, hash: auditHash(head.hash, head.seq+1, e)}
		if _, err := tx.ExecContext(ctx, db.rebind(`UPDATE audit_log SET seq = ?, hash = ? WHERE id = ?`), head.seq, head.hash, e.ID); err != nil {
			return fmt.Errorf("seal access log: entry %d: %w", e.ID, err)
		}
	}
	return db.setChainHead(ctx, tx, head)
}

// auditFields are the columns an entry's hash covers, in the order
// scanAuditFields reads them after id.
const auditFields = `at, token_id, role, action, certificate_id, patient_id, query, remote_addr`

// auditPersonFields are auditFields with the person an entry names
// (migration 5), as scanAuditEntry reads them.
const auditPersonFields = auditFields + `, user_id, actor_name`

// scanAuditFields scans id followed by auditFields.
func scanAuditFields(row scanner, extra ...any) (*intake.AuditEntry, error) {
	var e intake.AuditEntry
	var role string
	dest := append([]any{&e.ID, timeValue{&e.At}, &e.TokenID, &role, &e.Action, &e.CertificateID, &e.PatientID, &e.Query, &e.RemoteAddr}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	e.Role = intake.Role(role)
	return &e, nil
}

// scanAuditEntry scans id followed by auditPersonFields.
func scanAuditEntry(row scanner, extra ...any) (*intake.AuditEntry, error) {
	var e intake.AuditEntry
	var role string
	dest := append([]any{&e.ID, timeValue{&e.At}, &e.TokenID, &role, &e.Action, &e.CertificateID, &e.PatientID, &e.Query, &e.RemoteAddr, &e.UserID, &e.Name}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	e.Role = intake.Role(role)
	return &e, nil
}

// AuditChainHead returns the position and hash of the access log's last
// entry: recorded outside the database (a ticket, another system), it lets
// a later AuditHashAt show that no entry up to it was cut or rewritten,
// which the chain alone cannot once its head is rewritten too.
func (db *DB) AuditChainHead(ctx context.Context) (seq int64, hash string, err error) {
	var head chainHead
	err = db.read.QueryRowContext(ctx, `SELECT seq, entry_id, hash FROM audit_chain WHERE id = 1`).Scan(&head.seq, &head.entryID, &head.hash)
	if err != nil {
		return 0, "", fmt.Errorf("store: access log head: %w", err)
	}
	return head.seq, head.hash, nil
}

// AuditHashAt returns the hash of the access-log entry at position seq in
// the chain, "" when there is none.
func (db *DB) AuditHashAt(ctx context.Context, seq int64) (string, error) {
	var hash string
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT hash FROM audit_log WHERE seq = ?`), seq).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: access log entry %d: %w", seq, err)
	}
	return hash, nil
}

// VerifyAuditChain walks the access log in chain order, recomputing each
// entry's hash from its fields and the hash of the entry before it, and
// compares the end of the chain with the chain head. It returns how many
// entries verified before the first that does not, and that entry's id
// (0 when the whole chain is intact): an entry whose fields or hash were
// changed, the entry after one that was deleted, an entry written outside
// the chain, or, when entries were cut from the end, the last entry the
// head names. It reads while the service runs: entries appended during the
// walk are checked too.
func (db *DB) VerifyAuditChain(ctx context.Context) (checked int, firstBroken int64, err error) {
	// Read the head first: every entry up to it was committed with it, and
	// the query below sees at least those.
	var head chainHead
	err = db.read.QueryRowContext(ctx, `SELECT seq, entry_id, hash FROM audit_chain WHERE id = 1`).Scan(&head.seq, &head.entryID, &head.hash)
	headless := errors.Is(err, sql.ErrNoRows) // deleted: the log can no longer show what it held
	if err != nil && !headless {
		return 0, 0, fmt.Errorf("store: verify access log: chain head: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, `+auditPersonFields+`, seq, hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq`)
	if err != nil {
		return 0, 0, fmt.Errorf("store: verify access log: %w", err)
	}
	defer rows.Close()
	prev, want, last := "", int64(1), int64(0)
	for rows.Next() {
		var seq int64
		var hash string
		e, err := scanAuditEntry(rows, &seq, &hash)
		if err != nil {
			// A value Intyg never writes (a time that is none): the entry
			// was changed outside it.
			id, err := db.auditEntryAt(ctx, want)
			return checked, id, err
		}
		if seq != want || hash != auditHash(prev, seq, e) || (seq == head.seq && hash != head.hash) {
			return checked, e.ID, nil
		}
		checked++
		prev, want, last = hash, want+1, e.ID
	}
	if err := rows.Err(); err != nil {
		return checked, 0, fmt.Errorf("store: verify access log: %w", err)
	}
	if headless { // the head that named the last entry is gone
		if last == 0 {
			return 0, BrokenHead, nil
		}
		return checked - 1, last, nil
	}
	if want-1 < head.seq {
		return checked, head.entryID, nil
	}
	// Every entry belongs to the chain; one without a position was written
	// around it.
	var outside sql.NullInt64
	if err := db.read.QueryRowContext(ctx, `SELECT MIN(id) FROM audit_log WHERE seq IS NULL`).Scan(&outside); err != nil {
		return checked, 0, fmt.Errorf("store: verify access log: %w", err)
	}
	return checked, outside.Int64, nil
}

// BrokenHead is VerifyAuditChain's first broken entry when the chain's
// head is gone and no entry is left to name: the log was emptied.
const BrokenHead = -1

// auditEntryAt returns the id of the access log's entry at position seq
// of the chain: the entry to name as broken when its values cannot be
// read.
func (db *DB) auditEntryAt(ctx context.Context, seq int64) (int64, error) {
	var id int64
	if err := db.read.QueryRowContext(ctx, db.rebind(`SELECT id FROM audit_log WHERE seq = ?`), seq).Scan(&id); err != nil {
		return 0, fmt.Errorf("store: verify access log: entry %d: %w", seq, err)
	}
	return id, nil
}
