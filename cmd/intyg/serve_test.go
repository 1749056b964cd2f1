package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/intyg/intyg/internal/pgtest"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is an io.Writer the server goroutine and the test share.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs "intyg serve" on a loopback port over the data directory
// (with more flags, if given) and returns its base URL, its output (stdout
// and the log on stderr) and a stop function that shuts it down gracefully
// and returns run's exit code.
func startServe(t *testing.T, data string, flags ...string) (string, *lockedBuffer, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		code, err := run(ctx, append([]string{"intyg", "serve", "--addr", "127.0.0.1:0", "--data", data}, flags...), func(string) string { return "" }, strings.NewReader(""), out, out)
		if err != nil {
			t.Log(err)
		}
		done <- code
	}()
	listening := regexp.MustCompile(`listening on (http://\S+)`)
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if m := listening.FindStringSubmatch(out.String()); m != nil {
			resp, err := http.Get(m[1] + "/healthz")
			if err == nil && resp.StatusCode == 200 {
				resp.Body.Close()
				return m[1], out, func() int { cancel(); return <-done }
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	t.Fatalf("server did not become healthy: %s", out.String())
	return "", nil, nil
}

func TestServeEndToEnd(t *testing.T) {
	data := t.TempDir()
	base, out, stop := startServe(t, data)
	// Output that is not a terminal gets only where the first admin token is.
	admin := mustReadFirstAdminToken(t, data)
	if !strings.Contains(out.String(), "first admin token") || !strings.Contains(out.String(), filepath.Join(data, "first-admin-token")) {
		t.Errorf("a new database did not say where the first admin token is: %s", out.String())
	}
	if strings.Contains(out.String(), admin) {
		t.Errorf("the first admin token's secret is in the output: %s", out.String())
	}
	req, _ := http.NewRequest("GET", base+"/api/v1/audit", nil)
	req.Header.Set("Authorization", "Bearer "+admin)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /api/v1/audit with the first admin token: %v, want 200", err)
	}
	if _, err := os.Stat(filepath.Join(data, "intyg.db")); err != nil {
		t.Errorf("no database file under the data directory: %v", err)
	}

	// Tokens are made by the admin command while the server runs.
	code, tokOut, stderr := runCmd(t, "", "token", "create", "--data", data, "--role", "clinic", "--unit", "SE2321000016-7P0C", "--name", "test")
	if code != exitOK {
		t.Fatalf("token create: %d %s", code, stderr)
	}
	clinic := lastLine(tokOut)
	_, cwOut, _ := runCmd(t, "", "token", "create", "--data", data, "--role", "caseworker")
	caseworker := lastLine(cwOut)

	body, err := os.ReadFile(filepath.Join("..", "..", "examples", "fk7804", "valid", "full-time-one-period.json"))
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest("POST", base+"/api/v1/certificates", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+clinic)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 201 || loc == "" {
		t.Fatalf("POST: %d, Location %q", resp.StatusCode, loc)
	}
	req, _ = http.NewRequest("GET", base+loc, nil)
	req.Header.Set("Authorization", "Bearer "+caseworker)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET %s: %d", loc, resp.StatusCode)
	}

	// A body far over the limit, sent whole before anything is read (as
	// Python's urllib does), is answered 413, not cut into a reset
	// connection by a cap around the handlers.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("a"), 8<<20)
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := fmt.Fprintf(conn, "POST /api/v1/certificates HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", clinic, len(big), big); err != nil {
		t.Errorf("sending 8 MB: %v (the server reset the connection)", err)
	} else if resp, err := http.ReadResponse(bufio.NewReader(conn), nil); err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("8 MB: %v %v, want 413", resp, err)
	}
	conn.Close()

	// A token revoked by another process (the CLI) stops working within
	// the server's token-cache recheck, a second.
	id := regexp.MustCompile(`token (\S+) \(`).FindStringSubmatch(tokOut)[1]
	if code, _, stderr := runCmd(t, "", "token", "revoke", "--data", data, id); code != exitOK {
		t.Fatalf("token revoke: %s", stderr)
	}
	revoked := time.Now()
	for {
		req, _ = http.NewRequest("GET", base+"/api/v1/templates", nil)
		req.Header.Set("Authorization", "Bearer "+clinic)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 401 {
			break
		}
		if time.Since(revoked) > 1500*time.Millisecond {
			t.Errorf("revoked token: %d %v after the revocation, want 401 within a second", resp.StatusCode, time.Since(revoked))
			break
		}
		time.Sleep(20 * time.Millisecond)
	}

	if code := stop(); code != exitOK {
		t.Errorf("graceful shutdown exit code %d", code)
	}
	// A restart keeps the data and prints no new admin token.
	base, out, stop = startServe(t, data)
	defer stop()
	if strings.Contains(out.String(), "first admin token") {
		t.Errorf("a restart printed a new admin token")
	}
	req, _ = http.NewRequest("GET", base+loc, nil)
	req.Header.Set("Authorization", "Bearer "+caseworker)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("after restart GET %s failed: %v", loc, err)
	}
}

