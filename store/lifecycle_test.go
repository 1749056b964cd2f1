package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// lifecycle is a store with one stored original to relate to.
type lifecycle struct {
	t        *testing.T
	db       *store.DB
	original *intake.Certificate
}

func newLifecycle(t *testing.T, db *store.DB) *lifecycle {
	l := &lifecycle{t: t, db: db}
	l.original = l.create(nil)
	return l
}

// related runs the example through intake with a relation to target.
func (l *lifecycle) related(typ intake.RelationType, target string) (*intake.Certificate, []byte) {
	c, body := mustCertificate(l.t, "full-time-one-period.json")
	c.Relation = &intake.Relation{Type: typ, Certificate: target}
	c.Via = "tok-related"
	return c, body
}

// create stores a certificate, related to the original as rel says (nil:
// not related), failing the test on an error.
func (l *lifecycle) create(rel *intake.RelationType) *intake.Certificate {
	l.t.Helper()
	c, body := mustCertificate(l.t, "full-time-one-period.json")
	if rel != nil {
		c, body = l.related(*rel, l.original.ID)
	}
	stored, _, err := l.db.CreateCertificate(context.Background(), c, body, nil, nil)
	if err != nil {
		l.t.Fatalf("CreateCertificate(%v): %v", rel, err)
	}
	return stored
}

// refused stores a certificate with a relation to target and wants the
// error code and problem code.
func (l *lifecycle) refused(typ intake.RelationType, target, code, problem string) {
	l.t.Helper()
	c, body := l.related(typ, target)
	_, _, err := l.db.CreateCertificate(context.Background(), c, body, nil, nil)
	var e *intake.Error
	if intake.ErrorCode(err) != code || !asError(err, &e) || len(e.Problems) != 1 || e.Problems[0].Code != problem {
		l.t.Errorf("%s of %s: %v, want %s with %s", typ, target, err, code, problem)
	}
}

func (l *lifecycle) status(id string) intake.Status {
	l.t.Helper()
	c, err := l.db.FindCertificateByID(context.Background(), id)
	if err != nil {
		l.t.Fatal(err)
	}
	return c.Status
}

func (l *lifecycle) events(id string) []string {
	l.t.Helper()
	es, err := l.db.FindCertificateEvents(context.Background(), id)
	if err != nil {
		l.t.Fatal(err)
	}
	var types []string
	for _, e := range es {
		types = append(types, e.Type)
	}
	return types
}

func (l *lifecycle) ask(typ intake.MessageType) *intake.Message {
	l.t.Helper()
	m := &intake.Message{Certificate: l.original.ID, Type: typ, Text: "Fråga.", SentBy: "cw-1"}
	if typ == intake.MessageCompletion {
		m.Complements = []intake.Complement{{QuestionID: "32", Text: "Ange grad."}}
	}
	got, err := l.db.CreateMessage(context.Background(), m)
	if err != nil {
		l.t.Fatal(err)
	}
	return got
}

