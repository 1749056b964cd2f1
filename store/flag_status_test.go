package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// TestFlagStatusMigrationWhileAnotherServerWrites applies migration 00020
// (the flags' kept status), then 00021 (the messages'), on PostgreSQL
// while another server of the release before it has changed a flagged
// certificate's status, or stored a message about it, and not yet
// committed: the change must reach the flag's and the messages' kept
// status, and the message its certificate's, though the other server
// wrote before the triggers existed.
func TestFlagStatusMigrationWhileAnotherServerWrites(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	db := mustOpenDB(t, store.Postgres, dsn)
	c, body := mustCertificate(t, "full-time-one-period.json")
	c.Flags = []intake.Flag{{Code: "earlyStart", Message: "sv", MessageEn: "en"}}
	stored, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.CreateMessage(ctx, &intake.Message{Certificate: stored.ID, Type: intake.MessageContact, Text: "Fråga.", SentBy: "cw-1"}); err != nil {
		t.Fatal(err)
	}
	today, _ := intake.ParseDate("2026-11-23")

	migrateBesideWrites(t, db, dsn, 19, `UPDATE certificates SET status = 'handled', handled = true WHERE id = $1`)
	checkCounts(t, db, "00020 beside a change", intake.CertificateFilter{Flag: ptr("earlyStart")})

	migrateBesideWrites(t, db, dsn, 20, `UPDATE certificates SET status = 'received', handled = false WHERE id = $1`)
	checkCounts(t, db, "00021 beside a change", intake.CertificateFilter{Messages: ptr("open"), Today: today})
	migrateBesideWrites(t, db, dsn, 20, `INSERT INTO messages (id, certificate_id, unit_hsa_id, patient_id, type, reply_by, sent_at, sent_by, status)
		SELECT 'm-other', id, unit_hsa_id, patient_id, 'contact', '2026-11-01', now(), 'cw-2', 'open' FROM certificates WHERE id = $1`)
	for _, f := range []intake.CertificateFilter{{Flag: ptr("earlyStart")}, {Messages: ptr("open"), Today: today}, {Messages: ptr("overdue"), Today: today}} {
		checkCounts(t, db, "00021 beside a change", f)
	}
	checkMessageQueue(t, db, "00021 beside a change", "open", today)
	checkMessageQueue(t, db, "00021 beside a change", "overdue", today)
}