// TestServePostgresWithoutDataDir: serving a new PostgreSQL database with
// no --data, its output not a terminal, writes no first-admin-token file
// where the process runs (./data), makes no token nobody can read, and
// says, in a warning of the log, how to make one.
func TestServePostgresWithoutDataDir(t *testing.T) {
	dsn := pgtest.DSN(t)
	t.Chdir(t.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	out := &lockedBuffer{}
	done := make(chan int, 1)
	go func() {
		code, _ := run(ctx, []string{"intyg", "serve", "--addr", "127.0.0.1:0", "--dsn", dsn}, func(string) string { return "" }, strings.NewReader(""), out, out)
		done <- code
	}()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(out.String(), "listening on"); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("serve did not start: %s", out.String())
		}
	}
	cancel()
	if code := <-done; code != exitOK {
		t.Errorf("exit %d: %s", code, out.String())
	}
	if _, err := os.Stat(filepath.Join("data", "first-admin-token")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data/first-admin-token where the process runs: %v", err)
	}
	if !strings.Contains(out.String(), `"level":"WARN","msg":"no admin token`) || !strings.Contains(out.String(), "intyg token create --role admin") {
		t.Errorf("no warning saying how to make an admin token: %s", out.String())
	}
	if _, got, _ := runCmd(t, "", "token", "list", "--dsn", dsn); strings.Contains(got, "first admin") {
		t.Errorf("a first admin token nobody can read: %s", got)
	}
}

// TestServeWarnsOfOpenPermissions: a data directory or database file that
// group or others may read or write is served, with one warning at start
// that says what to chmod; private ones get none.
func TestServeWarnsOfOpenPermissions(t *testing.T) {
	tests := []struct {
		name              string
		dirMode, fileMode os.FileMode
		warn              bool
	}{
		{"private", 0o700, 0o600, false},
		{"directory open", 0o755, 0o600, true},
		{"file open", 0o700, 0o644, true},
		{"both open", 0o777, 0o666, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			if _, err := prepareDataDir(data); err != nil {
				t.Fatal(err)
			}
			if err := errors.Join(os.Chmod(data, tt.dirMode), os.Chmod(filepath.Join(data, "intyg.db"), tt.fileMode)); err != nil {
				t.Fatal(err)
			}
			_, out, stop := startServe(t, data)
			defer stop()
			const msg = `"level":"WARN","msg":"the data directory or database can be read or written by group or others"`
			want := 0
			if tt.warn {
				want = 1
			}
			if n := strings.Count(out.String(), msg); n != want {
				t.Errorf("got %d warnings about permissions, want %d: %s", n, want, out.String())
			}
			if tt.warn && !strings.Contains(out.String(), "chmod 700 "+data+" \u0026\u0026 chmod 600 "+filepath.Join(data, "intyg.db")) {
				t.Errorf("the warning does not say what to run: %s", out.String())
			}
		})
	}
}

// TestTokenCommandRefusals: bad usage exits 2; what the store refuses
// (a clinic token without units, an unknown role or token) exits 1, as the
// unit and user commands do.
func TestTokenCommandRefusals(t *testing.T) {
	data := t.TempDir()
	for _, tt := range []struct {
		args []string
		want int
	}{
		{[]string{"token"}, exitUsage},
		{[]string{"token", "create", "--data", data, "--role", "clinic", "extra"}, exitUsage},
		{[]string{"token", "create", "--data", data, "--role", "clinic"}, exitRefused},
		{[]string{"token", "create", "--data", data, "--role", "root"}, exitRefused},
		{[]string{"token", "revoke", "--data", data, "nosuchtoken"}, exitRefused},
	} {
		if code, _, _ := runCmd(t, "", tt.args...); code != tt.want {
			t.Errorf("%v: exit %d, want %d", tt.args, code, tt.want)
		}
	}
}

