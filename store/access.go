package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// tokenPrefix marks Intyg secrets, so that scanners can find leaked ones.
const tokenPrefix = "intyg_"

// CreateToken makes a token of role for one unit (clinic) or none, and
// returns its secret; see CreateTokenFor.
func (db *DB) CreateToken(ctx context.Context, role intake.Role, unitHSAID, name string) (string, *intake.Token, error) {
	t := &intake.Token{Role: role, Name: name}
	if unitHSAID != "" {
		t.Units = []string{unitHSAID}
	}
	secret, err := db.CreateTokenFor(ctx, t)
	return secret, t, err
}

// CreateTokenFor makes the token t describes (role, name, and for a
// clinic token its units or its whole care provider, and an expiry) and
// returns its secret, which is not stored and cannot be shown again. It
// sets t's ID and CreatedAt. Returns EINVALID with the problems of
// intake.CheckToken: an unknown role, a clinic token without units or care
// provider (or with both), units on another role's token, a past expiry.
func (db *DB) CreateTokenFor(ctx context.Context, t *intake.Token) (string, error) {
	t.Tidy()
	if err := intake.InvalidError(intake.CheckToken(t, db.now())); err != nil {
		return "", err
	}
	b := make([]byte, 32)
	rand.Read(b)
	secret := tokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	t.ID, t.CreatedAt = newID()[:12], db.now()
	first := ""
	if len(t.Units) > 0 {
		first = t.Units[0]
	}
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO tokens (id, hash, role, unit_hsa_id, care_provider_hsa_id, name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
			t.ID, hashSecret(secret), string(t.Role), first, t.CareProvider, t.Name, db.timeArg(t.CreatedAt), db.nullTime(t.ExpiresAt))
		if err != nil {
			return err
		}
		for _, u := range t.Units {
			if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO token_units (token_id, unit_hsa_id) VALUES (?, ?)`), t.ID, u); err != nil {
				return err
			}
		}
		return nil
	})
	if isUniqueViolation(err) {
		return "", intake.Failure(intake.EINVALID, "invalid.unitTwice")
	}
	if err != nil {
		return "", fmt.Errorf("store: create token: %w", err)
	}
	return secret, nil
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// tokenFields are the columns scanToken reads.
const tokenFields = `id, role, name, care_provider_hsa_id, created_at, revoked_at, expires_at, last_used_at`

func scanToken(row scanner) (*intake.Token, error) {
	var t intake.Token
	var role string
	if err := row.Scan(&t.ID, &role, &t.Name, &t.CareProvider, timeValue{&t.CreatedAt}, timeValue{&t.RevokedAt}, timeValue{&t.ExpiresAt}, timeValue{&t.LastUsedAt}); err != nil {
		return nil, err
	}
	t.Role = intake.Role(role)
	return &t, nil
}

// tokenUnits returns the units a token covers: its own but those an admin
// has disabled, and for a care provider's token every live unit
// registered under the provider.
func (db *DB) tokenUnits(ctx context.Context, t *intake.Token) ([]string, error) {
	q, arg := `SELECT tu.unit_hsa_id FROM token_units tu LEFT JOIN units u ON u.hsa_id = tu.unit_hsa_id
		WHERE tu.token_id = ? AND u.disabled_at IS NULL ORDER BY tu.unit_hsa_id`, t.ID
	if t.CareProvider != "" {
		q, arg = `SELECT hsa_id FROM units WHERE care_provider_hsa_id = ? AND disabled_at IS NULL ORDER BY hsa_id`, t.CareProvider
	}
	return db.strings(ctx, q, arg)
}

// strings runs a query of one text column.
func (db *DB) strings(ctx context.Context, q string, args ...any) ([]string, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(q), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// lastUseGrain is how often a token's last use is written: at most once a
// minute, so that a busy token does not write on every request.
const lastUseGrain = time.Minute

// FindTokenBySecret returns the live token with this secret, with the
// units it covers, and records its use (to the minute). A verified token
// is kept in memory for tokenCacheTTL: revoking it (or disabling a unit)
// here ends that at once, through another process within tokenRecheck (a
// second). Returns
// EUNAUTHORIZED if there is none, or it was revoked or has expired.
func (db *DB) FindTokenBySecret(ctx context.Context, secret string) (*intake.Token, error) {
	hash := hashSecret(secret)
	now := db.now()
	if db.tokens.due() {
		if err := db.readAccessChanges(ctx); err != nil {
			return nil, unavailable(fmt.Errorf("store: find token: %w", err))
		}
	}
	t, cached := db.tokens.get(hash)
	if !cached {
		if db.tokens.empty() {
			// The first token to cache: read the revocations before
			// reading it, so that one made after this read shows.
			if err := db.readAccessChanges(ctx); err != nil {
				return nil, unavailable(fmt.Errorf("store: find token: %w", err))
			}
		}
		gen := db.tokens.generation()
		var err error
		t, err = scanToken(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+tokenFields+` FROM tokens WHERE hash = ?`), hash))
		if err == sql.ErrNoRows {
			return nil, intake.Failure(intake.EUNAUTHORIZED, "refused.unauthorized")
		}
		if err != nil {
			return nil, unavailable(fmt.Errorf("store: find token: %w", err))
		}
		if t.Units, err = db.tokenUnits(ctx, t); err != nil {
			return nil, unavailable(fmt.Errorf("store: find token units: %w", err))
		}
		db.tokens.put(hash, t, gen)
	}
	if !t.RevokedAt.IsZero() || (!t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt)) {
		return nil, &intake.TokenRefused{Token: t}
	}
	if now.Sub(t.LastUsedAt) >= lastUseGrain {
		t.LastUsedAt = now
		db.tokens.setLastUsed(hash, now)
		// Best effort and not waited for: the use is recorded, the
		// request does not queue behind a write.
		go db.writer.do(context.WithoutCancel(ctx), func(ctx context.Context, tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, db.rebind(`UPDATE tokens SET last_used_at = ? WHERE id = ?`), db.timeArg(now), t.ID)
			return err
		})
	}
	return t, nil
}

// readAccessChanges tells the token cache how many tokens are revoked and
// which units are disabled (accessChanges), so that a revocation or a
// disabled unit made by another process ends the cache.
func (db *DB) readAccessChanges(ctx context.Context) error {
	at := time.Now()
	var a accessChanges
	var last sql.NullString // a time, as the driver gives it as text
	if err := db.read.QueryRowContext(ctx, `SELECT (SELECT COUNT(revoked_at) FROM tokens), (SELECT COUNT(disabled_at) FROM units), (SELECT MAX(disabled_at) FROM units)`).
		Scan(&a.revoked, &a.disabledUnits, &last); err != nil {
		return err
	}
	a.lastDisabled = last.String
	db.tokens.changed(a, at)
	return nil
}

// FindTokens returns every token, newest first, revoked ones included,
// with their units.
func (db *DB) FindTokens(ctx context.Context) ([]*intake.Token, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT `+tokenFields+` FROM tokens ORDER BY created_at DESC, id`)
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find tokens: %w", err))
	}
	var out []*intake.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: find tokens: %w", err)
		}
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: find tokens: %w", err)
	}
	for _, t := range out {
		if t.Units, err = db.tokenUnits(ctx, t); err != nil {
			return nil, fmt.Errorf("store: find tokens: %w", err)
		}
	}
	return out, nil
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
			return intake.Failure(intake.ENOTFOUND, "notFound.token", id)
		}
		return nil
	})
	// Whether or not it committed, no cached token may outlive this call.
	db.tokens.clear()
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
	if f.UserID != nil {
		where, args = append(where, "user_id = ?"), append(args, *f.UserID)
	}
	if f.Since != nil {
		where, args = append(where, "at >= ?"), append(args, db.timeArg(*f.Since))
	}
	if f.Cursor != "" {
		before, err := decodeAuditCursor(f.Cursor)
		if err != nil {
			return nil, "", err
		}
		where, args = append(where, "id < ?"), append(args, before)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	q := `SELECT id, ` + auditPersonFields + ` FROM audit_log`
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
		e, err := scanAuditEntry(rows)
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
		next = encodeAuditCursor(out[limit-1].ID)
	}
	return out, next, nil
}