// migrateBesideWrites undoes the migrations after version, runs each
// write (with the certificate's id as $1) in a transaction of another
// session, and applies the migrations again while those are open: it
// commits them once a migration waits for a lock, or has finished.
func migrateBesideWrites(t *testing.T, db *store.DB, dsn string, version int64, writes ...string) {
	t.Helper()
	ctx := context.Background()
	if err := store.UndoMigrations(ctx, db, version); err != nil {
		t.Fatal(err)
	}
	var id string
	other, _ := otherSession(t, dsn)
	if err := other.QueryRowContext(ctx, `SELECT id FROM certificates`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	var open []func() error
	for _, w := range writes {
		_, tx := otherSession(t, dsn)
		if _, err := tx.ExecContext(ctx, w, id); err != nil {
			t.Fatal(err)
		}
		open = append(open, tx.Commit)
	}
	migrated := make(chan error, 1)
	go func() { migrated <- store.ApplyMigrations(ctx, db) }()
	awaitLockWait(t, other, migrated)
	for _, commit := range open {
		if err := commit(); err != nil {
			t.Fatal(err)
		}
	}
	if err := <-migrated; err != nil {
		t.Fatal(err)
	}
}

// TestMessageQueueMigrationBesideOldServer applies migrations 00021 and
// 00022 (or 00022 alone) on PostgreSQL while another server of the release
// before them is part way through a write, and carries on with it once a
// migration waits for a lock: storing a certificate that replaces another
// (relationTarget locks the original and reads its messages, then the
// certificate is inserted), revoking one (its status, then its messages),
// sending a message (the message, then the certificate's event) and
// answering one (its row locked, then updated). Neither may wait for the
// other: with the columns added under the lock on certificates, the first
// was a deadlock that failed the migration, and with a lock on messages
// that let a row be locked, the last.
func TestMessageQueueMigrationBesideOldServer(t *testing.T) {
	for _, tt := range []struct {
		name          string
		from          int64
		before, after []string
	}{
		{"replacement", 20, []string{
			`SELECT 1 FROM certificates WHERE id = $1 FOR UPDATE`,
			`SELECT COUNT(*) FROM messages WHERE certificate_id = $1 AND type = 'completion' AND status = 'open'`,
		}, []string{
			`INSERT INTO certificates (id, template, version, status, submitted, sha256, record, patient_id, issuer_hsa_id, unit_hsa_id, signed_at, received_at)
			SELECT 'r-' || id, template, version, 'received', submitted, sha256, record, patient_id, issuer_hsa_id, unit_hsa_id, signed_at, now() FROM certificates WHERE id = $1`,
		}},
		{"revocation", 20, []string{
			`SELECT 1 FROM certificates WHERE id = $1 FOR UPDATE`,
			`INSERT INTO certificate_revocations (certificate_id, reason, message, at, actor) VALUES ($1, 'annat', '', now(), 'tok-1')`,
			`UPDATE certificates SET status = 'revoked' WHERE id = $1`,
		}, []string{
			`UPDATE messages SET status = 'closed' WHERE certificate_id = $1 AND status = 'open'`,
		}},
		{"message", 20, []string{
			`SELECT 1 FROM certificates WHERE id = $1 FOR UPDATE`,
			`INSERT INTO messages (id, certificate_id, unit_hsa_id, patient_id, type, reply_by, sent_at, sent_by, status)
			SELECT 'm-other', id, unit_hsa_id, patient_id, 'contact', '2026-11-01', now(), 'cw-2', 'open' FROM certificates WHERE id = $1`,
		}, []string{
			`INSERT INTO certificate_events (certificate_id, status, at, actor) VALUES ($1, 'messageSent', now(), 'cw-2')`,
		}},
		{"answer", 21, []string{
			`SELECT 1 FROM certificates WHERE id = $1 FOR UPDATE`,
			`SELECT 1 FROM messages WHERE certificate_id = $1 FOR UPDATE`,
		}, []string{
			`UPDATE messages SET status = 'answered' WHERE certificate_id = $1`,
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			dsn := pgtest.DSN(t)
			db := mustOpenDB(t, store.Postgres, dsn)
			c, body := mustCertificate(t, "full-time-one-period.json")
			stored, _, err := db.CreateCertificate(ctx, c, body, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.CreateMessage(ctx, &intake.Message{Certificate: stored.ID, Type: intake.MessageContact, Text: "Fråga.", SentBy: "cw-1"}); err != nil {
				t.Fatal(err)
			}
			if err := store.UndoMigrations(ctx, db, tt.from); err != nil {
				t.Fatal(err)
			}
			other, tx := otherSession(t, dsn)
			for _, q := range tt.before {
				if _, err := tx.ExecContext(ctx, q, stored.ID); err != nil {
					t.Fatal(err)
				}
			}
			migrated := make(chan error, 1)
			go func() { migrated <- store.ApplyMigrations(ctx, db) }()
			awaitLockWait(t, other, migrated)
			var written error
			for _, q := range tt.after {
				if _, written = tx.ExecContext(ctx, q, stored.ID); written != nil {
					break
				}
			}
			if written == nil {
				written = tx.Commit()
			}
			if err := <-migrated; err != nil || written != nil {
				t.Fatalf("the migrations: %v; the other server's write: %v", err, written)
			}
			today, _ := intake.ParseDate("2026-11-23")
			for _, state := range []string{"open", "overdue", "answered", "closed"} {
				checkCounts(t, db, tt.name, intake.CertificateFilter{Messages: ptr(state), Today: today})
				checkMessageQueue(t, db, tt.name, state, today)
			}
		})
	}
}

// awaitLockWait returns once a session of the database waits for a lock
// (the migrations, for another server's transaction), the migrations have
// finished (migrated holds their outcome), or ten seconds have passed.
func awaitLockWait(t *testing.T, other *sql.DB, migrated chan error) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; {
		var waiting int
		if err := other.QueryRowContext(context.Background(), `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 || len(migrated) > 0 || time.Now().After(deadline) {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