// mustReadFirstAdminToken reads the secret serve wrote to the data
// directory for a new database, and checks that only its owner can read it.
func mustReadFirstAdminToken(tb testing.TB, data string) string {
	tb.Helper()
	path := filepath.Join(data, "first-admin-token")
	fi, err := os.Stat(path)
	if err != nil {
		tb.Fatalf("no first admin token file: %v", err)
	}
	if fi.Mode().Perm() != 0o600 {
		tb.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	secret := strings.TrimSpace(string(b))
	if !strings.HasPrefix(secret, "intyg_") {
		tb.Fatalf("%s holds %q, want a token", path, secret)
	}
	return secret
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// TestTuneProcs: serving runs Go code on one more thread than the default
// (the cores it may use), however often it starts, unless GOMAXPROCS sets
// how many.
func TestTuneProcs(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	runtime.SetDefaultGOMAXPROCS()
	def := runtime.GOMAXPROCS(0)
	for range 2 {
		tuneProcs(func(string) string { return "" })
		if got := runtime.GOMAXPROCS(0); got != def+1 {
			t.Errorf("without GOMAXPROCS, %d threads, want %d", got, def+1)
		}
	}
	runtime.GOMAXPROCS(def)
	tuneProcs(func(k string) string {
		if k == "GOMAXPROCS" {
			return "1"
		}
		return ""
	})
	if got := runtime.GOMAXPROCS(0); got != def {
		t.Errorf("with GOMAXPROCS set, %d threads, want them left at %d", got, def)
	}
}

// TestTuneGC: serving sets the collector's target to gcPercent, unless
// GOGC sets one.
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC, the target is %d, want %d", got, gcPercent)
	}
	tuneGC(func(k string) string {
		if k == "GOGC" {
			return "50"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC set, the target is %d, want it left at 100", got)
	}
}

// TestOneServerADataDirectory: a second intyg serve on the same SQLite
// database is refused, saying why; the tools beside it still run; once
// the first has stopped, a server starts there again.
func TestOneServerADataDirectory(t *testing.T) {
	data := t.TempDir()
	_, _, stop := startServe(t, data)
	var out bytes.Buffer
	code, err := run(context.Background(), []string{"intyg", "serve", "--addr", "127.0.0.1:0", "--data", data}, func(string) string { return "" }, strings.NewReader(""), &out, &out)
	if code != exitUsage || err == nil || !strings.Contains(err.Error(), "another intyg serve is using") {
		t.Errorf("a second server: exit %d, %v\n%s", code, err, out.String())
	}
	if code, err := run(context.Background(), []string{"intyg", "token", "list", "--data", data}, func(string) string { return "" }, strings.NewReader(""), &out, &out); code != exitOK {
		t.Errorf("token list beside the server: exit %d, %v", code, err)
	}
	if code := stop(); code != exitOK {
		t.Fatalf("the first server stopped with %d", code)
	}
	_, _, stop = startServe(t, data)
	stop()
}

// TestServeUsageErrors: a bad command line names what is wrong.
func TestServeUsageErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"extra"}, nil, `takes no arguments, only flags (got "extra")`},
		{[]string{"--log-level", "loud"}, nil, `--log-level (INTYG_LOG_LEVEL) "loud"`},
		{nil, map[string]string{"INTYG_MAX_BODY": "abc"}, `INTYG_MAX_BODY "abc" is not a number of bytes`},
		{[]string{"--max-body", "0"}, nil, "--max-body (INTYG_MAX_BODY) 0"},
		{[]string{"--public-url", "intyg.region.se"}, nil, `--public-url (INTYG_PUBLIC_URL) "intyg.region.se"`},
		{nil, map[string]string{"INTYG_PUBLIC_URL": "htps://intyg.region.se"}, `--public-url (INTYG_PUBLIC_URL) "htps://intyg.region.se"`},
		{[]string{"--icd10se", "/nonexistent"}, nil, "--icd10se (INTYG_ICD10SE) /nonexistent: icd10se: open digit3.txt"},
	} {
		var out bytes.Buffer
		args := append([]string{"intyg", "serve", "--data", t.TempDir()}, tt.args...)
		code, err := run(context.Background(), args, func(k string) string { return tt.env[k] }, strings.NewReader(""), &out, &out)
		if code != exitUsage || err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %v: exit %d, %v; want %q", tt.args, tt.env, code, err, tt.want)
		}
	}
}