// TestReplace: a replacement makes the original replaced, once; a
// revoked replacement gives it back its status, handled included.
func TestReplace(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		if _, err := l.db.SetHandled(ctx, l.original.ID, true, "cw-1"); err != nil {
			t.Fatal(err)
		}
		replacement := l.create(ptr(intake.RelationReplaces))
		if got := l.status(l.original.ID); got != intake.StatusReplaced {
			t.Fatalf("original is %s after replacement", got)
		}
		orig, _ := l.db.FindCertificateByID(ctx, l.original.ID)
		if len(orig.Relations) != 1 || orig.Relations[0] != (intake.RelationLink{Type: intake.RelationReplaces, Certificate: replacement.ID, Direction: intake.DirectionIncoming}) {
			t.Errorf("original's relations = %+v", orig.Relations)
		}
		repl, _ := l.db.FindCertificateByID(ctx, replacement.ID)
		if len(repl.Relations) != 1 || repl.Relations[0].Direction != intake.DirectionOutgoing || repl.Relations[0].Certificate != l.original.ID {
			t.Errorf("replacement's relations = %+v", repl.Relations)
		}
		l.refused(intake.RelationReplaces, l.original.ID, intake.ECONFLICT, "certificateReplaced")
		l.create(ptr(intake.RelationRenews)) // a replaced certificate may still be renewed

		if _, err := l.db.RevokeCertificate(ctx, replacement.ID, intake.RevokeSeriousError, "Fel.", "tok-1"); err != nil {
			t.Fatal(err)
		}
		if got := l.status(l.original.ID); got != intake.StatusHandled {
			t.Errorf("original is %s after its replacement was revoked, want handled", got)
		}
		want := "received handled replaced renewed unreplaced"
		if got := join(l.events(l.original.ID)); got != want {
			t.Errorf("events = %s, want %s", got, want)
		}
		// The events a submission causes on the original are by its
		// issuer, via what it came through, as its own received event is.
		if es, err := l.db.FindCertificateEvents(ctx, l.original.ID); err != nil || len(es) != 5 ||
			es[2].By != replacement.Issuer.HSAID || es[2].Via != "tok-related" || es[3].Via != "tok-related" || es[4].By != "tok-1" || es[4].Via != "" {
			t.Errorf("events = %+v, %v; want replaced and renewed by the issuer via tok-related, unreplaced by tok-1", es, err)
		}
		l.create(ptr(intake.RelationReplaces)) // free to be replaced again
		if _, err := l.db.RevokeCertificate(ctx, l.original.ID, intake.RevokeWrongPatient, "", "tok-1"); err != nil {
			t.Fatal(err)
		}
		for _, typ := range []intake.RelationType{intake.RelationReplaces, intake.RelationCompletes, intake.RelationRenews} {
			l.refused(typ, l.original.ID, intake.ECONFLICT, "certificateRevoked")
		}
	})
}

// TestRelationRefusals: an unknown certificate, another unit's, another
// patient's or template's is refused at /relation, and nothing is stored.
func TestRelationRefusals(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		l.refused(intake.RelationReplaces, "no-such-certificate", intake.EINVALID, "notFound")

		c, body := l.related(intake.RelationReplaces, l.original.ID)
		c.Issuer.Unit.HSAID = "SE2321000016-9999"
		if _, _, err := l.db.CreateCertificate(ctx, c, body, nil, nil); !hasProblem(err, "/relation/certificate", "notFound") {
			t.Errorf("another unit's certificate: %v", err)
		}
		c, body = l.related(intake.RelationRenews, l.original.ID)
		c.Patient.ID = "191212121212"
		if _, _, err := l.db.CreateCertificate(ctx, c, body, nil, nil); !hasProblem(err, "/relation", "relationMismatch") {
			t.Errorf("another patient: %v", err)
		}
		c, body = l.related(intake.RelationCompletes, l.original.ID)
		c.Template = "fk7810"
		if _, _, err := l.db.CreateCertificate(ctx, c, body, nil, nil); !hasProblem(err, "/relation", "relationMismatch") {
			t.Errorf("another template: %v", err)
		}
		if n, _ := l.db.CountCertificates(ctx); n != 1 {
			t.Errorf("%d certificates stored, want only the original", n)
		}
		if got := l.status(l.original.ID); got != intake.StatusReceived {
			t.Errorf("original is %s", got)
		}
	})
}

// TestConcurrentReplacements: of several replacements of one original at
// once, exactly one is stored.
func TestConcurrentReplacements(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		l := newLifecycle(t, open(t))
		for _, typ := range []intake.RelationType{intake.RelationReplaces, intake.RelationCompletes} {
			if typ == intake.RelationCompletes {
				// Start again from a fresh original with an open request.
				l.original = l.create(nil)
				l.ask(intake.MessageCompletion)
			}
			const n = 8
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					c, body := l.related(typ, l.original.ID)
					_, _, errs[i] = l.db.CreateCertificate(context.Background(), c, body, nil, nil)
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch intake.ErrorCode(err) {
				case "":
					won++
				case intake.ECONFLICT:
				default:
					t.Errorf("%s: %v", typ, err)
				}
			}
			if won != 1 {
				t.Errorf("%s: %d of %d concurrent relations accepted, want exactly 1", typ, won, n)
			}
		}
	})
}

