package web

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/intyg/intyg/intake"
)

// metrics are the server's Prometheus collectors, registered on its own
// registry (no global state).
type metrics struct {
	registry     *prometheus.Registry
	requests     *prometheus.CounterVec
	duration     *prometheus.HistogramVec
	certificates *prometheus.CounterVec
	security     *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intyg_http_requests_total", Help: "HTTP requests by route, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "intyg_http_request_duration_seconds", Help: "HTTP request latency by route and method.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"route", "method"}),
		certificates: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intyg_certificates_total", Help: "Certificate submissions by template and outcome (accepted, refused).",
		}, []string{"template", "outcome"}),
		security: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intyg_security_events_total", Help: "Security events: refused credentials and roles, cross-origin posts, throttled addresses, reads of the access log.",
		}, []string{"event"}),
	}
	m.registry.MustRegister(m.requests, m.duration, m.certificates, m.security,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector()) // go_build_info: which build answers
	return m
}

// writeStats is what the store says of its writes.
type writeStats interface {
	WriteStats() (transactions, writes int64)
	SyncStats() (syncs int64, took time.Duration)
	CheckpointStats() (n int64, took time.Duration)
	WaitStats() (forWrites, forSync time.Duration)
}

// observeWrites exports the store's write transactions, the writes they
// held (their ratio is the batching), and SQLite's syncs of its log with
// the time they took (their ratio is a sync's mean time), and the
// checkpoints SQLite's writer finishes instead of storing, and the time
// the writer waited (the rest it was at work): what bounds durable
// submissions a second.
func (m *metrics) observeWrites(db writeStats) {
	counter := func(name, help string, value func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, value)
	}
	m.registry.MustRegister(
		counter("intyg_store_transactions_total", "Write transactions committed, each holding one or more writes.",
			func() float64 { tx, _ := db.WriteStats(); return float64(tx) }),
		counter("intyg_store_writes_total", "Writes committed, in transactions with others.",
			func() float64 { _, w := db.WriteStats(); return float64(w) }),
		counter("intyg_store_log_syncs_total", "Syncs of SQLite's write-ahead log that made commits durable (none on PostgreSQL).",
			func() float64 { n, _ := db.SyncStats(); return float64(n) }),
		counter("intyg_store_log_sync_seconds_total", "Time spent in those syncs.",
			func() float64 { _, d := db.SyncStats(); return d.Seconds() }),
		counter("intyg_store_writer_checkpoints_total", "Checkpoints SQLite's writer finished between two batches so that its log starts again (none on PostgreSQL).",
			func() float64 { n, _ := db.CheckpointStats(); return float64(n) }),
		counter("intyg_store_writer_checkpoint_seconds_total", "Time spent in those checkpoints, in which the writer stored nothing.",
			func() float64 { _, d := db.CheckpointStats(); return d.Seconds() }),
		counter("intyg_store_writer_wait_seconds_total", "Time the writer waited for a write to do (PostgreSQL: summed over its workers); the rest it was at work, or waited for the log's sync. SQLite's one writer that seldom waits bounds durable submissions a second.",
			func() float64 { w, _ := db.WaitStats(); return w.Seconds() }),
		counter("intyg_store_writer_sync_wait_seconds_total", "Time SQLite's writer waited for the log's sync to end before its next commit (none on PostgreSQL): when it is most of the wait, the disk's syncs bound durable submissions a second.",
			func() float64 { _, s := db.WaitStats(); return s.Seconds() }),
	)
}

// statusWriter records the status a handler wrote (0: none yet, the
// answer has not begun).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the writer underneath.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logInfo carries what the request log needs from deeper handlers: who
// asked, and the route the router matched (nameRoute).
type logInfo struct {
	actor *intake.Actor
	route string
}

type logKey struct{}

func setLogActor(ctx context.Context, a *intake.Actor) {
	if li, ok := ctx.Value(logKey{}).(*logInfo); ok {
		li.actor = a
	}
}

// routeName returns the matched route's template ("/api/v1/certificates/{id}"),
// never the raw path or query, which may hold identity numbers. Outside
// the router (observe, recoverPanics) it is the one the router noted, and
// "unmatched" for a request refused before it or matching no route.
func routeName(r *http.Request) string {
	if route := mux.CurrentRoute(r); route != nil {
		if tpl, err := pathTemplate(route); err == nil {
			return tpl
		}
	}
	if li, ok := r.Context().Value(logKey{}).(*logInfo); ok && li.route != "" {
		return li.route
	}
	return "unmatched"
}

// pathTemplate is route's path template without its variables' patterns
// ("/api/v1/certificates/{id}" for "{id:[A-Za-z0-9_-]{22}}"): its name in
// logs, metrics and the API's document.
func pathTemplate(route *mux.Route) (string, error) {
	tpl, err := route.GetPathTemplate()
	var b strings.Builder
	depth, pattern := 0, false // inside a variable's braces; in its pattern
	for _, c := range tpl {
		switch {
		case c == '{':
			depth++
		case c == '}':
			if depth--; depth == 0 {
				pattern = false
			}
		case c == ':' && depth == 1:
			pattern = true
		}
		if !pattern || (c == '}' && depth == 0) {
			b.WriteRune(c)
		}
	}
	return b.String(), err
}

// nameRoute notes the matched route for the request log, which observe
// writes outside the router.
func nameRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if li, ok := r.Context().Value(logKey{}).(*logInfo); ok {
			li.route = routeName(r)
		}
		next.ServeHTTP(w, r)
	})
}

// observe logs every request as JSON (method, route template, status,
// duration, token or user id and role: never identity numbers, names or
// free text) and records its metrics. It wraps every other handler, so
// that a request refused before the router (a URL that is not text) or
// one whose handler panicked is logged and counted too.
func observe(logger *slog.Logger, m *metrics, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		li := &logInfo{}
		sw := &statusWriter{ResponseWriter: w}
		r = r.WithContext(context.WithValue(r.Context(), logKey{}, li))
		aborted := true // until next returns: a panic that cut the answer off is logged too
		defer func() {
			if !aborted {
				return
			}
			v := recover()
			logRequest(logger, m, r, sw, li, start, true)
			panic(v)
		}()
		next.ServeHTTP(sw, r)
		aborted = false
		logRequest(logger, m, r, sw, li, start, false)
	})
}

// logRequest writes the request log line of r, answered through sw, and
// records its metrics; aborted says the answer was cut off by a panic.
func logRequest(logger *slog.Logger, m *metrics, r *http.Request, sw *statusWriter, li *logInfo, start time.Time, aborted bool) {
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	route := routeName(r)
	elapsed := time.Since(start)
	m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.status)).Inc()
	m.duration.WithLabelValues(route, r.Method).Observe(elapsed.Seconds())
	attrs := []any{"method", r.Method, "route", route, "status", sw.status,
		"duration_ms", float64(elapsed.Microseconds()) / 1000, "remote", r.RemoteAddr}
	if a := li.actor; a != nil {
		if a.Token != nil {
			attrs = append(attrs, "token", a.Token.ID)
		}
		if a.User != nil {
			attrs = append(attrs, "user", a.User.ID)
		}
		attrs = append(attrs, "role", string(a.Role()))
	}
	if aborted {
		attrs = append(attrs, "aborted", true)
	}
	logger.InfoContext(r.Context(), "request", attrs...)
}
