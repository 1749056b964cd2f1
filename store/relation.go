package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// relationTarget reads what intake.CheckRelation needs of the certificate
// a new one relates to, locking its row on PostgreSQL until tx ends, so
// that of two concurrent replacements the second sees the first.
func (db *DB) relationTarget(ctx context.Context, tx *sql.Tx, id string) (intake.RelationTarget, error) {
	return db.readRelationTarget(ctx, tx, id, db.dialect == Postgres)
}

// FindRelationTarget reads what intake.CheckRelation needs of certificate
// id outside a write, without a lock: for telling a refused submission
// what is wrong with its relation too. A submission that is stored is
// checked again where it is stored.
func (db *DB) FindRelationTarget(ctx context.Context, id string) (intake.RelationTarget, error) {
	t, err := db.readRelationTarget(ctx, db.read, id, false)
	if err != nil {
		return t, unavailable(fmt.Errorf("store: find relation target %s: %w", id, err))
	}
	return t, nil
}

// readRelationTarget is relationTarget on q, the row locked if lock.
func (db *DB) readRelationTarget(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, id string, lock bool) (intake.RelationTarget, error) {
	var t intake.RelationTarget
	if !storableText(id) {
		return t, nil // no certificate has it; PostgreSQL would refuse the query
	}
	query := `SELECT template, version, patient_id, unit_hsa_id, status, signed_at FROM certificates WHERE id = ?`
	if lock {
		query += ` FOR UPDATE`
	}
	var status string
	err := q.QueryRowContext(ctx, db.rebind(query), id).Scan(&t.Template, &t.Version, &t.PatientID, &t.Unit, &status, timeValue{&t.SignedAt})
	if err == sql.ErrNoRows {
		return t, nil
	}
	if err != nil {
		return t, err
	}
	t.Found, t.Status = true, intake.Status(status)
	err = q.QueryRowContext(ctx, db.rebind(`SELECT COUNT(*) FROM messages WHERE certificate_id = ? AND type = ? AND status = ?`),
		id, string(intake.MessageCompletion), string(intake.MessageOpen)).Scan(&t.OpenCompletionRequests)
	return t, err
}

