package store

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/intyg/intyg/intake"
)

// TestLogVFSWhenTheDiskRefuses: when the log cannot grow (a file size
// limit, as a full disk), a transaction whose held frames cannot be
// written must not commit, whether its first failed write is a flush for
// a read (a statement fails, the transaction goes on) or its commit; and
// once the disk takes writes again, the database holds exactly what
// committed. It runs in a child process, since the limit is the process's.
func TestLogVFSWhenTheDiskRefuses(t *testing.T) {
	inChild(t, "INTYG_LOGVFS_CHILD", logVFSRefused)
}

// inChild runs fn in a child process of the test binary, given a
// directory of its own through the environment variable env: what a
// process-wide limit (RLIMIT_FSIZE for a full disk) must not touch the
// other tests. The child runs only the calling test.
func inChild(t *testing.T, env string, fn func(t *testing.T, dir string)) {
	if dir := os.Getenv(env); dir != "" {
		fn(t, dir)
		return
	}
	cmd := exec.Command(os.Args[0], "-test.run=^"+t.Name()+"$", "-test.v")
	cmd.Env = append(os.Environ(), env+"="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if !bytes.Contains(out, []byte("--- PASS: "+t.Name())) {
		t.Fatalf("the child did not run the test:\n%s", out)
	}
}

func logVFSRefused(t *testing.T, dir string) {
	path := filepath.Join(dir, "log.db")
	db := openLogTest(t, path, logVFSName)
	reader := openLogTest(t, path, "")
	row := bytes.Repeat([]byte{7}, 1500)
	for _, q := range []string{`CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)`, `CREATE TABLE u (id INTEGER PRIMARY KEY, b BLOB)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		if _, err := db.Exec(`INSERT INTO t (id, b) VALUES (?, ?)`, i, row); err != nil {
			t.Fatal(err)
		}
	}

	signal.Ignore(syscall.SIGXFSZ)
	var was syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	// refuse lets no file grow more than 64 KiB past the log's size now;
	// accept lifts that.
	refuse := func() {
		wal, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(wal.Size()) + 64<<10, Max: was.Max}); err != nil {
			t.Fatal(err)
		}
	}
	accept := func() {
		if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
			t.Fatal(err)
		}
	}
	count := func(want int) {
		t.Helper()
		var check string
		if err := reader.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
			t.Fatalf("integrity_check: %q, %v", check, err)
		}
		var n, u int
		if err := reader.QueryRow(`SELECT (SELECT count(*) FROM t), (SELECT count(*) FROM u)`).Scan(&n, &u); err != nil {
			t.Fatal(err)
		}
		if n != want || u != 0 {
			t.Errorf("%d rows in t and %d in u, want %d and 0", n, u, want)
		}
	}

	// A transaction that the disk refuses at its commit is not stored, and
	// the next is.
	refuse()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(`INSERT INTO t (id, b) VALUES (?, ?)`, 1000, bytes.Repeat([]byte{8}, 200<<10))
	if err == nil {
		err = tx.Commit()
	} else {
		tx.Rollback()
	}
	if err == nil {
		t.Error("a transaction the disk refused was stored")
	}
	accept()
	if _, err := db.Exec(`INSERT INTO t (id, b) VALUES (?, ?)`, 2000, row); err != nil {
		t.Fatal(err)
	}
	count(21)
	if _, err := db.Exec(`PRAGMA cache_size = 10`); err != nil {
		t.Fatal(err)
	}

	// A transaction spills some 300 KB, held; a statement then reads them
	// and the flush fails, the statement with it. SQLite rolls the
	// transaction back for an I/O error (for a full disk, only the
	// statement); if it commits once the disk takes writes, every frame it
	// spilled must be in the log.
	refuse()
	tx, err = db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := 100; i < 300; i++ {
		if _, err := tx.Exec(`INSERT INTO t (id, b) VALUES (?, ?)`, i, row); err != nil {
			t.Fatalf("insert %d: %v", i, err)
		}
	}
	if _, err := tx.Exec(`INSERT INTO u SELECT id, b FROM t`); err == nil {
		t.Error("a statement that read pages the disk refused went through")
	}
	accept()
	want := 21
	if err := tx.Commit(); err == nil {
		want += 200
	}
	count(want)
}

// writeCalls is how many write system calls this process has made
// (Linux's /proc/self/io).
func writeCalls(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "syscw: "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
	}
	t.Fatal("no syscw in /proc/self/io")
	return 0
}

// TestLogVFSWritesACommitAtOnce: a transaction of some 130 pages reaches
// the log in a few writes through logVFS, where the host VFS makes two a
// page; and again once a checkpoint has restarted the log.
func TestLogVFSWritesACommitAtOnce(t *testing.T) {
	calls := map[string][]int{}
	for _, vfs := range []string{"", logVFSName} {
		db := openLogTest(t, filepath.Join(t.TempDir(), "log.db"), vfs)
		if _, err := db.Exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)`); err != nil {
			t.Fatal(err)
		}
		for round := range 2 {
			if round > 0 {
				if _, err := db.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
					t.Fatal(err)
				}
			}
			tx, err := db.Begin()
			if err != nil {
				t.Fatal(err)
			}
			for i := range 120 {
				if _, err := tx.Exec(`INSERT INTO t (b) VALUES (?)`, bytes.Repeat([]byte{byte(i)}, 3000)); err != nil {
					t.Fatal(err)
				}
			}
			before := writeCalls(t)
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			calls[vfs] = append(calls[vfs], writeCalls(t)-before)
		}
	}
	t.Logf("write calls for a commit, before and after a checkpoint: host VFS %v, %s %v", calls[""], logVFSName, calls[logVFSName])
	for round, n := range calls[""] {
		if n < 200 {
			t.Fatalf("round %d: the host VFS made %d write calls; the measure cannot tell the two apart", round, n)
		}
	}
	for round, n := range calls[logVFSName] {
		if n > 10 {
			t.Errorf("round %d: %s made %d write calls for one commit, want at most 10", round, logVFSName, n)
		}
	}
}

