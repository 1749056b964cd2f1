package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

// replacedPairs stores n originals, each replaced by a certificate of its
// own, and returns their ids.
func replacedPairs(t *testing.T, l *lifecycle, n int) (originals, replacements []string) {
	t.Helper()
	for range n {
		o := l.create(nil)
		c, body := l.related(intake.RelationReplaces, o.ID)
		r, _, err := l.db.CreateCertificate(context.Background(), c, body, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		originals, replacements = append(originals, o.ID), append(replacements, r.ID)
	}
	return originals, replacements
}

// TestRevokeOriginalAndReplacementAtOnce: a clinic revokes a
// certificate written for the wrong patient and its replacement at the
// same time. Whatever the order, both end revoked, on either database.
func TestRevokeOriginalAndReplacementAtOnce(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		revoked := 0
		for round := 0; round < 4 && !t.Failed(); round++ {
			originals, replacements := replacedPairs(t, l, 24)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range originals {
				for _, id := range []string{originals[i], replacements[i]} {
					wg.Go(func() {
						<-start
						if _, err := l.db.RevokeCertificate(ctx, id, intake.RevokeWrongPatient, "", "tok-1"); err != nil {
							t.Errorf("revoke %s: %v", id, err)
						}
					})
				}
			}
			close(start)
			wg.Wait()
			revoked += 2 * len(originals)
			for i, id := range originals {
				c, err := l.db.FindCertificateByID(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if c.Status != intake.StatusRevoked || c.Revocation == nil {
					t.Errorf("round %d, original %d revoked together with its replacement: status %s, revocation %v; want revoked", round, i, c.Status, c.Revocation)
				}
			}
			counts, err := l.db.CountCertificatesByStatus(ctx, intake.CertificateFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if counts[intake.StatusRevoked] != revoked {
				t.Errorf("round %d: counts per status %v, want %d revoked", round, counts, revoked)
			}
		}
	})
}

// TestHandleWhileReplacementRevoked: a caseworker marks an original
// handled while its replacement is revoked. Both done, the original is
// handled (it is no longer replaced), on either database.
func TestHandleWhileReplacementRevoked(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		for round := 0; round < 4 && !t.Failed(); round++ {
			originals, replacements := replacedPairs(t, l, 24)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range originals {
				wg.Go(func() {
					<-start
					if _, err := l.db.SetHandled(ctx, originals[i], true, "cw-1"); err != nil {
						t.Errorf("handle %s: %v", originals[i], err)
					}
				})
				wg.Go(func() {
					<-start
					if _, err := l.db.RevokeCertificate(ctx, replacements[i], intake.RevokeSeriousError, "Fel.", "tok-1"); err != nil {
						t.Errorf("revoke %s: %v", replacements[i], err)
					}
				})
			}
			close(start)
			wg.Wait()
			for i, id := range originals {
				if got := l.status(id); got != intake.StatusHandled {
					t.Errorf("round %d, original %d: handled while its replacement was revoked: status %s, want handled", round, i, got)
				}
			}
		}
	})
}

// TestConcurrentKeyedReplacementReplays: a client that retries a
// replacement under the same Idempotency-Key while the first try is still
// in flight gets the stored replacement back (a replay), never a 409, on
// either database.
func TestConcurrentKeyedReplacementReplays(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		const originals = 12
		var targets []string
		for range originals {
			targets = append(targets, l.create(nil).ID)
		}
		type outcome struct {
			id     string
			replay bool
			err    error
		}
		got := make([][2]outcome, originals)
		var wg sync.WaitGroup
		for i, target := range targets {
			for j := range 2 {
				wg.Go(func() {
					c, body := l.related(intake.RelationReplaces, target)
					idem := &intake.Idempotency{Scope: c.Issuer.Unit.HSAID, Key: fmt.Sprintf("replace-%d", i)}
					s, replay, err := l.db.CreateCertificate(ctx, c, body, idem, nil)
					o := outcome{replay: replay, err: err}
					if s != nil {
						o.id = s.ID
					}
					got[i][j] = o
				})
			}
		}
		wg.Wait()
		for i, pair := range got {
			for _, o := range pair {
				if o.err != nil {
					t.Errorf("original %d: the same replacement under the same key: %v, want it stored or replayed", i, o.err)
				}
			}
			if pair[0].err == nil && pair[1].err == nil && pair[0].id != pair[1].id {
				t.Errorf("original %d: two certificates %s and %s under one key", i, pair[0].id, pair[1].id)
			}
		}
	})
}

