package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// buildIntyg builds cmd/intyg of the module at root into dir.
func buildIntyg(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "intyg")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/intyg")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/intyg: %v\n%s", err, out)
	}
	return bin, nil
}

// resolveIntyg returns the intyg binary that flag names: the file name,
// or, for a revision of the repository at root (a commit, tag or branch),
// cmd/intyg built from that revision's files (git archive) in a folder of
// its own under dir. So a build can be compared with an older one in one
// command: -against f1500a1.
func resolveIntyg(ctx context.Context, flag, name, root, dir string) (string, error) {
	if fi, err := os.Stat(name); err == nil && !fi.IsDir() {
		return filepath.Abs(name) // exec would look a bare name up in $PATH
	}
	rev := exec.CommandContext(ctx, "git", "rev-parse", "--verify", "--quiet", "--end-of-options", name+"^{commit}")
	rev.Dir = root
	out, err := rev.Output()
	if err != nil || strings.HasPrefix(name, "-") {
		return "", fmt.Errorf("%s %s: want an intyg binary or a revision of this repository", flag, name)
	}
	commit := strings.TrimSpace(string(out))
	src, err := os.MkdirTemp(dir, commit[:min(12, len(commit))]+"-")
	if err != nil {
		return "", err
	}
	// The revision's files, as git archive writes them, unpacked by tar.
	tarball := src + ".tar"
	for _, cmd := range []*exec.Cmd{
		exec.CommandContext(ctx, "git", "-C", root, "archive", "--format=tar", "--output="+tarball, commit),
		exec.CommandContext(ctx, "tar", "-x", "-f", tarball, "-C", src),
	} {
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, out)
		}
	}
	return buildIntyg(ctx, src, src)
}

// moduleRoot returns the directory of the go.mod that holds the working
// directory.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("not inside the intyg module: run from its directory")
	}
	return filepath.Dir(gomod), nil
}

// createToken runs "intyg token create" for a token of role (over units,
// for a clinic) and returns its secret (the last line printed).
func createToken(ctx context.Context, bin string, dbArgs []string, role string, units []string) (string, error) {
	args := append([]string{"token", "create"}, dbArgs...)
	args = append(args, "--role", role, "--name", "intyg-load")
	for _, u := range units {
		args = append(args, "--unit", u)
	}
	out, err := exec.CommandContext(ctx, bin, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("intyg token create: %v: %s", err, ee.Stderr)
		}
		return "", fmt.Errorf("intyg token create: %w", err)
	}
	lines := strings.Fields(strings.TrimSpace(string(out)))
	if len(lines) == 0 {
		return "", fmt.Errorf("intyg token create printed nothing")
	}
	return lines[len(lines)-1], nil
}

// server is one running "intyg serve".
type server struct {
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT
	log  *os.File
}

var listening = regexp.MustCompile(`listening on (http://\S+)`)

// startServer runs "intyg serve" on a free loopback port, its request log
// going to logPath, and returns once /readyz answers 200.
func startServer(ctx context.Context, bin string, dbArgs []string, logPath string) (*server, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0"}, dbArgs...)...)
	cmd.Stderr = log
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, log: log}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if m := listening.FindStringSubmatch(sc.Text()); m != nil {
			s.base = m[1]
			break
		}
	}
	go func() {
		for sc.Scan() {
		}
	}()
	if s.base == "" {
		s.stop()
		b, _ := os.ReadFile(logPath)
		return nil, fmt.Errorf("intyg serve printed no listening line; its log:\n%s", b)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("%s/readyz not ready after 30 s (%v)", s.base, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop sends SIGTERM (the server finishes requests under way) and waits,
// killing it after 20 s.
func (s *server) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
	s.log.Close()
}

// cpuTicks returns a process's utime+stime, in clock ticks.
func cpuTicks(pid int) (int64, error) { return statTicks(pid, 11, 12) }

// reapedTicks returns a process's cutime+cstime, in clock ticks: the CPU
// of its children that have exited and been waited for (PostgreSQL's
// autovacuum workers, which come and go).
func reapedTicks(pid int) (int64, error) { return statTicks(pid, 13, 14) }

// statTicks adds two fields of /proc/pid/stat, counted from the one after
// the command name (the state is 0).
func statTicks(pid, a, b int) (int64, error) {
	s, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, field 2, is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(s), ')')
	f := strings.Fields(string(s[i+1:]))
	if len(f) <= max(a, b) {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	x, err1 := strconv.ParseInt(f[a], 10, 64)
	y, err2 := strconv.ParseInt(f[b], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad CPU times", pid)
	}
	return x + y, nil
}

// writtenBytes returns the bytes a process has caused to be written to
// storage (write_bytes in /proc/PID/io): on SQLite, the log and the
// checkpoints' copies into the database file.
func writtenBytes(pid int) (int64, error) {
	return procField(fmt.Sprintf("/proc/%d/io", pid), "write_bytes:", 1)
}

// peakRSS returns a process's VmHWM (peak resident set size) in bytes.
func peakRSS(pid int) (int64, error) {
	return procField(fmt.Sprintf("/proc/%d/status", pid), "VmHWM:", 1024)
}

// procField returns the number after name in the proc file at path (an
// optional "kB" unit after it), times unit.
func procField(path, name string, unit int64) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n * unit, err
		}
	}
	return 0, fmt.Errorf("%s: no %s", path, strings.TrimSuffix(name, ":"))
}

// postgresTicks returns the CPU ticks of the PostgreSQL server listening on
// the DSN's port on this machine (the postmaster and its children: the
// backends, the WAL writer, the checkpointer, and those that have exited,
// such as autovacuum's workers), or ok false if none is found there.
func postgresTicks(dsn string) (ticks int64, ok bool) {
	u, err := url.Parse(dsn)
	if err != nil || u.Port() == "" {
		return 0, false
	}
	procs, _ := filepath.Glob("/proc/[0-9]*")
	master := -1
	parent := map[int]int{}
	for _, p := range procs {
		pid, _ := strconv.Atoi(filepath.Base(p))
		b, err := os.ReadFile(p + "/stat")
		if err != nil {
			continue
		}
		i := strings.LastIndexByte(string(b), ')')
		if f := strings.Fields(string(b[i+1:])); len(f) > 1 {
			parent[pid], _ = strconv.Atoi(f[1])
		}
		if cmdline, err := os.ReadFile(p + "/cmdline"); err == nil {
			args := strings.Split(string(cmdline), "\x00")
			if filepath.Base(args[0]) == "postgres" {
				for j := 0; j+1 < len(args); j++ {
					if args[j] == "-p" && args[j+1] == u.Port() {
						master = pid
					}
				}
			}
		}
	}
	if master < 0 {
		return 0, false
	}
	if t, err := reapedTicks(master); err == nil {
		ticks += t
	}
	for pid, pp := range parent {
		if pid == master || pp == master {
			if t, err := cpuTicks(pid); err == nil {
				ticks += t
			}
		}
	}
	return ticks, true
}

// post submits one body and returns the status.
func post(ctx context.Context, base, token string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/certificates", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}