// TestServeAddressInUse: an address that cannot be listened on stops serve
// before it makes a database or a first admin token.
func TestServeAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	data := filepath.Join(t.TempDir(), "data")
	var out bytes.Buffer
	code, err := run(context.Background(), []string{"intyg", "serve", "--addr", l.Addr().String(), "--data", data}, func(string) string { return "" }, strings.NewReader(""), &out, &out)
	if code != exitUsage || err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("serve on an address in use: exit %d, %v", code, err)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 || strings.Contains(out.String(), "first admin token") {
		t.Errorf("serve that could not listen left %v and said %q", entries, out.String())
	}
	// The failure is a line of the JSON log, which main does not print
	// again as text; the first line names the build.
	var lines []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var l map[string]any
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("serve wrote a line that is not JSON: %q", line)
		}
		lines = append(lines, l)
	}
	if len(lines) != 2 || lines[0]["msg"] != "starting" || lines[0]["version"] != buildVersion() ||
		lines[1]["level"] != "ERROR" || !strings.Contains(fmt.Sprint(lines[1]["error"]), "address already in use") {
		t.Errorf("serve's log: %v; want the start naming the build, then the error", lines)
	}
	if !errors.As(err, new(logged)) {
		t.Errorf("%v is not marked as logged: main would print it again", err)
	}
}

// TestAdminCommandSaysNewDatabase: an admin command where there is no
// database yet makes one and says so, so that a mistyped --data shows;
// on an existing one it says nothing of the kind.
func TestAdminCommandSaysNewDatabase(t *testing.T) {
	data := t.TempDir()
	for i, want := range []bool{true, false} {
		code, _, stderr := runCmd(t, "", "token", "list", "--data", data)
		if said := strings.Contains(stderr, "made a new database at "+filepath.Join(data, "intyg.db")); code != exitOK || said != want {
			t.Errorf("run %d: exit %d, %q; want the new database said: %v", i+1, code, stderr, want)
		}
	}
}

// TestAdminCommandsOnAnEmptyPostgres: on a PostgreSQL database without
// Intyg's tables (a mistyped DSN, or before the first serve), audit
// refuses and makes none; an admin command makes them and says so.
func TestAdminCommandsOnAnEmptyPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	for range 2 { // and the refusal left it empty
		if code, _, stderr := runCmd(t, "", "audit", "verify", "--dsn", dsn); code != exitUsage || !strings.Contains(stderr, "no tables yet") {
			t.Errorf("audit verify on an empty database: exit %d, %q", code, stderr)
		}
	}
	for i, want := range []bool{true, false} {
		code, _, stderr := runCmd(t, "", "token", "list", "--dsn", dsn)
		if said := strings.Contains(stderr, "made Intyg's tables in the PostgreSQL database"); code != exitOK || said != want {
			t.Errorf("run %d: exit %d, %q; want the new tables said: %v", i+1, code, stderr, want)
		}
	}
	// Another program's database (a mistyped DSN) is refused, and left as it was.
	other := pgtest.DSN(t)
	conn, err := sql.Open("pgx", other)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`CREATE TABLE invoices (id int)`); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runCmd(t, "", "token", "list", "--dsn", other); code != exitUsage || !strings.Contains(stderr, "not an Intyg database") {
		t.Errorf("token list on another program's database: exit %d, %q", code, stderr)
	}
	var tables int
	if err := conn.QueryRow(`SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil || tables != 1 {
		t.Errorf("another program's database has %d tables after the refusal (%v), want its one", tables, err)
	}
}

// TestServeDrains: after SIGTERM (the context's end), with --drain the
// server says not ready on /readyz while it still serves requests, then
// stops; without, it stops at once.
func TestServeDrains(t *testing.T) {
	base, out, stop := startServe(t, filepath.Join(t.TempDir(), "data"), "--drain", "2s")
	if resp, err := http.Get(base + "/readyz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz before the end: %v %v", resp, err)
	}
	stopped := make(chan int, 1)
	go func() { stopped <- stop() }()
	deadline := time.Now().Add(1500 * time.Millisecond)
	for !strings.Contains(out.String(), `"msg":"draining"`) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil || resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("/readyz while draining: %v %v, want 503 with Retry-After", resp, err)
	}
	if resp, err := http.Get(base + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("a request while draining: %v %v, want it served", resp, err)
	}
	select {
	case code := <-stopped:
		if code != exitOK {
			t.Errorf("exit %d after draining", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not stop after its drain")
	}
	code, err := run(context.Background(), []string{"intyg", "serve", "--drain", "soon", "--data", t.TempDir()}, func(string) string { return "" }, strings.NewReader(""), io.Discard, io.Discard)
	if code != exitUsage || err == nil || !strings.Contains(err.Error(), "--drain (INTYG_DRAIN)") {
		t.Errorf("--drain soon: exit %d, %v", code, err)
	}
}
