package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// machineTicks is what the whole machine's cores did, from the first line
// of /proc/stat, in clock ticks summed over the cores.
type machineTicks struct {
	User, System, Idle, IOWait, Steal int64
}

// Machine is how the machine's cores spent the attack, in shares of their
// time: whether the run was bound by the CPU (little idle) or by waiting
// (the disk's syncs, the writer's turn). Only this process and the servers
// it started are expected to run; others show as their share of busy.
type Machine struct {
	Cores                             int
	User, System, Idle, IOWait, Steal float64 // 0–1
}

// Busy is the share of the cores' time spent running anything.
func (m Machine) Busy() float64 { return m.User + m.System }

// readMachine reads the cores' times so far. user includes nice, system
// includes the interrupts' time.
func readMachine() (machineTicks, int, error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return machineTicks{}, 0, err
	}
	var total machineTicks
	cores := 0
	for line := range strings.Lines(string(b)) {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			cores++
			continue
		}
		if len(f) < 9 {
			return machineTicks{}, 0, errors.New("/proc/stat: too few fields on its cpu line")
		}
		var v [8]int64 // user nice system idle iowait irq softirq steal
		for i := range v {
			if v[i], err = strconv.ParseInt(f[i+1], 10, 64); err != nil {
				return machineTicks{}, 0, fmt.Errorf("/proc/stat: %w", err)
			}
		}
		total = machineTicks{User: v[0] + v[1], System: v[2] + v[5] + v[6], Idle: v[3], IOWait: v[4], Steal: v[7]}
	}
	return total, cores, nil
}

// since is how the cores spent the time from before to m.
func (m machineTicks) since(before machineTicks, cores int) Machine {
	d := machineTicks{m.User - before.User, m.System - before.System, m.Idle - before.Idle, m.IOWait - before.IOWait, m.Steal - before.Steal}
	all := float64(d.User + d.System + d.Idle + d.IOWait + d.Steal)
	if all <= 0 {
		return Machine{Cores: cores}
	}
	share := func(t int64) float64 { return float64(t) / all }
	return Machine{Cores: cores, User: share(d.User), System: share(d.System), Idle: share(d.Idle), IOWait: share(d.IOWait), Steal: share(d.Steal)}
}

// diskTicks is what one block device did so far, from its line in
// /proc/diskstats.
type diskTicks struct {
	Writes, Sectors, WriteMS, BusyMS, Flushes, FlushMS int64
}

// Disk is what the device holding the database did over the attack: how
// busy it was and how long its writes and cache flushes took, which is
// what a durable commit's sync waits for.
type Disk struct {
	Name          string
	Seconds       float64
	Writes, Bytes int64
	Busy          float64 // 0–1: the share of the time it had a request in flight
	Flushes       int64
	WriteMS       float64 // a write request's mean time, queue included
	FlushMS       float64 // a cache flush's mean time
}

// deviceOf returns the device numbers of the file system that holds path.
func deviceOf(path string) (major, minor uint64, err error) {
	var st syscall.Stat_t
	if err := syscall.Stat(path, &st); err != nil {
		return 0, 0, err
	}
	dev := uint64(st.Dev) // Linux's encoding, read as glibc's gnu_dev_major and gnu_dev_minor do
	return uint64(uint32((dev>>8)&0xfff | (dev>>32)&^0xfff)), uint64(uint32(dev&0xff | (dev>>12)&^0xff)), nil
}

// readDisk reads the device major:minor's counters; ok is false when
// /proc/diskstats has no line for it (tmpfs, or a file system on no one
// block device).
func readDisk(major, minor uint64) (name string, d diskTicks, ok bool) {
	b, err := os.ReadFile("/proc/diskstats")
	if err != nil {
		return "", diskTicks{}, false
	}
	return parseDiskstats(string(b), major, minor)
}

// parseDiskstats finds the line of major:minor in the text of
// /proc/diskstats (the kernel's Documentation/admin-guide/iostats.rst:
// after the numbers and the name, the writes completed are the 5th field,
// the sectors written the 7th, the time writing the 8th, the time busy the
// 10th, and from Linux 5.5 the flushes the 16th and their time the 17th).
func parseDiskstats(text string, major, minor uint64) (name string, d diskTicks, ok bool) {
	for line := range strings.Lines(text) {
		f := strings.Fields(line)
		if len(f) < 14 || f[0] != strconv.FormatUint(major, 10) || f[1] != strconv.FormatUint(minor, 10) {
			continue
		}
		n := func(i int) int64 {
			if i >= len(f) {
				return 0
			}
			v, _ := strconv.ParseInt(f[i], 10, 64)
			return v
		}
		return f[2], diskTicks{Writes: n(7), Sectors: n(9), WriteMS: n(10), BusyMS: n(12), Flushes: n(18), FlushMS: n(19)}, true
	}
	return "", diskTicks{}, false
}

// since is what the device named name did from before to d, seconds apart.
func (d diskTicks) since(before diskTicks, name string, seconds float64) Disk {
	out := Disk{Name: name, Seconds: seconds, Writes: d.Writes - before.Writes, Bytes: 512 * (d.Sectors - before.Sectors), Flushes: d.Flushes - before.Flushes}
	if seconds > 0 {
		out.Busy = float64(d.BusyMS-before.BusyMS) / 1000 / seconds
	}
	if out.Writes > 0 {
		out.WriteMS = float64(d.WriteMS-before.WriteMS) / float64(out.Writes)
	}
	if out.Flushes > 0 {
		out.FlushMS = float64(d.FlushMS-before.FlushMS) / float64(out.Flushes)
	}
	return out
}

// fixedWork is a fixed piece of work on one thread: SHA-256 sums of 32
// MiB and 200,000 inserts into a map of its own. On the shared virtual
// machine the same work takes a fifth more or less from one minute to the
// next (BENCHMARKS.md, the twenty-first session), and a server's
// accepted/s moves with the minute too: a run's figures are read beside
// the machine's speed. Timing it allocates nothing, so that no collector
// runs beside it on the other core.
type fixedWork struct {
	buf []byte
	m   map[int]int
}

func newFixedWork() *fixedWork {
	return &fixedWork{buf: make([]byte, 1<<20), m: make(map[int]int, 200_000)}
}

// time returns the median of five timings of the work, on a thread of its
// own while it runs.
func (w *fixedWork) time() time.Duration {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var times [5]time.Duration
	for i := range times {
		start := time.Now()
		for range 32 {
			w.buf[0] = sha256.Sum256(w.buf)[0]
		}
		clear(w.m)
		for k := range 200_000 {
			w.m[k*7919] = k
		}
		times[i] = time.Since(start)
	}
	slices.Sort(times[:])
	return times[len(times)/2]
}
