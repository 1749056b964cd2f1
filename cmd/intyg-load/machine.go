package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
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
