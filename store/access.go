package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// tokenPrefix marks Intyg secrets, so that scanners can find leaked ones.
const tokenPrefix = "intyg_"

// CreateToken makes a token and returns its secret, which is not stored and
// cannot be shown again. A clinic token needs the HSA-id of its unit.
// Returns EINVALID for an unknown role or a clinic token without a unit.
func (db *DB) CreateToken(ctx context.Context, role intake.Role, unitHSAID, name string) (string, *intake.Token, error) {
	switch {
	case !role.Valid():
		return "", nil, intake.Errorf(intake.EINVALID, "Unknown role %q: use clinic, caseworker or admin.", role)
	case role == intake.RoleClinic && unitHSAID == "":
		return "", nil, intake.Errorf(intake.EINVALID, "A clinic token needs the HSA-id of its unit.")
	case role != intake.RoleClinic && unitHSAID != "":
		return "", nil, intake.Errorf(intake.EINVALID, "Only clinic tokens belong to a unit.")
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t := &intake.Token{ID: newID()[:12], Role: role, UnitHSAID: strings.ToUpper(unitHSAID), Name: name, CreatedAt: db.now()}
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO tokens (id, hash, role, unit_hsa_id, name, created_at) VALUES (?, ?, ?, ?, ?, ?)`),
			t.ID, hashSecret(secret), string(t.Role), t.UnitHSAID, t.Name, db.timeArg(t.CreatedAt))
		return err
	})
	if err != nil {
		return "", nil, fmt.Errorf("store: create token: %w", err)
	}
	return secret, t, nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// FindTokenBySecret returns the live token with this secret. Returns
// EUNAUTHORIZED if there is none or it was revoked.
func (db *DB) FindTokenBySecret(ctx context.Context, secret string) (*intake.Token, error) {
	var t intake.Token
	var role string
	var revoked time.Time
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT id, role, unit_hsa_id, name, created_at, revoked_at FROM tokens WHERE hash = ?`), hashSecret(secret)).
		Scan(&t.ID, &role, &t.UnitHSAID, &t.Name, timeValue{&t.CreatedAt}, timeValue{&revoked})
	if err == sql.ErrNoRows || (err == nil && !revoked.IsZero()) {
		return nil, intake.Errorf(intake.EUNAUTHORIZED, "Unauthorized.")
	}
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find token: %w", err))
	}
	t.Role = intake.Role(role)
	return &t, nil
}

// RevokeToken revokes a token by id. Returns ENOTFOUND if there is no live
// token with that id.
func (db *DB) RevokeToken(ctx context.Context, id string) error {
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, db.rebind(`UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`), db.timeArg(db.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return intake.Errorf(intake.ENOTFOUND, "No live token with id %s.", id)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: revoke token %s: %w", id, err)
	}
	return nil
}

// CountTokens returns how many tokens exist, revoked ones included.
func (db *DB) CountTokens(ctx context.Context) (int, error) {
	var n int
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM tokens`).Scan(&n)
	return n, err
}

// CreateAuditEntry appends an entry to the access log, durably, and sets its
// ID and At. The entry is chained (see VerifyAuditChain) inside the write
// transaction, after the entry that committed before it.
func (db *DB) CreateAuditEntry(ctx context.Context, e *intake.AuditEntry) error {
	e.At = db.now()
	err := db.auditWriter.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return db.appendAuditEntry(ctx, tx, e)
	})
	if err != nil {
		return fmt.Errorf("store: create audit entry: %w", err)
	}
	return nil
}

// CreateAuditEntries appends entries to the access log in one durable
// write, chained in order, and sets their IDs and At (one time for all: a
// list that shows several patients is one access).
func (db *DB) CreateAuditEntries(ctx context.Context, es []*intake.AuditEntry) error {
	at := db.now()
	for _, e := range es {
		e.At = at
	}
	err := db.auditWriter.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, e := range es {
			if err := db.appendAuditEntry(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: create %d audit entries: %w", len(es), err)
	}
	return nil
}

// FindAuditEntries returns access-log entries matching f, newest first, and
// a cursor for the next page ("" on the last page).
func (db *DB) FindAuditEntries(ctx context.Context, f intake.AuditFilter) ([]*intake.AuditEntry, string, error) {
	var where []string
	var args []any
	if f.PatientID != nil {
		where, args = append(where, "patient_id = ?"), append(args, *f.PatientID)
	}
	if f.CertificateID != nil {
		where, args = append(where, "certificate_id = ?"), append(args, *f.CertificateID)
	}
	if f.TokenID != nil {
		where, args = append(where, "token_id = ?"), append(args, *f.TokenID)
	}
	if f.Since != nil {
		where, args = append(where, "at >= ?"), append(args, db.timeArg(*f.Since))
	}
	if f.Cursor != "" {
		before, err := strconv.ParseInt(f.Cursor, 10, 64)
		if err != nil {
			return nil, "", intake.Errorf(intake.EINVALID, "The cursor is not valid.")
		}
		where, args = append(where, "id < ?"), append(args, before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := `SELECT id, ` + auditFields + ` FROM audit_log`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += fmt.Sprintf(` ORDER BY id DESC LIMIT %d`, limit+1)
	rows, err := db.read.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, "", unavailable(fmt.Errorf("store: find audit entries: %w", err))
	}
	defer rows.Close()
	var out []*intake.AuditEntry
	for rows.Next() {
		e, err := scanAuditFields(rows)
		if err != nil {
			return nil, "", unavailable(fmt.Errorf("store: find audit entries: %w", err))
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", unavailable(fmt.Errorf("store: find audit entries: %w", err))
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = strconv.FormatInt(out[limit-1].ID, 10)
	}
	return out, next, nil
}