// TestCompletion: a completion needs an open completion request and
// answers it; a replacement is refused while one is open; revoking the
// completing certificate opens the request again.
func TestCompletion(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		l.refused(intake.RelationCompletes, l.original.ID, intake.ECONFLICT, "noOpenCompletionRequest")
		contact := l.ask(intake.MessageContact)
		l.refused(intake.RelationCompletes, l.original.ID, intake.ECONFLICT, "noOpenCompletionRequest")
		req := l.ask(intake.MessageCompletion)
		if req.Status != intake.MessageOpen || req.Unit != l.original.Issuer.Unit.HSAID || req.ID == "" {
			t.Fatalf("request = %+v", req)
		}
		l.refused(intake.RelationReplaces, l.original.ID, intake.ECONFLICT, "completionRequestOpen")
		if c, _ := l.db.FindCertificateByID(ctx, l.original.ID); c.OpenMessages != 2 {
			t.Errorf("openMessages = %d, want 2", c.OpenMessages)
		}

		completing := l.create(ptr(intake.RelationCompletes))
		got, err := l.db.FindMessageByID(ctx, req.ID)
		if err != nil || got.Status != intake.MessageAnswered || got.Answer == nil || got.Answer.Certificate != completing.ID {
			t.Fatalf("request after completion = %+v, %v", got, err)
		}
		if got, _ := l.db.FindMessageByID(ctx, contact.ID); got.Status != intake.MessageOpen {
			t.Errorf("the contact message is %s, want still open", got.Status)
		}
		if got := l.status(l.original.ID); got != intake.StatusReplaced {
			t.Errorf("original is %s after completion", got)
		}
		l.refused(intake.RelationCompletes, l.original.ID, intake.ECONFLICT, "noOpenCompletionRequest")

		if _, err := l.db.RevokeCertificate(ctx, completing.ID, intake.RevokeSeriousError, "Fel.", "tok-1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := l.db.FindMessageByID(ctx, req.ID); got.Status != intake.MessageOpen {
			t.Errorf("request is %s after the completing certificate was revoked, want open", got.Status)
		}
		if got := l.status(l.original.ID); got != intake.StatusReceived {
			t.Errorf("original is %s, want received", got)
		}
		want := "received messageSent messageSent messageAnswered replaced unreplaced"
		if got := join(l.events(l.original.ID)); got != want {
			t.Errorf("events = %s, want %s", got, want)
		}
		l.create(ptr(intake.RelationCompletes)) // the reopened request can be completed again

		// A request sent after the original was replaced is answered by
		// a completion too: the contract asks only that one is open.
		later := l.ask(intake.MessageCompletion)
		second := l.create(ptr(intake.RelationCompletes))
		if got, _ := l.db.FindMessageByID(ctx, later.ID); got.Status != intake.MessageAnswered || got.Answer == nil || got.Answer.Certificate != second.ID {
			t.Errorf("the later request after its completion = %+v", got)
		}
		if got := l.status(l.original.ID); got != intake.StatusReplaced {
			t.Errorf("original is %s after the second completion", got)
		}
		l.refused(intake.RelationReplaces, l.original.ID, intake.ECONFLICT, "certificateReplaced")
	})
}

