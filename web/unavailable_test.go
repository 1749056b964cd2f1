package web

import (
	"context"
	"database/sql"
	"net/http"
	"strings"
	"testing"
	"time"

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
