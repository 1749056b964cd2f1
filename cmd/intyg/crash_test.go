package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/intyg/intyg/store"
)

// mustBuildBinary builds intyg into a temporary directory.
func mustBuildBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "intyg")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startBinary runs "intyg serve" from the built binary over the data
// directory and returns the process and its base URL once it listens.
func startBinary(tb testing.TB, bin, data string) (*exec.Cmd, string, *bytes.Buffer) {
	tb.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	stderr := &bytes.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	var base string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := regexp.MustCompile(`listening on (http://\S+)`).FindStringSubmatch(sc.Text()); m != nil {
			base = m[1]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if base == "" {
		cmd.Process.Kill()
		cmd.Wait()
		tb.Fatalf("no listening line; stderr: %s", stderr.String())
	}
	return cmd, base, stderr
}

// TestSIGKILLLosesNothingAcknowledged builds the real binary and kills it
// with SIGKILL while clients submit certificates (and a caseworker reads
// them, which writes the access log), restarts it, and does so again: every
// submission answered 201 must be in the database afterwards, byte for
// byte, the database must pass SQLite's integrity check and the access
// log's chain must be intact. INTYG_CRASH_KILLS sets the number of kills
// (3 by default; see BENCHMARKS.md for a long run).
func TestSIGKILLLosesNothingAcknowledged(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	kills := 3
	if s := os.Getenv("INTYG_CRASH_KILLS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("INTYG_CRASH_KILLS=%q: want a positive number", s)
		}
		kills = n
	}
	bin := mustBuildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	example, err := os.ReadFile(filepath.Join("..", "..", "examples", "fk7804", "valid", "full-time-one-period.json"))
	if err != nil {
		t.Fatal(err)
	}
	answers := []byte(`"answers": {`)
	if !bytes.Contains(example, answers) {
		t.Fatal("the example has no answers object to vary")
	}

	var (
		mu       sync.Mutex
		accepted = map[string][]byte{} // location → the bytes submitted
		clinic   string
		cw       string
		lost     int // requests under way when the process died
	)
	start := time.Now()
	for round := range kills {
		cmd, base, stderr := startBinary(t, bin, data)
		if round == 0 {
			clinic = mustCreateToken(t, data, "--role", "clinic", "--unit", "SE2321000016-7P0C")
			cw = mustCreateToken(t, data, "--role", "caseworker")
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for worker := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				client := &http.Client{Timeout: 10 * time.Second}
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					// Each body is distinct, so that byte-for-byte means something.
					note := fmt.Sprintf(`"answers": {"otherInformation": "Kraschprov omgång %d, klient %d, nummer %d.", `, round, worker, i)
					body := bytes.Replace(example, answers, []byte(note), 1)
					req, _ := http.NewRequest("POST", base+"/api/v1/certificates", bytes.NewReader(body))
					req.Header.Set("Authorization", "Bearer "+clinic)
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					if err != nil {
						mu.Lock()
						lost++
						mu.Unlock()
						return // the server died
					}
					resp.Body.Close()
					if resp.StatusCode != http.StatusCreated {
						t.Errorf("POST: %d", resp.StatusCode)
						return
					}
					mu.Lock()
					accepted[resp.Header.Get("Location")] = body
					mu.Unlock()
					// One client in six also reads what it stored, as a caseworker.
					if worker == 0 {
						req, _ := http.NewRequest("GET", base+resp.Header.Get("Location"), nil)
						req.Header.Set("Authorization", "Bearer "+cw)
						if resp, err := client.Do(req); err == nil {
							resp.Body.Close()
						}
					}
				}
			}()
		}
		time.Sleep(time.Duration(200+rand.IntN(500)) * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		close(stop)
		wg.Wait()
		if t.Failed() {
			t.Fatalf("stderr of the killed server:\n%s", stderr.String())
		}
	}
	took := time.Since(start)
	if len(accepted) == 0 {
		t.Fatal("no submission was accepted")
	}

	// The last process is dead: open the database as a restart would.
	ctx := context.Background()
	path := filepath.Join(data, "intyg.db")
	db, err := store.Open(ctx, store.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for loc, body := range accepted {
		id := loc[strings.LastIndex(loc, "/")+1:]
		got, err := db.FindSubmission(ctx, id)
		if err != nil {
			t.Errorf("acknowledged %s is missing after SIGKILL: %v", id, err)
			continue
		}
		if !bytes.Equal(got, body) {
			t.Errorf("acknowledged %s: stored bytes differ from those submitted", id)
		}
	}
	checked, broken, err := db.VerifyAuditChain(ctx)
	if err != nil || broken != 0 {
		t.Errorf("access log after SIGKILL: %d checked, broken at %d, %v", checked, broken, err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var integrity string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil || integrity != "ok" {
		t.Errorf("integrity check after SIGKILL: %q, %v", integrity, err)
	}
	stored, _ := db.CountCertificates(ctx)
	t.Logf("%d SIGKILLs in %v: %d submissions acknowledged, all present byte for byte; %d stored in all; %d requests cut off; access log of %d entries intact",
		kills, took.Round(time.Millisecond), len(accepted), stored, lost, checked)
}
