package main

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
)

// compare runs pairs of load runs: c.Intyg (A) and c.Against (B), in the
// order A B, B A, A B …, so that a drift of the machine's speed during
// the runs weighs on both alike; the report names them by names, as they
// were asked for. It writes a line for each run and the
// ratio B/A of accepted/s for each pair, then their median and how many
// pairs B won. On the shared development machine the speed of one binary
// drifts by a fifth or more within an hour, so only runs close in time
// compare (BENCHMARKS.md). Every run must pass the checks of a single
// one.
//
// With -beside (Config.Beside) each pair is one round instead, in which A
// and B run at once, each with half the clients and a database of its
// own: both then see the same minutes of the machine, and the ratio
// shows differences of a few per cent that runs one after the other,
// each in its own minute, cannot (BENCHMARKS.md, twenty-third session).
func compare(ctx context.Context, c Config, names [2]string, stdout, logw io.Writer) error {
	ratios := make([]float64, 0, c.Pairs)
	for i := range c.Pairs {
		order := []string{"A", "B"}
		if i%2 == 1 {
			order = []string{"B", "A"}
		}
		reps, err := runPair(ctx, c, order, logw)
		if err != nil {
			return fmt.Errorf("pair %d, %w", i+1, err)
		}
		rate := map[string]float64{}
		for _, side := range order {
			rep := reps[side]
			rate[side] = rep.AcceptedPerSecond()
			var rss int64
			for _, s := range rep.PerServer {
				rss = max(rss, s.PeakRSS)
			}
			fmt.Fprintf(stdout, "pair %d %s   %.0f/s durable 201, p99 %.1f ms, server CPU %.0f µs per accepted certificate, peak RSS %.0f MB, cores %.0f %% busy\n",
				i+1, side, rate[side], ms(rep.P99), rep.perCertificate(rep.ServerCPU), float64(rss)/(1<<20), 100*rep.Machine.Busy())
		}
		ratios = append(ratios, rate["B"]/rate["A"])
		fmt.Fprintf(stdout, "pair %d B/A %.3f\n", i+1, ratios[i])
	}
	won := 0
	for _, r := range ratios {
		if r > 1 {
			won++
		}
	}
	slices.Sort(ratios)
	median := ratios[len(ratios)/2]
	if len(ratios)%2 == 0 {
		median = (ratios[len(ratios)/2-1] + median) / 2
	}
	fmt.Fprintf(stdout, "B/A accepted/s: median %.3f; B faster in %d of %d pairs (A: %s, B: %s)\n", median, won, len(ratios), names[0], names[1])
	return nil
}

// runPair runs A (c.Intyg) and B (c.Against) in order, or with c.Beside at
// once: each with half the clients, and measuring from the moment both
// have warmed up, so that the two measure the same seconds.
func runPair(ctx context.Context, c Config, order []string, logw io.Writer) (map[string]*Report, error) {
	reps := map[string]*Report{}
	if !c.Beside {
		for _, side := range order {
			rep, err := measure(ctx, sideOf(c, side), logw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", side, err)
			}
			reps[side] = rep
		}
		return reps, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	arrived, all := make(chan struct{}, len(order)), make(chan struct{})
	go func() {
		for range order {
			select {
			case <-arrived:
			case <-ctx.Done():
				return
			}
		}
		close(all)
	}()
	together := func(ctx context.Context) error {
		arrived <- struct{}{}
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		first error
	)
	for _, side := range order {
		run := sideOf(c, side)
		run.Clients = max(c.Clients/2, 1)
		run.together = together
		wg.Go(func() {
			rep, err := measure(ctx, run, logw)
			mu.Lock()
			defer mu.Unlock()
			if err != nil && first == nil {
				first = fmt.Errorf("%s: %w", side, err)
				cancel() // the other side stops, rather than wait for this one
			}
			reps[side] = rep
		})
	}
	wg.Wait()
	if first != nil {
		return nil, first
	}
	return reps, nil
}

// sideOf is the run of side A (c's -intyg) or B (its -against).
func sideOf(c Config, side string) Config {
	if side == "B" {
		c.Intyg = c.Against
	}
	return c
}

// measure runs one load and checks it as a single run is checked.
func measure(ctx context.Context, c Config, logw io.Writer) (*Report, error) {
	rep, err := load(ctx, c, logw)
	if err == nil {
		err = rep.problem()
	}
	return rep, err
}
