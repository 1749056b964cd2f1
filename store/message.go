package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// CreateMessage stores a caseworker's message about certificate m.Certificate
// to its issuing unit, open, sent now by m.SentBy, and appends a
// "messageSent" event to the certificate. It sets m's ID, Unit, Status and
// SentAt. Returns ENOTFOUND for an unknown certificate and ECONFLICT where
// intake.CheckMessageTo refuses it (a revoked certificate).
func (db *DB) CreateMessage(ctx context.Context, m *intake.Message) (*intake.Message, error) {
	stored, _, err := db.CreateMessageOnce(ctx, m, nil)
	return stored, err
}

// CreateMessageOnce is CreateMessage under a client's idempotency key, if
// idem is not nil: the message already stored under the key, if it was
// sent with the same request (idem.Request), is returned as it is now and
// with true, instead of a second message; under another request it is
// ECONFLICT (code idempotencyKeyReused). The key's unique index finds the
// message stored before: a caller that looked the key up already
// (FindMessageByIdempotencyKey) does not read it twice.
func (db *DB) CreateMessageOnce(ctx context.Context, m *intake.Message, idem *intake.Idempotency) (*intake.Message, bool, error) {
	var scope, key any // NULL without a key
	var request string
	if idem != nil {
		scope, key, request = idem.Scope, idem.Key, idem.Request
	}
	complements, err := json.Marshal(m.Complements)
	if err != nil {
		return nil, false, err
	}
	if m.Complements == nil {
		complements = []byte("[]")
	}
	err = db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		t, err := db.relationTarget(ctx, tx, m.Certificate)
		switch {
		case err != nil:
			return err
		case !t.Found:
			return intake.Failure(intake.ENOTFOUND, "notFound.certificate")
		}
		if err := intake.CheckMessageTo(t.Status); err != nil {
			return err
		}
		m.ID, m.Unit, m.PatientID, m.Status, m.SentAt = newID(), t.Unit, t.PatientID, intake.MessageOpen, db.now()
		if _, err := tx.ExecContext(ctx, db.rebind(`
			INSERT INTO messages (id, certificate_id, unit_hsa_id, patient_id, type, text, reply_by, complements, sent_at, sent_by, status,
				idempotency_scope, idempotency_key, request_sha256)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
			m.ID, m.Certificate, m.Unit, m.PatientID, string(m.Type), m.Text, m.ReplyBy.String(), string(complements),
			db.timeArg(m.SentAt), m.SentBy, string(m.Status), scope, key, request); err != nil {
			return err
		}
		if err := db.messageEvent(ctx, tx, m.ID, messageSent, m.SentAt, m.SentBy, nil, nil); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, m.Certificate, "messageSent", m.SentAt, m.SentBy, "")
	})
	if idem != nil && isUniqueViolation(err) {
		// The same key's first request, committed before this one (or
		// while it was checked): it is the answer.
		prior, err := db.FindMessageByIdempotencyKey(ctx, *idem)
		return prior, err == nil, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: create message: %w", err)
	}
	stored, err := db.FindMessageByID(ctx, m.ID)
	return stored, false, err
}

// FindMessageByIdempotencyKey returns the message stored under a client's
// idempotency key: ENOTFOUND if there is none, ECONFLICT (code
// idempotencyKeyReused) if it was sent with another request than
// idem.Request.
func (db *DB) FindMessageByIdempotencyKey(ctx context.Context, idem intake.Idempotency) (*intake.Message, error) {
	var id, request string
	err := db.read.QueryRowContext(ctx, db.rebind(`SELECT id, request_sha256 FROM messages WHERE idempotency_scope = ? AND idempotency_key = ?`),
		idem.Scope, idem.Key).Scan(&id, &request)
	switch {
	case err != nil:
		return nil, unavailable(fmt.Errorf("store: find message by idempotency key: %w", notFound(err, "notFound.idempotencyKeyMessage")))
	case request != idem.Request:
		return nil, intake.KeyReused("idempotency.keyReusedMessage")
	}
	return db.FindMessageByID(ctx, id)
}

// AnswerMessage stores the issuing unit's answer to an open message and
// appends a "messageAnswered" event to its certificate. Returns ENOTFOUND
// for an unknown message and ECONFLICT (code messageClosed) for one that
// is answered or closed.
func (db *DB) AnswerMessage(ctx context.Context, id string, a *intake.MessageAnswer) (*intake.Message, error) {
	m, _, err := db.AnswerMessageOnce(ctx, id, a, nil)
	return m, err
}

// AnswerMessageOnce is AnswerMessage under a client's idempotency key, if
// idem is not nil: if an answer is stored under the key with the same
// request (idem.Request), the message is returned as it is now and with
// true, instead of messageClosed; under another request it is ECONFLICT
// (code idempotencyKeyReused).
func (db *DB) AnswerMessageOnce(ctx context.Context, id string, a *intake.MessageAnswer, idem *intake.Idempotency) (*intake.Message, bool, error) {
	replay := false
	err := db.writer.do(ctx, func(ctx context.Context, tx *sql.Tx) error {
		replay = false // the job may run again after a failed batch
		var cert string
		if err := tx.QueryRowContext(ctx, db.rebind(`SELECT certificate_id FROM messages WHERE id = ?`), id).Scan(&cert); err != nil {
			return notFound(err, "notFound.message")
		}
		// The certificate's row before the message's, in the order in
		// which revoking and relating lock them: on PostgreSQL the other
		// order had each wait for the other's lock (a deadlock).
		if _, err := db.lockStatus(ctx, tx, cert); err != nil {
			return err
		}
		q := `SELECT status FROM messages WHERE id = ?`
		if db.dialect == Postgres {
			q += ` FOR UPDATE`
		}
		var status string
		if err := tx.QueryRowContext(ctx, db.rebind(q), id).Scan(&status); err != nil {
			return err
		}
		// Read after the message's lock: a retry that waited for its
		// first try's answer finds it here.
		if idem != nil {
			err := db.answeredUnderKey(ctx, tx, *idem)
			if replay = err == nil; intake.ErrorCode(err) != intake.ENOTFOUND {
				return err
			}
		}
		if intake.MessageStatus(status) != intake.MessageOpen {
			return intake.Refusal("messageClosed")
		}
		at := db.now()
		if err := db.messageEvent(ctx, tx, id, messageAnswer, at, a.By, a, idem); err != nil {
			return err
		}
		return db.appendEvent(ctx, tx, cert, "messageAnswered", at, a.By, "")
	})
	if idem != nil && isUniqueViolation(err) {
		// The key's first answer, to another message, committed while
		// this one was checked: refused as another request.
		return nil, false, intake.KeyReused("idempotency.keyReusedAnswer")
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: answer message %s: %w", id, err)
	}
	m, err := db.FindMessageByID(ctx, id)
	return m, replay, err
}

// answeredUnderKey reads in tx whether an answer is stored under a
// client's idempotency key: nil if with the same request, ENOTFOUND if
// none is, ECONFLICT (code idempotencyKeyReused) if another request's. A
// certificate stored under the key (a completion's answer, or a
// submission) is another request's: the unit's key is one answer's.
func (db *DB) answeredUnderKey(ctx context.Context, tx *sql.Tx, idem intake.Idempotency) error {
	request, err := db.answerRequest(ctx, tx, idem)
	switch {
	case intake.ErrorCode(err) == intake.ENOTFOUND:
		if _, err := db.findByIdempotencyKey(ctx, tx, idem); intake.ErrorCode(err) != intake.ENOTFOUND {
			if err == nil {
				err = intake.KeyReused("idempotency.keyReusedAnswer")
			}
			return err
		}
		return err
	case err != nil:
		return err
	case request != idem.Request:
		return intake.KeyReused("idempotency.keyReusedAnswer")
	}
	return nil
}

// AnswerKeyUsed reports whether a text answer is stored under a client's
// idempotency key (whatever its request).
func (db *DB) AnswerKeyUsed(ctx context.Context, idem intake.Idempotency) (bool, error) {
	_, err := db.answerRequest(ctx, db.read, idem)
	if intake.ErrorCode(err) == intake.ENOTFOUND {
		return false, nil
	}
	return err == nil, unavailable(err)
}

// answerRequest reads, with q (a transaction or the readers), the request
// a text answer stored under a client's idempotency key was sent with;
// ENOTFOUND if none is.
func (db *DB) answerRequest(ctx context.Context, q interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}, idem intake.Idempotency) (string, error) {
	var request string
	err := q.QueryRowContext(ctx, db.rebind(`SELECT request_sha256 FROM message_events WHERE idempotency_scope = ? AND idempotency_key = ?`),
		idem.Scope, idem.Key).Scan(&request)
	return request, notFound(err, "notFound.idempotencyKeyAnswer")
}

// closeMessages closes revoked certificate id's open messages, appending
// a "messageClosed" event for each.
func (db *DB) closeMessages(ctx context.Context, tx *sql.Tx, id string, at time.Time, by string) error {
	ids, err := db.messageIDs(ctx, tx, `certificate_id = ? AND status = ?`, id, string(intake.MessageOpen))
	if err != nil {
		return err
	}
	for _, m := range ids {
		if err := db.messageEvent(ctx, tx, m, messageClose, at, by, nil, nil); err != nil {
			return err
		}
		if err := db.appendEvent(ctx, tx, id, "messageClosed", at, by, ""); err != nil {
			return err
		}
	}
	return nil
}

// messageIDs returns the ids of the messages where holds, in tx.
func (db *DB) messageIDs(ctx context.Context, tx *sql.Tx, where string, args ...any) ([]string, error) {
	rows, err := tx.QueryContext(ctx, db.rebind(`SELECT id FROM messages WHERE `+where+` ORDER BY sent_at, id`), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Message events: what happened to a message. Each but "sent" moves it to
// the status messageMoves gives.
const (
	messageSent     = "sent"
	messageAnswer   = "answered"
	messageReopened = "reopened"
	messageClose    = "closed"
)

var messageMoves = map[string]intake.MessageStatus{
	messageAnswer: intake.MessageAnswered, messageReopened: intake.MessageOpen, messageClose: intake.MessageClosed,
}

// messageEvent appends event to message id's history (with the answer a,
// for "answered", and the client's key it was sent under, if any) and sets
// the status it moves the message to.
func (db *DB) messageEvent(ctx context.Context, tx *sql.Tx, id, event string, at time.Time, by string, a *intake.MessageAnswer, idem *intake.Idempotency) error {
	if a == nil {
		a = &intake.MessageAnswer{}
	}
	var scope, key any // NULL without a key
	var request string
	if idem != nil {
		scope, key, request = idem.Scope, idem.Key, idem.Request
	}
	if _, err := tx.ExecContext(ctx, db.rebind(`INSERT INTO message_events (message_id, type, at, actor, text, cannot_complete, certificate_id,
			idempotency_scope, idempotency_key, request_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		id, event, db.timeArg(at), by, a.Text, a.CannotComplete, a.Certificate, scope, key, request); err != nil {
		return err
	}
	to, moves := messageMoves[event]
	if !moves {
		return nil
	}
	_, err := tx.ExecContext(ctx, db.rebind(`UPDATE messages SET status = ? WHERE id = ?`), string(to), id)
	return err
}

// messageColumns are the columns scanMessage reads, in order.
const messageColumns = `id, certificate_id, unit_hsa_id, patient_id, type, text, reply_by, complements, sent_at, sent_by, status`

func (db *DB) scanMessage(row scanner) (*intake.Message, error) {
	var m intake.Message
	var typ, replyBy, complements, status string
	if err := row.Scan(&m.ID, &m.Certificate, &m.Unit, &m.PatientID, &typ, &m.Text, &replyBy, &complements, timeValue{&m.SentAt}, &m.SentBy, &status); err != nil {
		return nil, err
	}
	m.Type, m.Status = intake.MessageType(typ), intake.MessageStatus(status)
	if replyBy != "" {
		d, err := intake.ParseDate(replyBy)
		if err != nil {
			return nil, fmt.Errorf("message %s: reply by: %w", m.ID, err)
		}
		m.ReplyBy = d
	}
	if err := json.Unmarshal([]byte(complements), &m.Complements); err != nil {
		return nil, fmt.Errorf("message %s: complements: %w", m.ID, err)
	}
	m.SetOverdue(intake.DateOf(db.now()))
	return &m, nil
}

// FindMessageByID returns a message with its answer. Returns ENOTFOUND for
// an unknown id.
func (db *DB) FindMessageByID(ctx context.Context, id string) (*intake.Message, error) {
	m, err := db.scanMessage(db.read.QueryRowContext(ctx, db.rebind(`SELECT `+messageColumns+` FROM messages WHERE id = ?`), id))
	if err != nil {
		return nil, unavailable(fmt.Errorf("store: find message %s: %w", id, notFound(err, "notFound.message")))
	}
	if err := db.fillAnswers(ctx, []*intake.Message{m}); err != nil {
		return nil, unavailable(err)
	}
	return m, nil
}

// FindMessages returns the messages f selects: a certificate's oldest
// first (all of them), or across certificates newest first with a cursor
// for the next page ("" on the last).
func (db *DB) FindMessages(ctx context.Context, f intake.MessageFilter) ([]*intake.Message, string, error) {
	q, args, limit, err := db.messagesQuery(f)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, "", unavailable(fmt.Errorf("store: find messages: %w", err))
	}
	defer rows.Close()
	var out []*intake.Message
	for rows.Next() {
		m, err := db.scanMessage(rows)
		if err != nil {
			return nil, "", unavailable(fmt.Errorf("store: find messages: %w", err))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, "", unavailable(fmt.Errorf("store: find messages: %w", err))
	}
	rows.Close()
	next := ""
	if limit > 0 && len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = encodeCursor(messageCursors, last.SentAt, last.ID)
	}
	if err := db.fillAnswers(ctx, out); err != nil {
		return nil, "", unavailable(err)
	}
	if err := db.fillPatientNames(ctx, out); err != nil {
		return nil, "", unavailable(err)
	}
	return out, next, nil
}

// messagesQuery is FindMessages' query for f, in the database's
// placeholders, and the page's size (0: every message, of one
// certificate). A state, or overdue, is the queue's condition on a
// message (messageState).
func (db *DB) messagesQuery(f intake.MessageFilter) (q string, args []any, limit int, err error) {
	var where []string
	if f.Certificate != nil {
		where, args = append(where, "certificate_id = ?"), append(args, *f.Certificate)
	}
	if f.Units != nil {
		in, units := inList(*f.Units) // no unit: nothing matches
		where, args = append(where, "unit_hsa_id IN "+in), append(args, units...)
	}
	if f.Status != nil {
		m, margs := messageState("messages", string(*f.Status), f.Today)
		where, args = append(where, m), append(args, margs...)
	}
	if f.Overdue {
		m, margs := messageState("messages", "overdue", f.Today)
		where, args = append(where, m), append(args, margs...)
	}
	order := ` ORDER BY sent_at, id`
	if f.Certificate == nil {
		order = ` ORDER BY sent_at DESC, id DESC`
		limit = f.Limit
		if limit <= 0 {
			limit = 50
		}
		limit = min(limit, 500)
		if f.Cursor != "" {
			at, id, err := decodeCursor(messageCursors, f.Cursor)
			if err != nil {
				return "", nil, 0, err
			}
			where = append(where, afterCursor("sent_at", "id"))
			args = append(args, db.timeArg(at), db.timeArg(at), id)
		}
	}
	q = `SELECT ` + messageColumns + ` FROM messages`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, " AND ")
	}
	q += order
	if limit > 0 {
		q += fmt.Sprintf(` LIMIT %d`, limit+1)
	}
	return db.rebind(q), args, limit, nil
}