// TestMessages: answers once, lists by unit, status and overdue, and a
// revoked certificate's open messages closed.
func TestMessages(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		contact := l.ask(intake.MessageContact)
		other := l.ask(intake.MessageOther)
		answer := &intake.MessageAnswer{Text: "Ring mig.", By: "asa"}
		got, err := l.db.AnswerMessage(ctx, contact.ID, answer)
		if err != nil || got.Status != intake.MessageAnswered || got.Answer == nil || got.Answer.Text != "Ring mig." || got.Answer.By != "asa" {
			t.Fatalf("AnswerMessage() = %+v, %v", got, err)
		}
		if _, err := l.db.AnswerMessage(ctx, contact.ID, answer); !hasProblem(err, "", "messageClosed") {
			t.Errorf("answering twice: %v", err)
		}
		if _, err := l.db.AnswerMessage(ctx, "nope", answer); intake.ErrorCode(err) != intake.ENOTFOUND {
			t.Errorf("unknown message: %v", err)
		}

		list := func(f intake.MessageFilter) string {
			ms, _, err := l.db.FindMessages(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, m := range ms {
				ids = append(ids, m.ID)
			}
			return join(ids)
		}
		unit := []string{l.original.Issuer.Unit.HSAID}
		if got, want := list(intake.MessageFilter{Certificate: &l.original.ID}), join([]string{contact.ID, other.ID}); got != want {
			t.Errorf("certificate's messages = %s, want oldest first %s", got, want)
		}
		if got, want := list(intake.MessageFilter{Units: &unit}), join([]string{other.ID, contact.ID}); got != want {
			t.Errorf("unit's messages = %s, want newest first %s", got, want)
		}
		if got := list(intake.MessageFilter{Units: &[]string{"SE2321000016-9999"}}); got != "" {
			t.Errorf("another unit sees %s", got)
		}
		if got := list(intake.MessageFilter{Status: ptr(intake.MessageOpen)}); got != other.ID {
			t.Errorf("open = %s, want %s", got, other.ID)
		}
		// Page by page, a cursor each: every message once, newest first.
		for range 3 {
			l.ask(intake.MessageContact)
		}
		all := list(intake.MessageFilter{Units: &unit})
		var paged []string
		for f := (intake.MessageFilter{Units: &unit, Limit: 2}); ; {
			ms, next, err := l.db.FindMessages(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range ms {
				paged = append(paged, m.ID)
			}
			if next == "" || len(paged) > 5 {
				break
			}
			f.Cursor = next
		}
		if got := join(paged); got != all || len(paged) != 5 {
			t.Errorf("unit's messages two a page = %s, want %s", got, all)
		}

		if _, err := l.db.RevokeCertificate(ctx, l.original.ID, intake.RevokeWrongPatient, "", "tok-1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := l.db.FindMessageByID(ctx, other.ID); got.Status != intake.MessageClosed {
			t.Errorf("open message is %s after revocation, want closed", got.Status)
		}
		if got, _ := l.db.FindMessageByID(ctx, contact.ID); got.Status != intake.MessageAnswered {
			t.Errorf("answered message is %s after revocation", got.Status)
		}
		if _, err := l.db.CreateMessage(ctx, &intake.Message{Certificate: l.original.ID, Type: intake.MessageOther, Text: "?", SentBy: "cw"}); !hasProblem(err, "", "certificateRevoked") {
			t.Errorf("message about a revoked certificate: %v", err)
		}
	})
}

// TestOverdue: an open message past its reply-by date is overdue, in the
// message and in the lists.
func TestOverdue(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		today := intake.DateOf(time.Now())
		late, err := l.db.CreateMessage(ctx, &intake.Message{Certificate: l.original.ID, Type: intake.MessageOther, Text: "?", SentBy: "cw", ReplyBy: today.AddDays(-1)})
		if err != nil || !late.Overdue {
			t.Fatalf("late message = %+v, %v", late, err)
		}
		onTime, _ := l.db.CreateMessage(ctx, &intake.Message{Certificate: l.original.ID, Type: intake.MessageOther, Text: "?", SentBy: "cw", ReplyBy: today})
		if onTime.Overdue {
			t.Errorf("a message due today is overdue")
		}
		ms, _, err := l.db.FindMessages(ctx, intake.MessageFilter{Overdue: true, Today: today})
		if err != nil || len(ms) != 1 || ms[0].ID != late.ID {
			t.Errorf("overdue messages = %v, %v", ms, err)
		}
		certs, _, err := l.db.FindCertificates(ctx, intake.CertificateFilter{Messages: ptr("overdue"), Today: today})
		if err != nil || len(certs) != 1 || certs[0].OverdueMessages != 1 || certs[0].OpenMessages != 2 {
			t.Errorf("certificates with overdue messages = %v, %v", certs, err)
		}
		if certs, _, _ := l.db.FindCertificates(ctx, intake.CertificateFilter{Messages: ptr("answered"), Today: today}); len(certs) != 0 {
			t.Errorf("%d certificates with answered messages, want 0", len(certs))
		}
	})
}

