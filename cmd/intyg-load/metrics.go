package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// storeCounters are a server's write counters from /metrics: what bounds
// SQLite's throughput once its CPU is not the limit (web/middleware.go).
type storeCounters struct {
	Found        bool    // whether the server has them (builds before 2026-12-05 do not)
	Transactions float64 // intyg_store_transactions_total
	Writes       float64 // intyg_store_writes_total
	Syncs        float64 // intyg_store_log_syncs_total
	SyncSeconds  float64 // intyg_store_log_sync_seconds_total
	Checkpoints  float64 // intyg_store_writer_checkpoints_total
	CheckpointS  float64 // intyg_store_writer_checkpoint_seconds_total
	WaitSeconds  float64 // intyg_store_writer_wait_seconds_total
	SyncWaitS    float64 // intyg_store_writer_sync_wait_seconds_total
}

// counters names each counter's field by its name in /metrics.
func (c *storeCounters) counters() map[string]*float64 {
	return map[string]*float64{
		"intyg_store_transactions_total":              &c.Transactions,
		"intyg_store_writes_total":                    &c.Writes,
		"intyg_store_log_syncs_total":                 &c.Syncs,
		"intyg_store_log_sync_seconds_total":          &c.SyncSeconds,
		"intyg_store_writer_checkpoints_total":        &c.Checkpoints,
		"intyg_store_writer_checkpoint_seconds_total": &c.CheckpointS,
		"intyg_store_writer_wait_seconds_total":       &c.WaitSeconds,
		"intyg_store_writer_sync_wait_seconds_total":  &c.SyncWaitS,
	}
}

// sub returns the counters' growth from before to c.
func (c storeCounters) sub(before storeCounters) storeCounters {
	b := before.counters()
	for name, f := range c.counters() {
		*f -= *b[name]
	}
	c.Found = c.Found && before.Found
	return c
}

// add returns the sum of two servers' counters.
func (c storeCounters) add(o storeCounters) storeCounters {
	other := o.counters()
	for name, f := range c.counters() {
		*f += *other[name]
	}
	c.Found = c.Found || o.Found
	return c
}

// scrapeStore reads the store's counters from a server's /metrics, in
// Prometheus's text format, with an admin token.
func scrapeStore(ctx context.Context, base, token string) (storeCounters, error) {
	var c storeCounters
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/metrics", nil)
	if err != nil {
		return c, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return c, fmt.Errorf("GET %s/metrics: %s", base, resp.Status)
	}
	fields := c.counters()
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		f := fields[name]
		if !ok || f == nil {
			continue
		}
		if *f, err = strconv.ParseFloat(strings.TrimSpace(value), 64); err != nil {
			return c, fmt.Errorf("GET %s/metrics: %s: %w", base, name, err)
		}
		c.Found = true
	}
	return c, sc.Err()
}
