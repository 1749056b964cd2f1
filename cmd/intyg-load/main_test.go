package main

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

// TestLoad runs the tool briefly on SQLite, with an intyg binary built
// beforehand (-intyg), and checks that the report adds up: every kind of
// request was sent and answered as expected, and every accepted
// certificate, warm-up included, is stored once.
func TestLoad(t *testing.T) {
	bin := mustBuildIntyg(t)
	c := Config{DB: store.SQLite, Servers: 1, Clients: 4, Duration: 2 * time.Second, Warmup: time.Second, Invalid: 0.2, Replay: 0.1, Intyg: bin}
	rep, err := load(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	rep.write(&out)
	t.Log("\n" + out.String())
	if err := rep.problem(); err != nil {
		t.Fatal(err)
	}
	if rep.Accepted == 0 || rep.Refused == 0 || rep.Replayed == 0 {
		t.Errorf("accepted %d, refused %d, replayed %d: want each above 0", rep.Accepted, rep.Refused, rep.Replayed)
	}
	if got, want := rep.Accepted+rep.Refused+rep.Replayed, rep.Requests; got != want {
		t.Errorf("accepted+refused+replayed = %d, want every request (%d)", got, want)
	}
	if rep.WarmupAccepted == 0 || rep.Stored != rep.Accepted+rep.WarmupAccepted {
		t.Errorf("stored %d, want the %d accepted and the %d accepted in the warm-up (more than 0)", rep.Stored, rep.Accepted, rep.WarmupAccepted)
	}
	if rep.P50 <= 0 || rep.P50 > rep.P95 || rep.P95 > rep.P99 || rep.P99 > rep.Max {
		t.Errorf("percentiles p50 %v p95 %v p99 %v max %v: want 0 < p50 <= p95 <= p99 <= max", rep.P50, rep.P95, rep.P99, rep.Max)
	}
	if len(rep.PerServer) != 1 || rep.PerServer[0].PeakRSS < 1<<20 || rep.ServerCPU <= 0 || rep.PerServer[0].Accepted != rep.Accepted ||
		rep.PerServer[0].Written < int64(rep.Accepted)*1024 { // SQLite's log alone is some pages a certificate
		t.Errorf("per server %+v, server CPU %v: want one server's measurements", rep.PerServer, rep.ServerCPU)
	}
	if m := rep.Machine; m.Cores != runtime.NumCPU() || m.Busy() <= 0 || math.Abs(m.Busy()+m.Idle+m.IOWait+m.Steal-1) > 1e-9 {
		t.Errorf("machine %+v: want this machine's %d cores, some of their time busy, and the shares adding up to 1", m, runtime.NumCPU())
	}
	// Where the temporary folder is on a block device, its line is read.
	if major, minor, err := deviceOf(os.TempDir()); err == nil {
		if _, _, ok := readDisk(major, minor); ok && (rep.Disk.Name == "" || rep.Disk.Writes <= 0 || rep.Disk.Busy <= 0) {
			t.Errorf("device %+v: want what the device under %s did, some writes and some time busy", rep.Disk, os.TempDir())
		}
	}
	if st := rep.Store; !st.Found || st.Transactions <= 0 || st.Writes < st.Transactions || st.Syncs <= 0 || st.SyncSeconds <= 0 {
		t.Errorf("store counters %+v: want the server's transactions, writes and log syncs over the attack", st)
	}
	if atWork, syncWait, ok := rep.WriterShares(); !ok || atWork <= 0 || syncWait < 0 || atWork+syncWait >= 1 {
		t.Errorf("the writer at work %v of the time, waiting for a sync %v (found: %v): want some of it at work, with 4 clients not all", atWork, syncWait, ok)
	}
	if rep.InvalidFiles < 50 || rep.ValidFiles < 10 {
		t.Errorf("%d valid and %d invalid examples used: want most of examples/fk7804", rep.ValidFiles, rep.InvalidFiles)
	}
}

// TestLoadWarmsUpPostgres runs the tool briefly on a PostgreSQL database
// given with -dsn, and checks that the warm-up ended in ANALYZE (the
// measured run would otherwise meet the plans made for empty tables).
func TestLoadWarmsUpPostgres(t *testing.T) {
	dsn := pgtest.DSN(t)
	c := Config{DB: store.Postgres, DSN: dsn, Servers: 1, Clients: 4, Duration: time.Second, Warmup: time.Second, Invalid: 0.1, Replay: 0.1, Intyg: mustBuildIntyg(t)}
	rep, err := load(context.Background(), c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.problem(); err != nil {
		t.Fatal(err)
	}
	if rep.WarmupAccepted == 0 || rep.Stored != rep.Accepted+rep.WarmupAccepted {
		t.Errorf("stored %d, want the %d accepted and the %d accepted in the warm-up (more than 0)", rep.Stored, rep.Accepted, rep.WarmupAccepted)
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var analyzed int
	if err := db.QueryRow(`SELECT count(*) FROM pg_stat_user_tables
		WHERE relname IN ('certificates', 'case_periods') AND last_analyze IS NOT NULL`).Scan(&analyzed); err != nil {
		t.Fatal(err)
	}
	if analyzed != 2 {
		t.Errorf("%d of certificates and case_periods analyzed after the warm-up, want both", analyzed)
	}
}

func TestRunRefusesBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown database", []string{"-db", "mysql"}, "want sqlite or postgres"},
		{"two servers on SQLite", []string{"-servers", "2"}, "needs -db postgres"},
		{"no clients", []string{"-clients", "0"}, "at least 1"},
		{"negative warm-up", []string{"-warmup", "-1s"}, "want 0 to 1h"},
		{"no thread", []string{"-procs", "0"}, "want at least 1"},
		{"no such binary", []string{"-intyg", "/nonexistent/intyg"}, "want an intyg binary"},
		{"all invalid, with a binary", []string{"-intyg", os.Args[0], "-invalid", "0.95"}, "at least 0.1 valid"},
		{"all invalid", []string{"-invalid", "0.95"}, "at least 0.1 valid"},
		{"no such binary to compare", []string{"-against", "/nonexistent/intyg"}, "-against /nonexistent/intyg: want an intyg binary"},
		{"no pair", []string{"-against", os.Args[0], "-pairs", "0"}, "want 1 to 50"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"intyg-load"}, tt.args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("run(%v) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}

// TestCompare runs two pairs of one binary against itself (-against) and
// checks the report: each run in the order A B, B A, each pair's ratio,
// and their median.
func TestCompare(t *testing.T) {
	bin := mustBuildIntyg(t)
	var out bytes.Buffer
	args := []string{"intyg-load", "-clients", "2", "-duration", "1s", "-warmup", "0s", "-intyg", bin, "-against", bin, "-pairs", "2"}
	if err := run(context.Background(), args, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + out.String())
	var runs []string
	for line := range strings.Lines(out.String()) {
		if f := strings.Fields(line); len(f) > 4 && f[0] == "pair" && f[4] == "durable" {
			runs = append(runs, f[1]+f[2])
		}
	}
	if want := []string{"1A", "1B", "2B", "2A"}; !slices.Equal(runs, want) {
		t.Errorf("runs %v, want %v", runs, want)
	}
	for _, want := range []string{"pair 1 B/A ", "pair 2 B/A ", "B/A accepted/s: median ", " of 2 pairs"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in the report", want)
		}
	}
}

// TestCompareBeside runs a pair with -beside: both sides at once, each
// with half the clients on a database of its own, measuring the same
// seconds (each starts once both have warmed up).
func TestCompareBeside(t *testing.T) {
	bin := mustBuildIntyg(t)
	c := Config{DB: "sqlite", Servers: 1, Clients: 4, Duration: time.Second, Warmup: 500 * time.Millisecond, Invalid: 0.1, Replay: 0.02,
		Intyg: bin, Against: bin, Pairs: 1, Procs: 1, Beside: true}
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	reps, err := runPair(context.Background(), c, []string{"A", "B"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	a, b := reps["A"], reps["B"]
	for side, rep := range reps {
		if rep.Config.Clients != 2 || rep.Accepted == 0 || rep.Stored != rep.Accepted+rep.WarmupAccepted {
			t.Errorf("%s: %d clients, %d accepted, %d stored; want 2 clients, and every accepted stored in its own database", side, rep.Config.Clients, rep.Accepted, rep.Stored)
		}
	}
	if !a.Start.Before(b.Start.Add(b.Elapsed)) || !b.Start.Before(a.Start.Add(a.Elapsed)) {
		t.Errorf("A measured from %v for %v and B from %v for %v: want the same seconds", a.Start, a.Elapsed, b.Start, b.Elapsed)
	}
	for _, args := range [][]string{{"-beside"}, {"-beside", "-against", bin, "-db", "postgres"}} {
		if err := run(context.Background(), append([]string{"intyg-load"}, args...), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "-beside needs") {
			t.Errorf("run(%v) = %v, want -beside refused", args, err)
		}
	}
}

// mustBuildIntyg builds the module's cmd/intyg into a test directory.
func mustBuildIntyg(t *testing.T) string {
	t.Helper()
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin, err := buildIntyg(context.Background(), root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

func TestPersonnummer(t *testing.T) {
	if !luhnOK("1212121212") || luhnOK("1212121213") {
		t.Fatal("luhnOK is wrong about 121212-1212 or 121212-1213")
	}
	if got, want := personnummer(0), "19400101-0018"; got != want {
		t.Errorf("personnummer(0) = %s, want %s", got, want)
	}
	seen := map[string]bool{}
	for n := range 50000 {
		p := personnummer(n)
		if seen[p] {
			t.Fatalf("personnummer(%d) = %s, already made", n, p)
		}
		seen[p] = true
		if !luhnOK(p[2:8] + p[9:]) {
			t.Fatalf("personnummer(%d) = %s: wrong check digit", n, p)
		}
	}
}

// luhnOK checks ten digits the way Skatteverket does, independently of
// personnummer's own loop.
func luhnOK(digits string) bool {
	sum := 0
	for i := len(digits) - 1; i >= 0; i-- {
		d := int(digits[i] - '0')
		if (len(digits)-1-i)%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

func TestReportProblem(t *testing.T) {
	ok := Report{Accepted: 10, Stored: 10, Distinct: 10}
	tests := []struct {
		name   string
		change func(*Report)
		want   string // "" for no problem
	}{
		{"clean", func(*Report) {}, ""},
		{"unexpected status", func(r *Report) { r.Unexpected = 1 }, "unexpected"},
		{"duplicate", func(r *Report) { r.Duplicates, r.Distinct, r.Stored = 1, 9, 9 }, "duplicate"},
		{"stored more than accepted", func(r *Report) { r.Stored = 11 }, "11 certificates stored, 10 distinct"},
		{"nothing accepted", func(r *Report) { *r = Report{} }, "no submission"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := ok
			tt.change(&r)
			err := r.problem()
			if (err == nil) != (tt.want == "") || (err != nil && !strings.Contains(err.Error(), tt.want)) {
				t.Errorf("problem() = %v, want %q", err, tt.want)
			}
		})
	}
}

// TestResolveRevision builds intyg from a revision of the repository (the
// files of HEAD, from git archive), and refuses a name that is neither a
// file nor a revision.
func TestResolveRevision(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command("git", "-C", root, "rev-parse", "--verify", "HEAD").Run(); err != nil {
		t.Skip("not a git checkout:", err)
	}
	ctx := context.Background()
	bin, err := resolveIntyg(ctx, "-against", "HEAD", root, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command(bin, "serve", "-h").CombinedOutput()
	if !strings.Contains(string(out), "-data string") {
		t.Errorf("%s serve -h:\n%s", bin, out)
	}
	for _, name := range []string{"no-such-revision", "-h", "/nonexistent/intyg"} {
		if _, err := resolveIntyg(ctx, "-against", name, root, t.TempDir()); err == nil || !strings.Contains(err.Error(), "-against "+name+": want an intyg binary or a revision") {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestDiskstats reads a device's line of /proc/diskstats (as this machine's
// kernel writes it, with the flush fields) and what it did between two
// readings.
func TestDiskstats(t *testing.T) {
	const before = ` 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 3254277 405200 91201858 2015182 43213728 2074749 4055297232 25866278 0 4419300 30493617 2696288 81 933757856 472483 6305319 2139673
 254       1 vda1 10 0 80 1 0 0 0 0 0 1 1
`
	const after = ` 253       0 zram0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0
 254       0 vda 3254277 405200 91201858 2015182 43226113 2074771 4056500208 25876592 0 4420536 30504615 2696288 81 933757856 472483 6306559 2140337
`
	name, b, ok := parseDiskstats(before, 254, 0)
	if !ok || name != "vda" {
		t.Fatalf("parseDiskstats(254:0) = %q, %v; want vda", name, ok)
	}
	_, a, _ := parseDiskstats(after, 254, 0)
	got := a.since(b, name, 5)
	want := Disk{Name: "vda", Seconds: 5, Writes: 12385, Bytes: 1202976 * 512, Busy: 1.236 / 5, Flushes: 1240, WriteMS: 10314.0 / 12385, FlushMS: 664.0 / 1240}
	if got.Name != want.Name || got.Writes != want.Writes || got.Bytes != want.Bytes || got.Flushes != want.Flushes ||
		math.Abs(got.Busy-want.Busy) > 1e-9 || math.Abs(got.WriteMS-want.WriteMS) > 1e-9 || math.Abs(got.FlushMS-want.FlushMS) > 1e-9 {
		t.Errorf("since() = %+v, want %+v", got, want)
	}
	if _, d, ok := parseDiskstats(before, 254, 1); !ok || d.Flushes != 0 || d.Writes != 0 {
		t.Errorf("an older kernel's short line (no flush fields): %+v, %v; want it read with no flushes", d, ok)
	}
	if _, _, ok := parseDiskstats(before, 8, 0); ok {
		t.Error("found a device that is not there")
	}
}

// TestDeviceOf finds the device numbers of the temporary folder's file
// system as /proc/self/mountinfo names them (its third field, major:minor,
// on the line of the longest mount point that holds the folder).
func TestDeviceOf(t *testing.T) {
	dir, err := filepath.EvalSymlinks(os.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	info, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Skipf("no /proc/self/mountinfo: %v", err)
	}
	var want, longest string
	for line := range strings.Lines(string(info)) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mount := f[4]
		if (dir == mount || strings.HasPrefix(dir, strings.TrimSuffix(mount, "/")+"/")) && len(mount) >= len(longest) {
			want, longest = f[2], mount
		}
	}
	major, minor, err := deviceOf(dir)
	if got := fmt.Sprintf("%d:%d", major, minor); err != nil || got != want {
		t.Errorf("deviceOf(%s) = %s, %v; want %s (mount point %s)", dir, got, err, want, longest)
	}
}

// TestFixedWork checks that timing the fixed work allocates nothing (a
// collector woken by it would run on the other core, beside it), and that
// a report prints it. The count is the process's: a goroutine left by an
// earlier test may allocate while the work runs, so the fewest of three
// counts is taken (with a new map each round it is thousands each time).
func TestFixedWork(t *testing.T) {
	w := newFixedWork()
	var took time.Duration
	fewest := math.Inf(1)
	for range 3 {
		fewest = min(fewest, testing.AllocsPerRun(1, func() { took = w.time() }))
	}
	if fewest != 0 || took <= 0 {
		t.Errorf("fixedWork.time() = %v with %v allocations: want a time and none", took, fewest)
	}
	var out bytes.Buffer
	(&Report{Accepted: 1, FixedWorkBefore: took, FixedWorkAfter: 2 * took}).write(&out)
	if want := fmt.Sprintf("took %.1f ms before the servers started, %.1f ms after they stopped", took.Seconds()*1000, 2*took.Seconds()*1000); !strings.Contains(out.String(), want) {
		t.Errorf("report:\n%s\nwant a line with %q", out.String(), want)
	}
}
