package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// messageStore keeps the messages between caseworkers and issuing units.
type messageStore interface {
	CreateMessageOnce(ctx context.Context, m *intake.Message, idem *intake.Idempotency) (*intake.Message, bool, error)
	FindMessageByIdempotencyKey(ctx context.Context, idem intake.Idempotency) (*intake.Message, error)
	AnswerKeyUsed(ctx context.Context, idem intake.Idempotency) (bool, error)
	AnswerMessageOnce(ctx context.Context, id string, a *intake.MessageAnswer, idem *intake.Idempotency) (*intake.Message, bool, error)
	FindMessageByID(ctx context.Context, id string) (*intake.Message, error)
	FindMessages(ctx context.Context, f intake.MessageFilter) ([]*intake.Message, string, error)
}

// maxMessageBody bounds a message request, as JSON or a page's form: one
// at the contract's limits (a text and 20 complements of 3,500 characters)
// fits with every character escaped (\uD83D\uDE00, %F0%9F%98%80: 12 bytes).
const maxMessageBody = 1 << 20

// maxRevocationBody bounds a revocation request in the same way (a
// message of 3,500 characters).
const maxRevocationBody = 64 << 10

// messageList is a page of messages.
type messageList struct {
	Items []*intake.Message `json:"items"`
	// Next is the URL of the next page, if any.
	Next string `json:"next,omitempty"`
}

// isQuestionOf returns whether an id names a question of t.
func isQuestionOf(t *schemas.Template) func(string) bool {
	return func(id string) bool {
		_, ok := t.Form.QuestionByID(id)
		return ok
	}
}

// parseMessage checks a message about certificate c as a caseworker sends
// it: EINVALID with every problem.
func parseMessage(eng *intake.Engine, c *intake.Certificate, doc map[string]any, now time.Time) (*intake.Message, error) {
	t, ok := eng.Template(c.Template, c.Version)
	if !ok {
		return nil, intake.Errorf(intake.EINTERNAL, "certificate %s names unknown template %s/%s", c.ID, c.Template, c.Version)
	}
	m, ps := intake.ParseMessage(doc, isQuestionOf(t), intake.DateOf(now))
	if len(ps) > 0 {
		return nil, intake.Failure(intake.EINVALID, "invalid.message").WithProblems(ps)
	}
	return m, nil
}

// sendMessage checks a message about certificate c as a caseworker sends
// it (parseMessage) and stores it (storeMessage). Under an idempotency key
// (idem not nil) the message already sent under it is the answer, with
// true: a retry is answered as the first try was, even once the
// certificate is revoked or the body's replyBy has passed.
func sendMessage(r *http.Request, eng *intake.Engine, messages messageStore, audit auditStore, c *intake.Certificate, doc map[string]any, now time.Time, idem *intake.Idempotency) (*intake.Message, bool, error) {
	if idem != nil {
		prior, err := messages.FindMessageByIdempotencyKey(r.Context(), *idem)
		switch {
		case err == nil:
			if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "message.send", c)); err != nil {
				return nil, false, err
			}
			return prior, true, nil
		case intake.ErrorCode(err) == intake.ECONFLICT:
			// Another request under the key: one that is not a valid
			// message is its 422 first, as a submission's is.
			if _, perr := parseMessage(eng, c, doc, now); perr != nil {
				return nil, false, perr
			}
			return nil, false, err
		case intake.ErrorCode(err) != intake.ENOTFOUND:
			return nil, false, err
		}
	}
	m, err := parseMessage(eng, c, doc, now)
	if err != nil {
		return nil, false, err
	}
	return storeMessage(r, messages, audit, c, m, idem)
}

// storeMessage stores message m (parseMessage) about certificate c, after
// writing the access-log entry, unless intake.CheckMessageTo refuses it
// (a revoked certificate).
// Under an idempotency key, the message stored under it by the same
// request is the answer, with true (store.CreateMessageOnce).
func storeMessage(r *http.Request, messages messageStore, audit auditStore, c *intake.Certificate, m *intake.Message, idem *intake.Idempotency) (*intake.Message, bool, error) {
	if err := intake.CheckMessageTo(c.Status); err != nil {
		return nil, false, err
	}
	if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "message.send", c)); err != nil {
		return nil, false, err
	}
	m.Certificate, m.SentBy = c.ID, actorID(actorFrom(r.Context()))
	return messages.CreateMessageOnce(r.Context(), m, idem)
}

