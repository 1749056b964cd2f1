// Package pgtest starts a real PostgreSQL server for tests, from the
// binaries the Debian postgresql package installs, in a temporary directory
// on a loopback port. Each test gets a database of its own. Tests use DSN;
// the load tool (cmd/intyg-load) uses Start for a server of its own.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the pgx driver
)

// Server is a running PostgreSQL server.
type Server struct {
	dir, bin, port string
	asPostgres     bool
	admin          *sql.DB
	n              atomic.Int64
}

var (
	once    sync.Once
	server  *Server
	initErr error
)

// DSN returns the connection string of a fresh, empty database. Without
// PostgreSQL installed it skips the test with a message saying how to get
// it; INTYG_TEST_POSTGRES_DSN names an existing server to use instead.
func DSN(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv("INTYG_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	once.Do(func() { server, initErr = start() })
	if initErr != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("PostgreSQL is required in CI: %v", initErr)
		}
		tb.Skipf("PostgreSQL tests skipped: %v (install Debian's postgresql package, or set INTYG_TEST_POSTGRES_DSN)", initErr)
	}
	name := fmt.Sprintf("t%d_%d", os.Getpid(), server.n.Add(1))
	if _, err := server.admin.Exec("CREATE DATABASE " + name); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%s/%s?sslmode=disable", server.port, name)
}

// Stop stops the server, if one was started. Call it from TestMain after m.Run.
func Stop() {
	if server == nil {
		return
	}
	server.stop()
}

// Start starts a PostgreSQL server of its own (not the one DSN shares), with
// one empty database, outside tests. stop stops the server and removes its
// files.
func Start() (dsn string, stop func(), err error) {
	s, err := start()
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: start: %w", err)
	}
	if _, err := s.admin.Exec("CREATE DATABASE intyg"); err != nil {
		s.stop()
		return "", nil, fmt.Errorf("pgtest: create database: %w", err)
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%s/intyg?sslmode=disable", s.port), s.stop, nil
}

func (s *Server) stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	s.run("pg_ctl", "-D", s.dir, "-m", "immediate", "-w", "stop")
	os.RemoveAll(filepath.Dir(s.dir))
}

func findBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Strings(dirs)
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i], nil
		}
	}
	return "", fmt.Errorf("no initdb on PATH or in /usr/lib/postgresql/*/bin")
}

func start() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, asPostgres: os.Geteuid() == 0}
	if s.dir, err = os.MkdirTemp("", "intyg-pg-"); err != nil {
		return nil, err
	}
	if s.asPostgres {
		// initdb and pg_ctl refuse to run as root: run them as postgres.
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user: %w", err)
		}
		if out, err := exec.Command("chown", u.Username, s.dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown: %v: %s", err, out)
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.port = fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
	l.Close()
	data := filepath.Join(s.dir, "data")
	if err := s.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"); err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c max_connections=200", s.port, s.dir)
	if err := s.run("pg_ctl", "-D", data, "-o", opts, "-l", filepath.Join(s.dir, "log"), "-w", "-t", "60", "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "log"))
		return nil, fmt.Errorf("%v\n%s", err, log)
	}
	s.dir = data
	s.admin, err = sql.Open("pgx", fmt.Sprintf("postgres://postgres@127.0.0.1:%s/postgres?sslmode=disable", s.port))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		if err = s.admin.PingContext(ctx); err == nil || ctx.Err() != nil {
			return s, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	if s.asPostgres {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", filepath.Join(s.bin, name)}, args...)...)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}
