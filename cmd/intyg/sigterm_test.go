package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestSIGTERMShutsDownGracefully builds the real binary, serves, sends
// SIGTERM while submissions are under way, and checks that the process
// exits 0 and that every submission answered 201 is in the database after a
// restart.
func TestSIGTERMShutsDownGracefully(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := mustBuildBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	cmd, base, stderr := startBinary(t, bin, data)
	code, out, errOut := runCmd(t, "", "token", "create", "--data", data, "--role", "clinic", "--unit", "SE2321000016-7P0C")
	if code != exitOK {
		t.Fatalf("token create: %s", errOut)
	}
	token := lastLine(out)
	body, err := os.ReadFile(filepath.Join("..", "..", "examples", "fk7804", "valid", "full-time-one-period.json"))
	if err != nil {
		t.Fatal(err)
	}

	// Eight clients submit until the server stops answering.
	var mu sync.Mutex
	var accepted []string
	var wg sync.WaitGroup
	stop := time.Now().Add(10 * time.Second)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stop) {
				req, _ := http.NewRequest("POST", base+"/api/v1/certificates", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the server has closed its listener
				}
				resp.Body.Close()
				if resp.StatusCode == http.StatusCreated {
					mu.Lock()
					accepted = append(accepted, resp.Header.Get("Location"))
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, stderr.String())
		}
	case <-time.After(35 * time.Second):
		cmd.Process.Kill()
		t.Fatal("no exit within 35 s of SIGTERM")
	}
	wg.Wait()
	if len(accepted) == 0 {
		t.Fatal("no submission was accepted before SIGTERM")
	}

	// Everything acknowledged is there after a restart.
	base2, _, stopServe := startServe(t, data)
	defer stopServe()
	_, cwOut, _ := runCmd(t, "", "token", "create", "--data", data, "--role", "caseworker")
	cw := lastLine(cwOut)
	for _, loc := range accepted {
		req, _ := http.NewRequest("GET", base2+loc, nil)
		req.Header.Set("Authorization", "Bearer "+cw)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("acknowledged %s is missing after restart (%v)", loc, err)
		}
		resp.Body.Close()
	}
	t.Logf("%d submissions acknowledged before SIGTERM, all present after restart", len(accepted))
}
