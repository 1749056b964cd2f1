package web

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/store"
)

// TestLockedDatabaseIsUnavailable: while another process holds the SQLite
// database locked past the busy timeout, a submission is answered 503 with
// Retry-After and a problem document (never 500), /readyz says not ready,
// and once the lock is gone both recover.
func TestLockedDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	ts := newTestServer(t, store.SQLite)
	other, err := sql.Open("sqlite", "file:"+ts.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN EXCLUSIVE"); err != nil {
		t.Fatal(err)
	}
	body := readExample(t, "valid/full-time-one-period.json")
	resp, problem := ts.do(t, "clinic", "POST", "/api/v1/certificates", body)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" ||
		!strings.Contains(string(problem), `"type":"https://intyg.se/problems/unavailable"`) {
		t.Fatalf("POST while locked: %d Retry-After %q %s, want 503 with Retry-After and a problem", resp.StatusCode, resp.Header.Get("Retry-After"), problem)
	}
	var doc ProblemDocument
	if err := json.Unmarshal(problem, &doc); err != nil || doc.Detail != intake.Text("unavailable.database", "sv") {
		t.Errorf("POST while locked: detail %q (%v), want the catalogue's Swedish text, as no Accept-Language asks for English", doc.Detail, err)
	}
	if resp, _ := ts.do(t, "", "GET", "/readyz", nil); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz while writes fail: %d, want 503", resp.StatusCode)
	}
	if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, _ := ts.do(t, "", "GET", "/readyz", nil)
		if resp.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after the lock was released", resp.StatusCode)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates", body); resp.StatusCode != http.StatusCreated {
		t.Errorf("POST after the lock: %d %s", resp.StatusCode, body)
	}
}

// TestCompletingAnswerNeedsTheAccessLog: an answer shows the completion
// request, so its access-log entry is written first; while the log cannot
// be written (here a trigger in the same SQLite file refuses the entry),
// the completing certificate is refused, nothing is stored and the
// request stays open; once the log takes entries again, the same answer
// goes through.
func TestCompletingAnswerNeedsTheAccessLog(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	const example = "valid/full-time-one-period.json"
	orig := ts.submit(t, example)
	resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "Beskriv funktionsnedsättningen."}]}`))
	var request intake.Message
	if err := json.Unmarshal(body, &request); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("completion request: %d %s", resp.StatusCode, body)
	}
	other, err := sql.Open("sqlite", "file:"+ts.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()
	if _, err := other.ExecContext(ctx, `CREATE TRIGGER refuse_answers BEFORE INSERT ON audit_log WHEN NEW.action = 'message.answer'
		BEGIN SELECT RAISE(ABORT, 'the access log takes no entry'); END`); err != nil {
		t.Fatal(err)
	}
	before := ts.count(t)
	answer := relatedExample(t, example, intake.RelationCompletes, orig, nil)
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/messages/"+request.ID+"/answer", answer); resp.StatusCode < 500 {
		t.Errorf("answered while the access log refuses entries: %d %s", resp.StatusCode, body)
	}
	if after := ts.count(t); after != before {
		t.Errorf("%d certificates after the refused answer, want %d", after, before)
	}
	_, body = ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+orig, nil)
	if !strings.Contains(string(body), `"status":"received"`) {
		t.Errorf("the original after the refused answer: %s", body)
	}
	if _, err := other.ExecContext(ctx, `DROP TRIGGER refuse_answers`); err != nil {
		t.Fatal(err)
	}
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/messages/"+request.ID+"/answer", answer); resp.StatusCode != http.StatusOK {
		t.Errorf("the answer once the log takes entries: %d %s", resp.StatusCode, body)
	}
	if after := ts.count(t); after != before+1 {
		t.Errorf("%d certificates after the answer, want %d", after, before+1)
	}
}

// TestAdminChangesNeedTheAccessLog: an admin's change is logged before it
// is made, so while the access log takes no admin entries (a trigger in
// the same SQLite file refuses them) no account is made, disabled or
// given a token that works, and no unit is registered or disabled.
func TestAdminChangesNeedTheAccessLog(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	ts.mustUnits(t)
	admin := ts.session(t, "admin")
	physician := ts.person(t, "physician")
	other, err := sql.Open("sqlite", "file:"+ts.dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if _, err := other.Exec(`CREATE TRIGGER refuse_admin BEFORE INSERT ON audit_log WHEN NEW.action LIKE 'admin.%'
		BEGIN SELECT RAISE(ABORT, 'the access log takes no entry'); END`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	posts := []struct {
		path string
		form url.Values
	}{
		{"/admin/people", url.Values{"username": {"mallory"}, "name": {"Mallory"}, "role": {"admin"}, "password": {testPassword}, "password2": {testPassword}}},
		{"/admin/people/" + physician.ID + "/disable", url.Values{}},
		{"/admin/tokens", url.Values{"role": {"admin"}, "name": {"Bakdörren"}}},
		{"/admin/units", url.Values{"hsaId": {"SE2321000016-5555"}, "name": {"Vårdcentralen Norr"}, "address": {"Norrtullsgatan 1"}, "postalCode": {"113 29"},
			"city": {"Stockholm"}, "phone": {"08-111 22 33"}, "careProvider.hsaId": {"SE2321000016-0001"}, "careProvider.name": {"Region Stockholm"}}},
		{"/admin/units/" + unit + "/disable", url.Values{}},
	}
	for _, p := range posts {
		if resp, _ := ts.browse(t, admin, "POST", p.path, p.form); resp.StatusCode < 500 {
			t.Errorf("POST %s while the log refuses admin entries: %d, want a 5xx", p.path, resp.StatusCode)
		}
	}
	if _, err := ts.db.FindUserByUsername(ctx, "mallory"); intake.ErrorCode(err) != intake.ENOTFOUND {
		t.Errorf("the account was made: %v", err)
	}
	if u, _ := ts.db.FindUserByID(ctx, physician.ID); !u.DisabledAt.IsZero() {
		t.Error("the physician was disabled")
	}
	tokens, _ := ts.db.FindTokens(ctx)
	for _, tok := range tokens {
		if tok.Name == "Bakdörren" && tok.RevokedAt.IsZero() {
			t.Error("the token whose making was not logged works")
		}
	}
	if _, err := ts.db.FindUnitByHSAID(ctx, "SE2321000016-5555"); err == nil {
		t.Error("the unit was registered")
	}
	if u, _ := ts.db.FindUnitByHSAID(ctx, unit); !u.DisabledAt.IsZero() {
		t.Error("the unit was disabled")
	}
}