// fillPatientNames sets each message's PatientName from its certificate's
// record, in one query for the page.
func (db *DB) fillPatientNames(ctx context.Context, ms []*intake.Message) error {
	if len(ms) == 0 {
		return nil
	}
	var ids []string
	for _, m := range ms {
		if !slices.Contains(ids, m.Certificate) {
			ids = append(ids, m.Certificate)
		}
	}
	name := `json_extract(record, '$.patient.name')`
	if db.dialect == Postgres {
		name = `record->'patient'->>'name'`
	}
	in, args := inList(ids)
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT id, COALESCE(`+name+`, '') FROM certificates WHERE id IN `+in), args...)
	if err != nil {
		return fmt.Errorf("store: find messages' patients: %w", err)
	}
	defer rows.Close()
	names := map[string]string{}
	for rows.Next() {
		var id, n string
		if err := rows.Scan(&id, &n); err != nil {
			return fmt.Errorf("store: find messages' patients: %w", err)
		}
		names[id] = n
	}
	for _, m := range ms {
		m.PatientName = names[m.Certificate]
	}
	return rows.Err()
}

// fillAnswers sets the answer of every answered message in ms: its latest
// "answered" event.
func (db *DB) fillAnswers(ctx context.Context, ms []*intake.Message) error {
	byID := map[string]*intake.Message{}
	var args []any
	for _, m := range ms {
		if m.Status == intake.MessageAnswered {
			byID[m.ID] = m
			args = append(args, m.ID)
		}
	}
	if len(args) == 0 {
		return nil
	}
	args = append([]any{messageAnswer}, args...)
	rows, err := db.read.QueryContext(ctx, db.rebind(`SELECT message_id, text, cannot_complete, certificate_id, at, actor FROM message_events
		WHERE type = ? AND message_id IN (`+placeholders(len(args)-1)+`) ORDER BY id`), args...)
	if err != nil {
		return fmt.Errorf("store: find answers: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var a intake.MessageAnswer
		if err := rows.Scan(&id, &a.Text, &a.CannotComplete, &a.Certificate, timeValue{&a.At}, &a.By); err != nil {
			return fmt.Errorf("store: find answers: %w", err)
		}
		byID[id].Answer = &a // the latest wins
	}
	return rows.Err()
}