// requestHash names a request under an idempotency key where what it
// stores does not: the resource it was sent to and its body.
func requestHash(id string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(id))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// handleMessageCreate handles POST /api/v1/certificates/{id}/messages: a
// caseworker asks the issuing unit something (KOMPLT naming the template's
// question ids, KONTKT, AVSTMN, OVRIGT); 201 with the open message, 409 on
// a revoked certificate.
func handleMessageCreate(logger *slog.Logger, eng *intake.Engine, certs certificateStore, messages messageStore, audit auditStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		key, err := idempotencyKey(r.Header)
		if err != nil {
			return err
		}
		body, err := readBody(w, r, maxMessageBody)
		if err != nil {
			return err
		}
		doc, err := intake.Decode(body, maxMessageBody)
		if err != nil {
			return err
		}
		var idem *intake.Idempotency
		if key != "" {
			// The agency's key, whichever of its tokens sends it, as a
			// certificate's belongs to its unit: a retry through a token
			// rotated in is a replay, not a second message.
			idem = &intake.Idempotency{Scope: "api:caseworkers", Key: key, Request: requestHash(c.ID, body)}
		}
		m, replay, err := sendMessage(r, eng, messages, audit, c, doc, now(), idem)
		if err != nil {
			return err
		}
		if replay {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		w.Header().Set("Location", "/api/v1/messages/"+m.ID)
		encode(w, http.StatusCreated, m)
		return nil
	})
}

// handleMessage handles GET /api/v1/messages/{id}: one message, for
// caseworkers and the issuing unit (whose other units' messages are not
// found), its read in the access log. A new message's Location.
func handleMessage(logger *slog.Logger, messages messageStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		m, err := messages.FindMessageByID(r.Context(), mux.Vars(r)["id"])
		if err != nil {
			return err
		}
		a := actorFrom(r.Context())
		if a.UnitBound() && !a.CoversUnit(m.Unit) {
			return intake.Failure(intake.ENOTFOUND, "notFound.message")
		}
		e := a.Audit("message.read", r.RemoteAddr)
		e.CertificateID, e.PatientID = m.Certificate, m.PatientID
		if err := audit.CreateAuditEntry(r.Context(), e); err != nil {
			return err
		}
		encode(w, http.StatusOK, m)
		return nil
	})
}

// handleCertificateMessages handles GET /api/v1/certificates/{id}/messages:
// the certificate's messages, oldest first, for caseworkers and the
// issuing unit.
func handleCertificateMessages(logger *slog.Logger, certs certificateStore, messages messageStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if err := noParams(r); err != nil {
			return err
		}
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "message.list", c)); err != nil {
			return err
		}
		ms, _, err := messages.FindMessages(r.Context(), intake.MessageFilter{Certificate: &c.ID})
		if err != nil {
			return err
		}
		encode(w, http.StatusOK, messageList{Items: nonNilMessages(ms)})
		return nil
	})
}

// messageFilter reads a message search's filters from q (status, overdue,
// cursor, limit), as the actor may search: clinic tokens and physicians
// their own units' messages only.
func messageFilter(r *http.Request, now time.Time, q url.Values) (intake.MessageFilter, *queryParser, error) {
	p := newQueryParser(q, now, "status", "overdue", "cursor", "limit")
	f := intake.MessageFilter{Today: intake.DateOf(now), Limit: p.limit(), Cursor: p.cursor()}
	if s := p.text("status"); s != nil {
		st := intake.MessageStatus(*s)
		if !st.Valid() {
			p.bad("status", "param.status", nil)
		}
		f.Status = &st
	}
	if o := p.flag("overdue"); o != nil {
		f.Overdue = *o
	}
	if err := p.err(); err != nil {
		return f, p, err
	}
	if a := actorFrom(r.Context()); a.UnitBound() {
		units := a.Units
		f.Units = &units
	}
	return f, p, nil
}