// TestToolBesideAServerAfterAFullDisk: a server's write that a full disk
// refused leaves nothing of it to be written later. An intyg command
// beside the server (OpenExisting) then writes where the refused frames
// would have gone, and the server's next write must not overwrite that:
// the database stays whole and keeps the command's write. It runs in a
// child process, since the file size limit that stands for the full disk
// is the process's.
func TestToolBesideAServerAfterAFullDisk(t *testing.T) {
	inChild(t, "INTYG_TOOLBESIDE_CHILD", toolBesideFullDisk)
}

func toolBesideFullDisk(t *testing.T, dir string) {
	ctx := context.Background()
	path := filepath.Join(dir, "intyg.db")
	server, err := Open(ctx, SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	for i := range 5 {
		if _, _, err := server.CreateToken(ctx, intake.RoleCaseworker, "", "before "+strconv.Itoa(i)); err != nil {
			t.Fatal(err)
		}
	}
	signal.Ignore(syscall.SIGXFSZ)
	var was syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	wal, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// No file may grow more than a few hundred bytes: no frame fits.
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &syscall.Rlimit{Cur: uint64(wal.Size()) + 512, Max: was.Max}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := server.CreateToken(ctx, intake.RoleCaseworker, "", "refused"); err == nil {
		t.Fatal("a write the full disk refused went through")
	}
	if err := syscall.Setrlimit(syscall.RLIMIT_FSIZE, &was); err != nil {
		t.Fatal(err)
	}
	tool, err := OpenExisting(ctx, SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := tool.CreateToken(ctx, intake.RoleCaseworker, "", "the tool's"); err != nil {
		t.Fatal(err)
	}
	tool.Close()
	if _, _, err := server.CreateToken(ctx, intake.RoleCaseworker, "", "after"); err != nil {
		t.Fatal(err)
	}
	check, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var ok string
	if err := check.QueryRow(`PRAGMA integrity_check`).Scan(&ok); err != nil || ok != "ok" {
		t.Fatalf("integrity_check: %q, %v", ok, err)
	}
	var names []string
	rows, err := check.Query(`SELECT name FROM tokens ORDER BY created_at, name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	for _, want := range []string{"the tool's", "after"} {
		if !slices.Contains(names, want) {
			t.Errorf("tokens %q, want %q among them", names, want)
		}
	}
	if slices.Contains(names, "refused") {
		t.Errorf("tokens %q: the refused write is stored", names)
	}
}
