package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/intyg/intyg/store"
)

// BenchmarkSubmitConcurrent posts certificates from 32 concurrent clients
// over loopback HTTP to a real server on a real database, for 1,000
// patients in turn (the submit step reads the patient's history, which
// for one patient would grow with every post), and reports
// accepted submissions per second and the p50 and p99 latency. Each 201 is
// durable (synchronous commit) before it is sent.
//
//	go test ./web -run XXX -bench SubmitConcurrent -benchtime 4000x
func BenchmarkSubmitConcurrent(b *testing.B) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		b.Run(driver, func(b *testing.B) {
			ts := newTestServer(b, driver)
			bodies := patientBodies(readExample(b, "valid/full-time-one-period.json"), 1000)
			const clients = 32
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
			latencies := make([]time.Duration, b.N)
			var next atomic.Int64
			var failed atomic.Int64
			b.ResetTimer()
			cpu0 := processCPU()
			start := time.Now()
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						i := next.Add(1) - 1
						if i >= int64(b.N) {
							return
						}
						req, _ := http.NewRequest("POST", ts.URL+"/api/v1/certificates", bytes.NewReader(bodies[i%int64(len(bodies))]))
						req.Header.Set("Authorization", "Bearer "+ts.tokens["clinic"])
						req.Header.Set("Content-Type", "application/json")
						t0 := time.Now()
						resp, err := client.Do(req)
						latencies[i] = time.Since(t0)
						if err != nil || resp.StatusCode != http.StatusCreated {
							failed.Add(1)
						}
						if resp != nil {
							// Read to the end, or the client opens a new
							// connection for the next post.
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			cpu := processCPU() - cpu0
			b.StopTimer()
			if failed.Load() > 0 {
				b.Fatalf("%d of %d submissions failed", failed.Load(), b.N)
			}
			sort.Slice(latencies, func(i, j int) bool { return latencies[i] < latencies[j] })
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "accepted/s")
			b.ReportMetric(float64(latencies[b.N/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(latencies[b.N*99/100].Microseconds())/1000, "p99-ms")
			tx, writes := ts.db.WriteStats()
			b.ReportMetric(float64(writes)/float64(max(tx, 1)), "writes/commit")
			// The client's CPU is in it too, the same for any server.
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// processCPU returns the CPU time this process has used (on SQLite that
// includes the database's).
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// patientBodies returns n copies of an example's body, each for another
// patient (valid identity numbers born 1978-06-01 to 1978-06-28).
func patientBodies(body []byte, n int) [][]byte {
	const example = "19780614-2381"
	out := make([][]byte, n)
	for i := range n {
		digits := fmt.Sprintf("7806%02d%03d", 1+i%28, 1+i/28)
		sum := 0
		for j, c := range digits {
			d := int(c - '0')
			if j%2 == 0 {
				if d *= 2; d > 9 {
					d -= 9
				}
			}
			sum += d
		}
		id := fmt.Sprintf("19%s-%s%d", digits[:6], digits[6:], (10-sum%10)%10)
		out[i] = bytes.Replace(body, []byte(example), []byte(id), 1)
	}
	return out
}

// BenchmarkUnitCasesPage asks for the unit's ongoing sick-leave cases
// (Pågående sjukfall) as a physician of the unit, over loopback HTTP from a
// real server on a real database, with 10,000 patients at the unit, each
// with an ongoing case of two certificates: the page finds them all,
// builds every case, sorts them and shows the first 100. It reports the
// p50 and the CPU a page (the client's is in it too). The certificates are
// posted through the API first, from 32 clients.
//
//	go test ./web -run XXX -bench UnitCasesPage -benchtime 20x
func BenchmarkUnitCasesPage(b *testing.B) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		b.Run(driver, func(b *testing.B) {
			ts := newTestServer(b, driver) // today is 2026-11-23
			const patients = 10_000
			var bodies [][]byte
			earlier := withUnit(b, withPeriod(b, "valid/full-time-one-period.json", "2026-09-30T09:00:00+02:00", "2026-10-01", "2026-11-19"), unit)
			ongoing := withUnit(b, readExample(b, "valid/full-time-one-period.json"), unit) // 2026-11-20..12-06
			for _, body := range [][]byte{earlier, ongoing} {
				bodies = append(bodies, patientBodies(body, patients)...)
			}
			var next atomic.Int64
			var failure atomic.Pointer[error]
			var wg sync.WaitGroup
			for range 32 {
				wg.Go(func() {
					for i := next.Add(1) - 1; i < int64(len(bodies)) && failure.Load() == nil; i = next.Add(1) - 1 {
						if _, err := ts.post("clinic", bodies[i]); err != nil {
							failure.CompareAndSwap(nil, &err)
						}
					}
				})
			}
			wg.Wait()
			if err := failure.Load(); err != nil {
				b.Fatal(*err)
			}
			if driver == store.Postgres {
				// As autovacuum would within a minute of the load: without
				// statistics PostgreSQL plans the page's query for empty
				// tables (p50 183 ms here, against 117 ms).
				if err := store.AnalyzeStored(context.Background(), ts.dsn); err != nil {
					b.Fatal(err)
				}
			}
			physician := ts.session(b, "physician")
			var took []time.Duration
			cpu0 := processCPU()
			for b.Loop() {
				req, _ := http.NewRequest("GET", ts.URL+"/unit/cases", nil)
				req.Header.Set("Accept", browserAccept)
				req.AddCookie(physician)
				t0 := time.Now()
				resp, err := noRedirect.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				page, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				took = append(took, time.Since(t0))
				if resp.StatusCode != http.StatusOK || !bytes.Contains(page, []byte("Visar 1–100 av 10000 patienter.")) {
					b.Fatalf("%d, want 200 and the first 100 of 10,000 patients\n%.2000s", resp.StatusCode, page)
				}
			}
			cpu := processCPU() - cpu0
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(cpu.Microseconds())/1000/float64(len(took)), "cpu-ms/op")
		})
	}
}

// post submits body as who and returns the new certificate's id, or an
// error unless it was stored (201). Unlike mustPost, it may run on any
// goroutine.
func (ts *testServer) post(who string, body []byte) (string, error) {
	req, err := http.NewRequest("POST", ts.URL+"/api/v1/certificates", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ts.tokens[who])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("submit as %s: %d %s", who, resp.StatusCode, b)
	}
	var created struct{ ID string }
	if err := json.Unmarshal(b, &created); err != nil {
		return "", fmt.Errorf("submit as %s: %w", who, err)
	}
	return created.ID, nil
}