// relate stores c's relation, stored in tx a moment before, and its effect
// on the original: a renewal is an event on it; a completion answers its
// open completion requests; a replacement or completion makes it replaced.
func (db *DB) relate(ctx context.Context, tx *sql.Tx, c *intake.Certificate) error {
	rel, at, by, via := c.Relation, c.ReceivedAt, c.Issuer.HSAID, c.Via
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO certificate_relations (certificate_id, type, target_id, at) VALUES (?, ?, ?, ?)`),
		c.ID, string(rel.Type), rel.Certificate, db.timeArg(at)); err != nil {
		return err
	}
	switch rel.Type {
	case intake.RelationRenews:
		return db.appendEvent(ctx, tx, rel.Certificate, "renewed", at, by, via)
	case intake.RelationCompletes:
		ids, err := db.messageIDs(ctx, tx, `certificate_id = ? AND type = ? AND status = ?`, rel.Certificate, string(intake.MessageCompletion), string(intake.MessageOpen))
		if err != nil {
			return err
		}
		for _, m := range ids {
			if err := db.messageEvent(ctx, tx, m, messageAnswer, at, by, &intake.MessageAnswer{Certificate: c.ID}, nil); err != nil {
				return err
			}
			if err := db.appendEvent(ctx, tx, rel.Certificate, "messageAnswered", at, by, via); err != nil {
				return err
			}
		}
	}
	if _, _, err := db.deriveStatus(ctx, tx, rel.Certificate); err != nil {
		return err
	}
	return db.appendEvent(ctx, tx, rel.Certificate, "replaced", at, by, via)
}

// unrelate undoes the effects of revoked certificate id's relation: the
// certificate it replaced or completed is replaced no more (if nothing
// else replaces it), and the completion requests it answered are open
// again, unless that certificate is itself revoked: then they close, as
// its open messages did when it was revoked (a revoked certificate has no
// open message, and none answered by a certificate that no longer holds).
func (db *DB) unrelate(ctx context.Context, tx *sql.Tx, id string, at time.Time, by string) error {
	var typ, target string
	err := tx.QueryRowContext(ctx, db.rebind(`SELECT type, target_id FROM certificate_relations WHERE certificate_id = ?`), id).Scan(&typ, &target)
	if err == sql.ErrNoRows || !intake.RelationType(typ).Supersedes() {
		return nil
	}
	if err != nil {
		return err
	}
	before, after, err := db.deriveStatus(ctx, tx, target)
	if err != nil {
		return err
	}
	if typ == string(intake.RelationCompletes) {
		ids, err := db.messageIDs(ctx, tx, `status = ? AND id IN (SELECT message_id FROM message_events WHERE certificate_id = ?)`, string(intake.MessageAnswered), id)
		if err != nil {
			return err
		}
		for _, m := range ids {
			if after != intake.StatusRevoked {
				err = db.messageEvent(ctx, tx, m, messageReopened, at, by, nil, nil)
			} else if err = db.messageEvent(ctx, tx, m, messageClose, at, by, nil, nil); err == nil {
				err = db.appendEvent(ctx, tx, target, "messageClosed", at, by, "")
			}
			if err != nil {
				return err
			}
		}
	}
	if before != intake.StatusReplaced || after == intake.StatusReplaced {
		return nil
	}
	return db.appendEvent(ctx, tx, target, "unreplaced", at, by, "")
}

// deriveStatus sets certificate id's status from what happened to it
// (intake.DeriveStatus) and returns it before and after. On PostgreSQL it
// locks the certificate first (lockStatus): a concurrent change to it (its
// revocation, its being marked handled) then commits before the status is
// read, and is not overwritten by one read from before it. SQLite's one
// writer has no concurrent change.
func (db *DB) deriveStatus(ctx context.Context, tx *sql.Tx, id string) (before, after intake.Status, err error) {
	if db.dialect == Postgres {
		if _, err := db.lockStatus(ctx, tx, id); err != nil {
			return "", "", err
		}
	}
	var status string
	var handled, revoked, replaced int
	err = tx.QueryRowContext(ctx, db.rebind(`
		SELECT c.status,
			CASE WHEN c.handled THEN 1 ELSE 0 END,
			CASE WHEN EXISTS (SELECT 1 FROM certificate_revocations v WHERE v.certificate_id = c.id) THEN 1 ELSE 0 END,
			CASE WHEN EXISTS (SELECT 1 FROM certificate_relations r JOIN certificates n ON n.id = r.certificate_id
				WHERE r.target_id = c.id AND r.type IN (?, ?) AND n.status <> ?) THEN 1 ELSE 0 END
		FROM certificates c WHERE c.id = ?`),
		string(intake.RelationReplaces), string(intake.RelationCompletes), string(intake.StatusRevoked), id).
		Scan(&status, &handled, &revoked, &replaced)
	if err != nil {
		return "", "", notFound(err, "notFound.certificate")
	}
	before, after = intake.Status(status), intake.DeriveStatus(revoked == 1, replaced == 1, handled == 1)
	if after != before {
		_, err = tx.ExecContext(ctx, db.rebind(`UPDATE certificates SET status = ? WHERE id = ?`), string(after), id)
	}
	return before, after, err
}

// findRelations returns certificate id's relations both ways: its own
// first, then those of newer certificates to it, oldest first.
func (db *DB) findRelations(ctx context.Context, id string) ([]intake.RelationLink, error) {
	rows, err := db.read.QueryContext(ctx, db.rebind(`
		SELECT type, target_id, ? FROM certificate_relations WHERE certificate_id = ?
		UNION ALL
		SELECT type, certificate_id, ? FROM certificate_relations WHERE target_id = ?`),
		intake.DirectionOutgoing, id, intake.DirectionIncoming, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	links := []intake.RelationLink{}
	for rows.Next() {
		var l intake.RelationLink
		if err := rows.Scan(&l.Type, &l.Certificate, &l.Direction); err != nil {
			return nil, err
		}
		links = append(links, l)
	}
	return links, rows.Err()
}

// fillMessageCounts sets the open, overdue and answered message counts of
// certs in one query.
func (db *DB) fillMessageCounts(ctx context.Context, certs []*intake.Certificate) error {
	if len(certs) == 0 {
		return nil
	}
	byID := make(map[string]*intake.Certificate, len(certs))
	var args []any
	for _, c := range certs {
		byID[c.ID] = c
		args = append(args, c.ID)
	}
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT certificate_id, status, reply_by FROM messages WHERE certificate_id IN (`+placeholders(len(certs))+`)`), args...)
	if err != nil {
		return fmt.Errorf("store: count messages: %w", err)
	}
	defer rows.Close()
	var today string // read from the clock only when there are messages
	for rows.Next() {
		var id, status, replyBy string
		if err := rows.Scan(&id, &status, &replyBy); err != nil {
			return fmt.Errorf("store: count messages: %w", err)
		}
		c := byID[id]
		switch intake.MessageStatus(status) {
		case intake.MessageOpen:
			c.OpenMessages++
			if today == "" {
				today = intake.DateOf(db.now()).String()
			}
			if replyBy != "" && replyBy < today {
				c.OverdueMessages++
			}
		case intake.MessageAnswered:
			c.AnsweredMessages++
		}
	}
	return rows.Err()
}

// placeholders returns n comma-separated placeholders: "?, ?, ?".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
