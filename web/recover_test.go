package web

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRecoverPanics: a handler that panics is answered 500 with a problem
// document, not a dropped connection, and the panic is logged with where
// it happened; the server goes on serving.
func TestRecoverPanics(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))
	srv := httptest.NewServer(recoverPanics(logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/boom" {
			var s []int
			_ = s[len(r.URL.Path)] // index out of range
		}
		w.Write([]byte("ok"))
	})))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatalf("the panic dropped the connection: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") || strings.Contains(string(body), "index out of range") {
		t.Errorf("after a panic: %d %s %s, want a 500 problem document that tells nothing inside", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if !strings.Contains(logs.String(), "index out of range") || !strings.Contains(logs.String(), "recover_test.go") {
		t.Errorf("the log lacks the panic and where: %s", logs.String())
	}
	if resp, err := http.Get(srv.URL + "/fine"); err != nil || resp.StatusCode != 200 {
		t.Errorf("after the panic: %v %v", resp, err)
	}
}