// TestAnswerWhileRevokedOrCompleted: a clinic answers a completion request
// while its certificate is revoked, or completed by a certificate, at the
// same moment. One of the two goes through and the other is refused as
// the contract says (409), on either database: on PostgreSQL the answer
// had locked the message before the certificate, and the others lock the
// certificate before its messages, so that each waited for the other
// (a deadlock, answered 503).
func TestAnswerWhileRevokedOrCompleted(t *testing.T) {
	dialects(t, func(t *testing.T, open func(t *testing.T) *store.DB) {
		ctx := context.Background()
		l := newLifecycle(t, open(t))
		answer := &intake.MessageAnswer{CannotComplete: intake.CannotNoFurtherInfo, Text: "Inget mer att tillägga.", By: "asa"}
		refusedAs := func(err error, codes ...string) bool {
			for _, code := range codes {
				if intake.ErrorCode(err) == intake.ECONFLICT && hasProblem(err, "", code) {
					return true
				}
			}
			return false
		}
		for _, other := range []string{"revoke", "complete"} {
			const pairs = 16
			var originals []string
			var requests []*intake.Message
			for range pairs {
				o := l.create(nil)
				m, err := l.db.CreateMessage(ctx, &intake.Message{Certificate: o.ID, Type: intake.MessageCompletion, Text: "Fråga.", SentBy: "cw-1",
					Complements: []intake.Complement{{QuestionID: "32", Text: "Ange grad."}}})
				if err != nil {
					t.Fatal(err)
				}
				originals, requests = append(originals, o.ID), append(requests, m)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			answered, othered := make([]error, pairs), make([]error, pairs)
			for i := range pairs {
				wg.Go(func() {
					<-start
					_, answered[i] = l.db.AnswerMessage(ctx, requests[i].ID, answer)
				})
				wg.Go(func() {
					<-start
					if other == "revoke" {
						_, othered[i] = l.db.RevokeCertificate(ctx, originals[i], intake.RevokeWrongPatient, "", "tok-1")
						return
					}
					c, body := l.related(intake.RelationCompletes, originals[i])
					_, _, othered[i] = l.db.CreateCertificate(ctx, c, body, nil, nil)
				})
			}
			close(start)
			wg.Wait()
			for i := range pairs {
				a, o := answered[i], othered[i]
				switch {
				case a == nil && o == nil && other == "revoke": // answered, then revoked
				case a == nil && refusedAs(o, "noOpenCompletionRequest"):
				case o == nil && refusedAs(a, "messageClosed"):
				default:
					t.Errorf("%s %d beside the answer: the answer %v, the %s %v; want one through and the other 409", other, i, a, other, o)
				}
			}
		}
	})
}

// TestWriterRunsADeadlockedJobAgain: a write that PostgreSQL ends to
// break a deadlock runs again, and goes through once the other
// transaction is done, rather than answering 503. Another session locks
// a completion request, the answer locks its certificate and waits for
// the request, and the session then waits for the certificate: the
// answer's session, whose deadlock_timeout (1 s) ends first, is the one
// PostgreSQL ends.
func TestWriterRunsADeadlockedJobAgain(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	l := newLifecycle(t, mustOpenDB(t, store.Postgres, dsn))
	m := l.ask(intake.MessageCompletion)
	other, tx := otherSession(t, dsn)
	if _, err := tx.ExecContext(ctx, `SET LOCAL deadlock_timeout = '10s'`); err != nil {
		t.Skipf("setting deadlock_timeout needs a superuser: %v", err)
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM messages WHERE id = $1 FOR UPDATE`, m.ID); err != nil {
		t.Fatal(err)
	}
	answered := make(chan error, 1)
	go func() {
		_, err := l.db.AnswerMessage(ctx, m.ID, &intake.MessageAnswer{Text: "Svar.", CannotComplete: intake.CannotNoFurtherInfo, By: "asa"})
		answered <- err
	}()
	waiting := false
	for range 100 {
		var n int
		if err := other.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if waiting = n == 1; waiting {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !waiting {
		t.Fatal("the answer never waited for the request's lock")
	}
	if _, err := tx.ExecContext(ctx, `SELECT 1 FROM certificates WHERE id = '`+l.original.ID+`' FOR UPDATE`); err != nil {
		t.Fatalf("the other session was ended, not the answer's: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := <-answered; err != nil {
		t.Fatalf("the answer after a deadlock: %v, want it run again and through", err)
	}
	if got, err := l.db.FindMessageByID(ctx, m.ID); err != nil || got.Status != intake.MessageAnswered {
		t.Errorf("the request after the answer: %+v, %v; want answered", got, err)
	}
}

// TestWriterJobsDoNotDeadlock: many writes at once on a few certificates
// (a caseworker's handled and unhandled, messages) go through on
// PostgreSQL without a deadlock: each job locks its certificate, and the
// writer's workers had held several jobs' locks in one transaction, taken
// in different orders (PostgreSQL's own count of deadlocks shows them).
func TestWriterJobsDoNotDeadlock(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.DSN(t)
	l := newLifecycle(t, mustOpenDB(t, store.Postgres, dsn))
	ids := []string{l.original.ID, l.create(nil).ID, l.create(nil).ID, l.create(nil).ID}
	stats, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer stats.Close()
	deadlocks := func() int64 {
		t.Helper()
		var n int64
		if err := stats.QueryRowContext(ctx, `SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := deadlocks()
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for i := range 12 {
				id := ids[(g+i)%len(ids)]
				var err error
				if i%4 == 3 {
					_, err = l.db.CreateMessage(ctx, &intake.Message{Certificate: id, Type: intake.MessageContact, Text: "Ring mig.", SentBy: "cw-1"})
				} else {
					_, err = l.db.SetHandled(ctx, id, i%2 == 0, "cw-1")
				}
				if err != nil {
					t.Errorf("write %d of %d on %s: %v", i, g, id, err)
				}
			}
		})
	}
	wg.Wait()
	time.Sleep(1500 * time.Millisecond) // the backends report their counts once idle
	if n := deadlocks() - before; n > 0 {
		t.Errorf("%d deadlocks among 384 writes on 4 certificates", n)
	}
}