func join(s []string) string { return strings.Join(s, " ") }

func asError(err error, target **intake.Error) bool { return errors.As(err, target) }

// hasProblem reports whether err is an *intake.Error with a problem of
// code at pointer.
func hasProblem(err error, pointer, code string) bool {
	var e *intake.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, p := range e.Problems {
		if p.Pointer == pointer && p.Code == code {
			return true
		}
	}
	return false
}

// TestRevokedOriginalStaysClosed: when the original was revoked after it
// was completed, revoking the completing certificate does not open the
// request again, and does not leave it answered by a revoked certificate:
// it closes, as a revoked certificate's open messages do.
func TestRevokedOriginalStaysClosed(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		req := l.ask(intake.MessageCompletion)
		completing := l.create(ptr(intake.RelationCompletes))
		if _, err := l.db.RevokeCertificate(ctx, l.original.ID, intake.RevokeWrongPatient, "", "tok-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := l.db.RevokeCertificate(ctx, completing.ID, intake.RevokeWrongPatient, "", "tok-1"); err != nil {
			t.Fatal(err)
		}
		if got, _ := l.db.FindMessageByID(ctx, req.ID); got.Status != intake.MessageClosed {
			t.Errorf("the revoked original's request answered by a revoked certificate is %s, want closed", got.Status)
		}
		if c, _ := l.db.FindCertificateByID(ctx, l.original.ID); c.Status != intake.StatusRevoked || c.OpenMessages != 0 {
			t.Errorf("original: %s with %d open messages, want revoked with none", c.Status, c.OpenMessages)
		}
	})
}

// TestEventsOldestFirst: a certificate's events are listed by their times,
// also one written after another but stamped before it (its time taken
// before it waited for a lock), on either database.
func TestEventsOldestFirst(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		received := l.original.ReceivedAt
		l.db.Now = func() time.Time { return received.Add(2 * time.Second) }
		if _, err := l.db.SetHandled(ctx, l.original.ID, true, "cw-1"); err != nil {
			t.Fatal(err)
		}
		if err := l.db.Exec(ctx, `INSERT INTO certificate_events (certificate_id, status, at, actor) VALUES (?, 'messageSent', ?, 'cw-2')`,
			l.original.ID, received.Add(time.Second).UTC().Format("2006-01-02T15:04:05.000000Z")); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(l.events(l.original.ID), " "); got != "received messageSent handled" {
			t.Errorf("events %s, want received messageSent handled", got)
		}
	})
}

// TestIDsThatCannotExist: an id with a NUL or invalid UTF-8 (PostgreSQL
// refuses either in a query) is simply not found on both databases, as a
// relation target and as a certificate, not an error. (SQLite never
// found them; the check bites on PostgreSQL, which refused the query.)
func TestIDsThatCannotExist(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		db := open(t)
		for _, id := range []string{"\x00abc", "ab\xffcd"} {
			if tgt, err := db.FindRelationTarget(context.Background(), id); err != nil || tgt.Found {
				t.Errorf("relation target %q: %+v, %v; want not found", id, tgt, err)
			}
			if _, err := db.FindCertificateByID(context.Background(), id); intake.ErrorCode(err) != intake.ENOTFOUND {
				t.Errorf("certificate %q: %v, want ENOTFOUND", id, err)
			}
		}
	})
}