// handleMessageList handles GET /api/v1/messages?status=&overdue=: messages
// across certificates, newest first, in cursor pages; every patient whose
// certificate a message is about is written to the access log.
func handleMessageList(logger *slog.Logger, messages messageStore, audit auditStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		f, p, err := messageFilter(r, now(), r.URL.Query())
		if err != nil {
			return err
		}
		ms, next, err := messages.FindMessages(r.Context(), f)
		if err != nil {
			return err
		}
		if err := logMessagePatients(r, audit, "message.search", p.query(), ms); err != nil {
			return err
		}
		resp := messageList{Items: nonNilMessages(ms)}
		if next != "" {
			q := r.URL.Query()
			q.Set("cursor", next)
			resp.Next = "/api/v1/messages?" + q.Encode()
		}
		encode(w, http.StatusOK, resp)
		return nil
	})
}

// logMessagePatients writes one access-log entry per patient the messages
// are about.
func logMessagePatients(r *http.Request, audit auditStore, action, query string, ms []*intake.Message) error {
	var patients []string
	for _, m := range ms {
		patients = append(patients, m.PatientID)
	}
	base := actorFrom(r.Context()).Audit(action, r.RemoteAddr)
	base.Query = query
	return logPatients(r.Context(), audit, *base, patients)
}

func nonNilMessages(ms []*intake.Message) []*intake.Message {
	if ms == nil {
		return []*intake.Message{}
	}
	return ms
}

// findAnswerable returns the message in the URL if the actor's unit is
// the one to answer it (others: not found).
func findAnswerable(r *http.Request, messages messageStore) (*intake.Message, error) {
	m, err := messages.FindMessageByID(r.Context(), mux.Vars(r)["id"])
	if err != nil {
		return nil, err
	}
	if a := actorFrom(r.Context()); !a.Issues() || !a.CoversUnit(m.Unit) {
		return nil, intake.Failure(intake.ENOTFOUND, "notFound.message")
	}
	return m, nil
}

// answerMessage stores a text answer to m (for a completion request, why
// it cannot be completed) by the request's actor. Under an idempotency key
// (idem not nil) the answer already given under it is the answer, with
// true, even though the message is answered now: a retry is answered as
// the first try was (store.AnswerMessageOnce).
func answerMessage(r *http.Request, messages messageStore, audit auditStore, m *intake.Message, doc map[string]any, idem *intake.Idempotency) (*intake.Message, bool, error) {
	if m.Status != intake.MessageOpen && idem == nil {
		return nil, false, intake.Refusal("messageClosed")
	}
	a, ps := intake.ParseAnswer(doc, m.Type)
	if len(ps) > 0 {
		return nil, false, intake.Failure(intake.EINVALID, "invalid.answer").WithProblems(ps)
	}
	if err := audit.CreateAuditEntry(r.Context(), answerEntry(r, m)); err != nil {
		return nil, false, err
	}
	a.By = actorID(actorFrom(r.Context()))
	return messages.AnswerMessageOnce(r.Context(), m.ID, a, idem)
}

// answerEntry is the access-log entry of the actor answering m, whose
// answer shows the request.
func answerEntry(r *http.Request, m *intake.Message) *intake.AuditEntry {
	e := actorFrom(r.Context()).Audit("message.answer", r.RemoteAddr)
	e.CertificateID, e.PatientID = m.Certificate, m.PatientID
	return e
}

// handleMessageAnswer handles POST /api/v1/messages/{id}/answer: the
// issuing unit answers with a text, or a completion request with
// {cannotComplete, text} or with a certificate that COMPLETES the original
// (stored as POST /api/v1/certificates would). 200 with the answered
// message; 409 when it is already answered or closed. Idempotency-Key
// makes a retry safe, as for submissions: a text answer's key is kept with
// the answer, a certificate's with the certificate (the unit's key, as
// POST /api/v1/certificates keeps it); the same request again is 200 with
// the message as it is now and Idempotent-Replayed, another under the key
// 409 idempotencyKeyReused.
func handleMessageAnswer(logger *slog.Logger, sub *submitter, messages messageStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		m, err := findAnswerable(r, messages)
		if err != nil {
			return err
		}
		key, err := idempotencyKey(r.Header)
		if err != nil {
			return err
		}
		body, err := readBody(w, r, sub.eng.MaxBytes())
		if err != nil {
			return err
		}
		doc, err := intake.Decode(body, sub.eng.MaxBytes())
		if err != nil {
			return err
		}
		answered, replay, err := answerWith(r, sub, messages, audit, m, body, doc, key)
		if err != nil {
			return err
		}
		if replay {
			w.Header().Set("Idempotent-Replayed", "true")
		}
		encode(w, http.StatusOK, answered)
		return nil
	})
}

