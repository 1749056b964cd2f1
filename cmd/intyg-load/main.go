// Command intyg-load measures durable submissions over HTTP: it builds
// cmd/intyg, starts one or two "intyg serve" processes on a fresh SQLite
// data directory or a fresh PostgreSQL database, posts varied valid and
// invalid fk7804 submissions from a fixed number of clients at the highest
// rate they can (github.com/valyala/fasthttp's client), and reports accepted/s,
// latency percentiles, statuses, errors, the servers' peak RSS, CPU and disk writes per
// certificate, how the machine's cores spent the run (busy, idle, waiting
// for the disk: machine.go), the machine's speed on both sides of the run
// (a fixed piece of work timed on the idle machine), what the device
// under the database did (how busy, its writes' and cache flushes' times:
// what a durable commit's sync waits for), and from their /metrics (metrics.go) their write
// transactions, writes per transaction, log syncs and the writer's
// checkpoints. Then it checks that every accepted certificate is stored
// exactly once. It exits 1 on an unexpected status, a transport error, a
// duplicate or a count that does not match.
//
//	go run ./cmd/intyg-load [-db sqlite|postgres] [-dsn DSN] [-servers 1|2] [-clients 32] [-duration 20s] [-warmup 5s] [-invalid 0.1] [-replay 0.02] [-intyg BINARY|REVISION] [-procs 1] [-against BINARY|REVISION [-pairs 4] [-beside]]
//
// With -against it compares two binaries in pairs of runs, one after the
// other or, with -beside, at once (compare). Either
// may be named by a revision of the repository instead, which the tool
// builds (resolveIntyg): -against f1500a1 measures the code as it was then
// beside the code of now, at the same hour.
//
// The tool shares the machine with the servers it measures, so it runs on
// one thread at a time (-procs): on more, its goroutines woke each other
// across the cores the server needed, and it spent about a fifth more CPU
// a request (BENCHMARKS.md).
//
// Only this command imports fasthttp; the intyg binary does not.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	"github.com/intyg/intyg/internal/pgtest"
	"github.com/intyg/intyg/store"
)

func main() {
	if err := run(context.Background(), os.Args, os.Stdout, os.Stderr); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "intyg-load:", err)
		os.Exit(1)
	}
}

// Config is what one load run does.
type Config struct {
	DB       string        // store.SQLite or store.Postgres
	DSN      string        // an existing PostgreSQL database; empty: start one
	Servers  int           // intyg serve processes, 1 or 2
	Clients  int           // concurrent requests, each on a connection of its own
	Duration time.Duration // how long to attack, and measure
	Warmup   time.Duration // how long to attack before, unmeasured (then ANALYZE on PostgreSQL)
	Invalid  float64       // share of invalid submissions
	Replay   float64       // share of replays of an accepted submission to the other server
	Examples string        // folder with valid/ and invalid/; empty: the module's examples/fk7804
	Intyg    string        // the intyg binary to measure, or a revision to build it from; empty: the module's cmd/intyg (Config.resolve)
	Procs    int           // this tool's GOMAXPROCS while it runs
	Against  string        // a second intyg binary (or revision) to compare with Intyg, in pairs of runs (compare); empty: one run
	Pairs    int           // pairs of runs, with Against
	Beside   bool          // with Against: run A and B at once, half the clients each (compare)

	// together, if not nil, is called between the warm-up and the
	// measured run, and returns when it may start (runPair's -beside).
	together func(context.Context) error
}