// answerWith answers m with the request's body (decoded as doc), a text
// or a completing certificate, under the Idempotency-Key key ("": none).
// It returns the message as answered, and true for a retry of an answer
// given under the key.
func answerWith(r *http.Request, sub *submitter, messages messageStore, audit auditStore, m *intake.Message, body []byte, doc map[string]any, key string) (*intake.Message, bool, error) {
	if _, isCertificate := doc["template"]; !isCertificate {
		var idem *intake.Idempotency
		if key != "" {
			idem = &intake.Idempotency{Scope: m.Unit, Key: key, Request: requestHash(m.ID, body)}
		}
		return answerMessage(r, messages, audit, m, doc, idem)
	}
	if m.Status != intake.MessageOpen {
		// Without a certificate stored under the key, a closed request
		// is refused before anything is stored: a completion would answer
		// the certificate's other open requests.
		if key == "" {
			return nil, false, intake.Refusal("messageClosed")
		}
		_, err := sub.certs.FindCertificateByIdempotencyKey(r.Context(), intake.Idempotency{Scope: m.Unit, Key: key})
		if intake.ErrorCode(err) == intake.ENOTFOUND {
			return nil, false, intake.Refusal("messageClosed")
		}
		if err != nil {
			return nil, false, err
		}
	}
	if m.Type != intake.MessageCompletion {
		// The code the contract's clients know for a certificate that
		// answers nothing, in words that say what to send instead.
		return nil, false, intake.Failure(intake.EINVALID, "lifecycle.answerWithText").
			WithProblems(intake.Problems{intake.NewProblem("/relation", "relationMismatch", "lifecycle.answerWithText", nil)})
	}
	rel, _ := doc["relation"].(map[string]any)
	if rel["type"] != string(intake.RelationCompletes) || rel["certificate"] != m.Certificate {
		return nil, false, intake.Failure(intake.EINVALID, "lifecycle.answerCertificate").
			WithProblems(intake.Problems{intake.NewProblem("/relation", "relationMismatch", "lifecycle.answerCertificate", nil)})
	}
	if key != "" {
		// The unit's key is one answer's: a text answer's is not a
		// certificate's too.
		used, err := messages.AnswerKeyUsed(r.Context(), intake.Idempotency{Scope: m.Unit, Key: key})
		if err != nil {
			return nil, false, err
		}
		if used {
			return nil, false, intake.KeyReused("idempotency.keyReusedAnswer")
		}
	}
	// The answer shows the request, as a text answer's does: logged
	// first, so that an access log that cannot be written refuses the
	// answer rather than follows a change already kept.
	if err := audit.CreateAuditEntry(r.Context(), answerEntry(r, m)); err != nil {
		return nil, false, err
	}
	stored, replay, err := sub.submit(r.Context(), actorFrom(r.Context()), body, func(unit string) *intake.Idempotency {
		if key == "" {
			return nil
		}
		return &intake.Idempotency{Scope: unit, Key: key}
	}, false)
	if err != nil {
		// Another answer (or a revocation) that closed the request
		// since it was read above is the answer's conflict, not the
		// completion's; a key used with other bytes stays the key's.
		if intake.ErrorCode(err) == intake.ECONFLICT && !intake.IsKeyReused(err) {
			if current, ferr := messages.FindMessageByID(r.Context(), m.ID); ferr == nil && current.Status != intake.MessageOpen {
				return nil, false, intake.Refusal("messageClosed")
			}
		}
		return nil, false, err
	}
	answered, err := messages.FindMessageByID(r.Context(), m.ID)
	if err != nil {
		return nil, false, err
	}
	if replay && (answered.Answer == nil || answered.Answer.Certificate != stored.ID) {
		// The certificate stored under the key answers no request of
		// this message (it was stored before the message was sent, or
		// answers it no more): the key was used for another request.
		return nil, false, intake.KeyReused("idempotency.keyReused")
	}
	return answered, replay, nil
}