func (c Config) validate() error {
	switch {
	case c.DB != store.SQLite && c.DB != store.Postgres:
		return fmt.Errorf("-db %q: want sqlite or postgres", c.DB)
	case c.DSN != "" && c.DB != store.Postgres:
		return errors.New("-dsn needs -db postgres")
	case c.Servers < 1 || c.Servers > 2:
		return fmt.Errorf("-servers %d: want 1 or 2", c.Servers)
	case c.Servers > 1 && c.DB != store.Postgres:
		return errors.New("-servers 2 needs -db postgres (two processes on one SQLite file are not supported)")
	case c.Clients < 1:
		return fmt.Errorf("-clients %d: want at least 1", c.Clients)
	case c.Duration <= 0 || c.Duration > time.Hour:
		return fmt.Errorf("-duration %v: want more than 0 and at most 1h", c.Duration)
	case c.Warmup < 0 || c.Warmup > time.Hour:
		return fmt.Errorf("-warmup %v: want 0 to 1h", c.Warmup)
	case c.Procs < 1:
		return fmt.Errorf("-procs %d: want at least 1", c.Procs)
	case c.Invalid < 0 || c.Replay < 0 || c.Invalid+c.Replay > 0.9:
		return fmt.Errorf("-invalid %v -replay %v: want shares from 0 that leave at least 0.1 valid", c.Invalid, c.Replay)
	}
	if c.Beside && (c.Against == "" || c.DB != store.SQLite || c.Clients < 2) {
		return errors.New("-beside needs -against, -db sqlite and at least 2 clients (a database of its own for each side)")
	}
	if c.Against != "" && (c.Pairs < 1 || c.Pairs > 50) {
		return fmt.Errorf("-pairs %d: want 1 to 50", c.Pairs)
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	fs.StringVar(&c.DB, "db", store.SQLite, "sqlite or postgres")
	fs.StringVar(&c.DSN, "dsn", "", "an existing PostgreSQL database (default: start a throwaway server)")
	fs.IntVar(&c.Servers, "servers", 1, "intyg serve processes (2 needs postgres); requests go round-robin")
	fs.IntVar(&c.Clients, "clients", 32, "concurrent clients")
	fs.DurationVar(&c.Duration, "duration", 20*time.Second, "how long to post, and measure")
	fs.DurationVar(&c.Warmup, "warmup", 5*time.Second, "how long to post before measuring (then PostgreSQL runs ANALYZE, as after a bulk import; with 0 it plans for empty tables)")
	fs.Float64Var(&c.Invalid, "invalid", 0.1, "share of invalid submissions (want 422)")
	fs.Float64Var(&c.Replay, "replay", 0.02, "share of replays of an accepted submission, with its key, to the other server (want the same 201)")
	fs.StringVar(&c.Examples, "examples", "", "folder with valid/ and invalid/ submissions (default: examples/fk7804)")
	fs.StringVar(&c.Intyg, "intyg", "", "the intyg binary to measure, or a revision of this repository (commit, tag, branch) to build it from (default: build this module's cmd/intyg)")
	fs.IntVar(&c.Procs, "procs", 1, "this tool's GOMAXPROCS: the threads it runs Go code on at once, on the machine it shares with the servers")
	fs.StringVar(&c.Against, "against", "", "a second intyg binary, or a revision of this repository to build it from: run it and -intyg's in pairs (A B, B A …) and report each pair's ratio of accepted/s, since only runs close in time compare on a shared machine")
	fs.IntVar(&c.Pairs, "pairs", 4, "pairs of runs, with -against")
	fs.BoolVar(&c.Beside, "beside", false, "with -against: run both at once, each with half the clients and a SQLite database of its own, so that both see the same minutes of the machine")
	cpuProfile := fs.String("cpuprofile", "", "write this tool's own CPU profile to the file (what the load costs the machine)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	names := [2]string{c.Intyg, c.Against} // as asked for, for compare's report
	if names[0] == "" {
		names[0] = "this module's cmd/intyg"
	}
	builds, err := os.MkdirTemp("", "intyg-load-builds-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(builds)
	if err := c.resolve(ctx, builds, stderr); err != nil {
		return err
	}
	procs := c.Procs
	if c.Beside {
		procs *= 2 // each side's clients as many threads as one run's
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	if c.Against != "" {
		return compare(ctx, c, names, stdout, stderr)
	}
	// The fixed work is timed on an idle machine, before the servers
	// start and after they stop, outside every figure of the run.
	work := newFixedWork()
	before := work.time()
	rep, err := load(ctx, c, stderr)
	if rep != nil {
		rep.FixedWorkBefore, rep.FixedWorkAfter = before, work.time()
		rep.write(stdout)
	}
	if err != nil {
		return err
	}
	return rep.problem()
}

// resolve makes c's -intyg and -against binaries' paths (resolveIntyg),
// building under dir those named by a revision and, for an empty -intyg,
// the module's cmd/intyg: once, however many runs follow.
func (c *Config) resolve(ctx context.Context, dir string, logw io.Writer) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if c.Intyg == "" {
		fmt.Fprintln(logw, "intyg-load: building cmd/intyg")
		if c.Intyg, err = buildIntyg(ctx, root, dir); err != nil {
			return err
		}
	}
	for _, f := range []struct {
		flag string
		name *string
	}{{"-intyg", &c.Intyg}, {"-against", &c.Against}} {
		if *f.name == "" {
			continue
		}
		if *f.name, err = resolveIntyg(ctx, f.flag, *f.name, root, dir); err != nil {
			return err
		}
	}
	return nil
}

// Report is what a load run measured.
type Report struct {
	Config         Config
	Start          time.Time      // when the measured requests began
	Elapsed        time.Duration  // from the first measured request to the last answer
	Requests       int            // every request sent after the warm-up
	Accepted       int            // fresh valid submissions answered 201
	WarmupAccepted int            // those answered 201 during the warm-up, not measured
	Replayed       int            // replays answered 201 Idempotent-Replayed with the original id
	Refused        int            // invalid submissions answered 422
	Statuses       map[string]int // answers per kind and status, "valid 201"
	Unexpected     int            // any other answer, or a replay without its original id, warm-up included
	Errors         map[string]int // transport errors and unexpected answers, by message (some), warm-up included
	P50            time.Duration  // of the fresh 201s
	P95            time.Duration
	P99            time.Duration
	Max            time.Duration
	PerServer      []ServerReport
	ServerCPU      time.Duration // all servers together
	ClientCPU      time.Duration // this process (the client and the checks), which shares the machine
	PostgresCPU    time.Duration // the PostgreSQL server's processes; 0 if not found
	Machine        Machine       // how the machine's cores spent the attack
	Disk           Disk          // what the device holding the database did (Name "" if none was found, or with -dsn)
	Store          storeCounters // the servers' write counters over the attack
	Stored         int           // certificates the database gained
	Distinct       int           // distinct ids among the accepted
	Duplicates     int           // ids answered for more than one fresh submission
	InvalidFiles   int           // invalid examples used
	ValidFiles     int

	// FixedWorkBefore and FixedWorkAfter are the time of a fixed piece of
	// work (fixedWork) on the idle machine before the servers start and
	// after they stop: the machine's speed in the run's minutes, where
	// more is slower (0 if not measured, as in -against's runs).
	FixedWorkBefore, FixedWorkAfter time.Duration
}

// ServerReport is one intyg serve process's share.
type ServerReport struct {
	Accepted int           // fresh 201s it answered
	P50, P99 time.Duration // of those
	PeakRSS  int64         // VmHWM, bytes
	CPU      time.Duration // utime+stime over the attack
	Written  int64         // bytes it caused to be written to storage over the attack
}

// written is the bytes the servers caused to be written to storage.
func (r *Report) written() int64 {
	var n int64
	for _, s := range r.PerServer {
		n += s.Written
	}
	return n
}

// AcceptedPerSecond is fresh 201s per second of attack.
func (r *Report) AcceptedPerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Accepted) / r.Elapsed.Seconds()
}

// WriterShares are the shares of the measured time SQLite's one writer
// was at work, and waited for the log's sync before its next commit
// (intyg_store_writer_wait_seconds_total and
// intyg_store_writer_sync_wait_seconds_total; the rest it waited for a
// submission). At work nearly all the time, the writer is what bounds the
// certificates a second; waiting mostly for the sync, the disk's syncs
// are. Not for PostgreSQL, whose writer has several workers, nor for
// servers that do not count the wait.
func (r *Report) WriterShares() (atWork, syncWait float64, ok bool) {
	s := r.Store
	if r.Config.DB != store.SQLite || !s.Found || r.Elapsed <= 0 || s.WaitSeconds+s.SyncWaitS <= 0 {
		return 0, 0, false
	}
	elapsed := r.Elapsed.Seconds()
	return max(0, 1-(s.WaitSeconds+s.SyncWaitS)/elapsed), s.SyncWaitS / elapsed, true
}

// perCertificate is cpu in µs per fresh 201.
func (r *Report) perCertificate(cpu time.Duration) float64 {
	return float64(cpu.Microseconds()) / float64(r.Accepted)
}

// problem says why the run failed, or returns nil.
func (r *Report) problem() error {
	switch {
	case r.Unexpected > 0:
		return fmt.Errorf("%d unexpected answers or transport errors", r.Unexpected)
	case r.Duplicates > 0:
		return fmt.Errorf("%d duplicate certificate ids", r.Duplicates)
	case r.Stored != r.Distinct:
		return fmt.Errorf("%d certificates stored, %d distinct ids accepted", r.Stored, r.Distinct)
	case r.Accepted == 0:
		return errors.New("no submission was accepted")
	}
	return nil
}

func (r *Report) write(w io.Writer) {
	c := r.Config
	fmt.Fprintf(w, "intyg-load: %s, %d server(s), %d clients, %v, invalid %.2f, replay %.2f (%d valid and %d invalid examples), this tool on %d thread(s)\n",
		c.DB, c.Servers, c.Clients, c.Duration, c.Invalid, c.Replay, r.ValidFiles, r.InvalidFiles, c.Procs)
	if c.Warmup > 0 {
		fmt.Fprintf(w, "warm-up       %v, %d accepted (not measured)\n", c.Warmup, r.WarmupAccepted)
	}
	fmt.Fprintf(w, "requests      %d in %.1f s\n", r.Requests, r.Elapsed.Seconds())
	fmt.Fprintf(w, "accepted      %d (%.0f/s durable 201)\n", r.Accepted, r.AcceptedPerSecond())
	fmt.Fprintf(w, "latency 201   p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms\n", ms(r.P50), ms(r.P95), ms(r.P99), ms(r.Max))
	keys := make([]string, 0, len(r.Statuses))
	for k := range r.Statuses {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fmt.Fprint(w, "statuses     ")
	for _, k := range keys {
		fmt.Fprintf(w, " %s: %d;", k, r.Statuses[k])
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "replays       %d answered 201 Idempotent-Replayed with the original id\n", r.Replayed)
	fmt.Fprintf(w, "errors        %d", r.Unexpected)
	for msg, n := range r.Errors {
		fmt.Fprintf(w, "; %dx %s", n, msg)
	}
	fmt.Fprintln(w)
	for i, s := range r.PerServer {
		fmt.Fprintf(w, "server %d      accepted %d, p50 %.1f ms, p99 %.1f ms, peak RSS %.0f MB, CPU %.2f s\n",
			i+1, s.Accepted, ms(s.P50), ms(s.P99), float64(s.PeakRSS)/(1<<20), s.CPU.Seconds())
	}
	if r.Accepted > 0 {
		fmt.Fprintf(w, "server CPU    %.2f s, %.0f µs per accepted certificate\n", r.ServerCPU.Seconds(), r.perCertificate(r.ServerCPU))
		if written := r.written(); written > 0 {
			fmt.Fprintf(w, "server disk   %.0f MB written, %.1f KB per accepted certificate\n", float64(written)/1e6, float64(written)/1e3/float64(r.Accepted))
		}
		fmt.Fprintf(w, "client CPU    %.2f s (this tool)\n", r.ClientCPU.Seconds())
		if r.PostgresCPU > 0 {
			fmt.Fprintf(w, "postgres CPU  %.2f s, %.0f µs per accepted certificate\n", r.PostgresCPU.Seconds(), r.perCertificate(r.PostgresCPU))
		}
		if m := r.Machine; m.Cores > 0 {
			fmt.Fprintf(w, "machine       %d cores: %.0f %% busy (user %.0f, system %.0f), %.0f %% idle, %.0f %% I/O wait, %.0f %% stolen\n",
				m.Cores, 100*m.Busy(), 100*m.User, 100*m.System, 100*m.Idle, 100*m.IOWait, 100*m.Steal)
		}
		if r.FixedWorkBefore > 0 && r.FixedWorkAfter > 0 {
			fmt.Fprintf(w, "machine speed a fixed piece of work on one thread took %.1f ms before the servers started, %.1f ms after they stopped\n",
				r.FixedWorkBefore.Seconds()*1000, r.FixedWorkAfter.Seconds()*1000)
		}
		if d := r.Disk; d.Name != "" && d.Seconds > 0 {
			fmt.Fprintf(w, "device        %s: %.0f %% busy, %.0f writes/s (%.0f MB/s), %.2f ms each",
				d.Name, 100*d.Busy, float64(d.Writes)/d.Seconds, float64(d.Bytes)/1e6/d.Seconds, d.WriteMS)
			if d.Flushes > 0 {
				fmt.Fprintf(w, "; %.0f cache flushes/s, %.2f ms each", float64(d.Flushes)/d.Seconds, d.FlushMS)
			}
			fmt.Fprintln(w)
		}
	}
	if s := r.Store; s.Found && s.Transactions > 0 {
		fmt.Fprintf(w, "transactions  %.0f, %.1f writes each", s.Transactions, s.Writes/s.Transactions)
		if s.Syncs > 0 {
			fmt.Fprintf(w, "; %.0f log syncs, %.2f ms each", s.Syncs, 1000*s.SyncSeconds/s.Syncs)
		}
		if s.Checkpoints > 0 {
			fmt.Fprintf(w, "; the writer finished %.0f checkpoints, %.1f ms each", s.Checkpoints, 1000*s.CheckpointS/s.Checkpoints)
		}
		if atWork, syncWait, ok := r.WriterShares(); ok {
			fmt.Fprintf(w, "; the writer at work %.0f %% of the time, waiting for a sync %.0f %%", 100*atWork, 100*syncWait)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "stored        %d certificates, %d distinct accepted ids, %d duplicates\n", r.Stored, r.Distinct, r.Duplicates)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// load runs one measurement of the binary at c.Intyg (Config.resolve):
// database, token, servers, attack, verification. Diagnostics go to logw.
func load(ctx context.Context, c Config, logw io.Writer) (*Report, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	if c.Examples == "" {
		c.Examples = filepath.Join(root, "examples", "fk7804")
	}
	valid, invalid, units, err := loadExamples(c.Examples)
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "intyg-load-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := c.Intyg // a path, made so by run (Config.resolve)
	if bin == "" {
		return nil, errors.New("intyg-load: no intyg binary to measure (Config.resolve)")
	}

	// The database: a fresh SQLite directory, or a fresh PostgreSQL.
	var dbArgs []string
	dsn := c.DSN
	switch {
	case c.DB == store.SQLite:
		dbArgs = []string{"--data", filepath.Join(tmp, "data")}
	case dsn == "":
		fmt.Fprintln(logw, "intyg-load: starting PostgreSQL")
		// At PostgreSQL's defaults: the warm-up ends in ANALYZE, so that
		// autovacuum need not look at the tables every second.
		var stopPG func()
		if dsn, stopPG, err = pgtest.Start(); err != nil {
			return nil, err
		}
		defer stopPG()
		fallthrough
	default:
		dbArgs = []string{"--dsn", dsn}
	}
	token, err := createToken(ctx, bin, dbArgs, "clinic", units)
	if err != nil {
		return nil, err
	}
	admin, err := createToken(ctx, bin, dbArgs, "admin", nil)
	if err != nil {
		return nil, err
	}
	// A database given with -dsn may hold certificates already.
	dbDSN := dsn
	if c.DB == store.SQLite {
		dbDSN = filepath.Join(tmp, "data", "intyg.db")
	}
	storedBefore, err := store.CountStored(ctx, c.DB, dbDSN)
	if err != nil {
		return nil, err
	}
	var servers []*server
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for i := range c.Servers {
		s, err := startServer(ctx, bin, dbArgs, filepath.Join(tmp, fmt.Sprintf("server%d.log", i+1)))
		if err != nil {
			return nil, err
		}
		servers = append(servers, s)
	}

	g := &generator{
		token:       token,
		run:         "load-" + randomHex(6),
		valid:       valid,
		invalidFrac: c.Invalid,
		replayFrac:  c.Replay,
		rng:         mrand.New(mrand.NewPCG(1, 2)),
		accepted:    map[int]accepted{},
	}
	for _, s := range servers {
		g.servers = append(g.servers, s.base)
	}
	// Only the invalid examples that a server refuses with 422 (not those
	// it refuses earlier, with 400 for an undecodable body) are used.
	usable, err := preflight(ctx, g.servers[0], token, invalid)
	if err != nil {
		return nil, err
	}
	g.invalid = usable

	rep := &Report{Config: c, Statuses: map[string]int{}, Errors: map[string]int{}, ValidFiles: len(valid), InvalidFiles: len(usable)}
	var (
		latencies []time.Duration
		perServer = make([][]time.Duration, len(servers))
		ids       = map[string]int{} // id → fresh submissions answered with it
		measuring bool
	)
	// check checks one answer. Every answer is checked, and every
	// certificate accepted counts toward the duplicates and the stored;
	// only the answers after the warm-up are measured.
	check := func(res result) {
		kind, n := res.kind, res.n
		status := strconv.Itoa(res.code)
		if res.code == 0 {
			status = "error"
		}
		if measuring {
			rep.Requests++
			rep.Statuses[kindName(kind)+" "+status]++
		}
		bad := func(msg string) {
			rep.Unexpected++
			if len(rep.Errors) < 10 || rep.Errors[msg] > 0 {
				rep.Errors[msg]++
			}
		}
		if res.code == 0 {
			bad(res.err)
			return
		}
		switch kind {
		case kindValid:
			if res.code != 201 {
				bad(fmt.Sprintf("valid %s: %d %.200s", g.valid[n%len(g.valid)].name, res.code, res.body))
				return
			}
			id, err := responseID(res.body)
			if err != nil {
				bad(err.Error())
				return
			}
			ids[id]++
			g.accept(n, accepted{id: id, server: n % len(g.servers)})
			if !measuring {
				rep.WarmupAccepted++
				return
			}
			rep.Accepted++
			latencies = append(latencies, res.latency)
			perServer[n%len(servers)] = append(perServer[n%len(servers)], res.latency)
		case kindInvalid:
			if res.code != 422 {
				bad(fmt.Sprintf("invalid: %d %.200s", res.code, res.body))
				return
			}
			if measuring {
				rep.Refused++
			}
		case kindReplay:
			orig, _ := g.lookup(n)
			id, err := responseID(res.body)
			switch {
			case res.code != 201:
				bad(fmt.Sprintf("replay: %d %.200s", res.code, res.body))
			case !res.replayed:
				bad("replay: 201 without Idempotent-Replayed: true (a second certificate)")
			case err != nil || id != orig.id:
				bad(fmt.Sprintf("replay: id %q, want the original %q", id, orig.id))
			case measuring:
				rep.Replayed++
			}
		default:
			bad(fmt.Sprintf("a result of an unknown kind %q", res.kind))
		}
	}

	// The warm-up fills the database a little, so that what is measured
	// is a server at work rather than one starting on empty tables. Then
	// PostgreSQL gathers statistics, as an operator does after a bulk
	// import (README): autovacuum, at its defaults, would take a minute
	// to, and until it does the planner keeps what it planned for empty
	// tables (a scan of every case period for each submission's flags).
	if c.Warmup > 0 {
		fmt.Fprintf(logw, "intyg-load: %d clients warm up for %v\n", c.Clients, c.Warmup)
		for res := range attack(ctx, g, c.Clients, c.Warmup) {
			check(res)
		}
		if c.DB == store.Postgres {
			if err := store.AnalyzeStored(ctx, dsn); err != nil {
				return nil, err
			}
		}
	}

	if c.together != nil {
		if err := c.together(ctx); err != nil {
			return nil, err
		}
	}
	before := make([]int64, len(servers))
	writtenBefore := make([]int64, len(servers))
	for i, s := range servers {
		if before[i], err = cpuTicks(s.cmd.Process.Pid); err != nil {
			return nil, err
		}
		if writtenBefore[i], err = writtenBytes(s.cmd.Process.Pid); err != nil {
			return nil, err
		}
	}
	selfBefore, err := cpuTicks(os.Getpid())
	if err != nil {
		return nil, err
	}
	pgBefore, pgFound := int64(0), false
	if c.DB == store.Postgres {
		pgBefore, pgFound = postgresTicks(dsn)
	}
	countersBefore := make([]storeCounters, len(servers))
	for i, s := range servers {
		if countersBefore[i], err = scrapeStore(ctx, s.base, admin); err != nil {
			return nil, err
		}
	}

	machineBefore, _, err := readMachine()
	if err != nil {
		return nil, err
	}
	// The device under the temporary folder holds SQLite's database, or a
	// throwaway PostgreSQL's (pgtest makes it there too); a database given
	// with -dsn may be anywhere, so its device is not measured.
	major, minor, devErr := deviceOf(tmp)
	diskName, diskBefore, diskFound := readDisk(major, minor)
	diskFound = diskFound && devErr == nil && c.DSN == ""
	fmt.Fprintf(logw, "intyg-load: %d clients for %v against %v\n", c.Clients, c.Duration, g.servers)
	measuring = true
	start := time.Now()
	rep.Start = start
	var last time.Time
	for res := range attack(ctx, g, c.Clients, c.Duration) {
		last = res.end
		check(res)
	}
	rep.Elapsed = last.Sub(start)
	machineAfter, cores, err := readMachine()
	if err != nil {
		return rep, err
	}
	rep.Machine = machineAfter.since(machineBefore, cores)
	if _, diskAfter, ok := readDisk(major, minor); diskFound && ok {
		rep.Disk = diskAfter.since(diskBefore, diskName, rep.Elapsed.Seconds())
	}

	for i, s := range servers {
		pid := s.cmd.Process.Pid
		after, err := cpuTicks(pid)
		if err != nil {
			return rep, err
		}
		sr := ServerReport{Accepted: len(perServer[i]), CPU: time.Duration(after-before[i]) * time.Second / clockTicks}
		rep.ServerCPU += sr.CPU
		if sr.PeakRSS, err = peakRSS(pid); err != nil {
			return rep, err
		}
		written, err := writtenBytes(pid)
		if err != nil {
			return rep, err
		}
		sr.Written = written - writtenBefore[i]
		slices.Sort(perServer[i])
		sr.P50, sr.P99 = percentile(perServer[i], 50), percentile(perServer[i], 99)
		counters, err := scrapeStore(ctx, s.base, admin)
		if err != nil {
			return rep, err
		}
		rep.Store = rep.Store.add(counters.sub(countersBefore[i]))
		rep.PerServer = append(rep.PerServer, sr)
	}
	if self, err := cpuTicks(os.Getpid()); err == nil {
		rep.ClientCPU = time.Duration(self-selfBefore) * time.Second / clockTicks
	}
	if pgFound {
		if t, ok := postgresTicks(dsn); ok {
			rep.PostgresCPU = time.Duration(t-pgBefore) * time.Second / clockTicks
		}
	}
	slices.Sort(latencies)
	rep.P50, rep.P95, rep.P99 = percentile(latencies, 50), percentile(latencies, 95), percentile(latencies, 99)
	if len(latencies) > 0 {
		rep.Max = latencies[len(latencies)-1]
	}
	rep.Distinct = len(ids)
	for _, k := range ids {
		if k > 1 {
			rep.Duplicates += k - 1
		}
	}

	// Stop the servers before counting, so that what is counted is what
	// the database holds after every answer.
	for _, s := range servers {
		s.stop()
	}
	servers = nil
	after, err := store.CountStored(ctx, c.DB, dbDSN)
	if err != nil {
		return rep, err
	}
	rep.Stored = after - storedBefore
	return rep, nil
}

// preflight posts each invalid example once (storing nothing) and returns
// those answered 422.
func preflight(ctx context.Context, base, token string, invalid map[string][]byte) ([][]byte, error) {
	names := make([]string, 0, len(invalid))
	for name := range invalid {
		names = append(names, name)
	}
	slices.Sort(names)
	var out [][]byte
	for _, name := range names {
		code, err := post(ctx, base, token, invalid[name])
		if err != nil {
			return nil, err
		}
		if code == 422 {
			out = append(out, invalid[name])
		}
	}
	return out, nil
}

func kindName(k byte) string {
	switch k {
	case kindValid:
		return "valid"
	case kindInvalid:
		return "invalid"
	case kindReplay:
		return "replay"
	}
	return "unknown"
}

func responseID(body []byte) (string, error) {
	var r struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(body, &r); err != nil || r.ID == "" {
		return "", fmt.Errorf("a 201 without an id: %.200s", body)
	}
	return r.ID, nil
}

// percentile returns the p-th percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[max(i-1, 0)]
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
