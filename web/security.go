package web

import (
	"context"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/intyg/intyg/intake"
)

// contentSecurityPolicy allows nothing but this site's own files: no
// inline script or style, no framing, forms only to this site.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// securityHeaders sets the headers every answer carries: the content
// security policy, no framing, no content sniffing, no referrer to other
// sites, and no caching of anything but the static assets (everything else
// may hold patient data or a session).
func securityHeaders(https bool, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		if https {
			// Browsers reach the service over HTTPS only (Options.PublicURL).
			// Pages set cookies; the API, the busiest path, never does.
			h.Set("Strict-Transport-Security", "max-age=31536000")
			if !strings.HasPrefix(r.URL.Path, "/api/") {
				r = r.WithContext(context.WithValue(r.Context(), httpsOnly{}, true))
			}
		}
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		if !strings.HasPrefix(r.URL.Path, "/static/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// Security events: refused attempts and reads of the access log, counted
// in metrics and written to the request log (and, where a credential was
// presented, to the access log).
const (
	eventUnauthorized = "unauthorized" // a bearer token or sign-in key that is not valid
	eventForbidden    = "forbidden"    // a valid token or session with the wrong role
	eventCrossOrigin  = "cross_origin" // a browser's cross-site post
	eventThrottled    = "throttled"    // an address refused after repeated failures
	eventAuditRead    = "audit_read"   // the access log itself was read
)

// security records security events: it counts them, logs them without
// identity numbers, and keeps per address the failures that throttle it.
type security struct {
	logger   *slog.Logger
	m        *metrics
	audit    auditStore
	failures *throttle
	// signingIn counts the sign-ins in flight per address (beginSignIn).
	mu        sync.Mutex
	signingIn map[string]int
}

// event records one security event; a is who, when known.
func (s *security) event(r *http.Request, event string, a *intake.Actor) {
	s.m.security.WithLabelValues(event).Inc()
	attrs := []any{"event", event, "method", r.Method, "route", routeName(r), "remote", r.RemoteAddr}
	if a != nil {
		if a.Token != nil {
			attrs = append(attrs, "token", a.Token.ID)
		}
		if a.User != nil {
			attrs = append(attrs, "user", a.User.ID)
		}
		attrs = append(attrs, "role", string(a.Role()))
	}
	s.logger.WarnContext(r.Context(), "security event", attrs...)
}

// record writes a refused attempt that presented a credential to the
// access log as well, so that the log shows who tried what.
func (s *security) record(r *http.Request, event string, a *intake.Actor) {
	s.event(r, event, a)
	e := &intake.AuditEntry{Action: "security." + event, Query: routeName(r), RemoteAddr: r.RemoteAddr}
	if a != nil {
		e = a.Audit("security."+event, r.RemoteAddr)
		e.Query = routeName(r)
	}
	// A failure to log a refusal must not turn the refusal into a 500.
	if err := s.audit.CreateAuditEntry(context.WithoutCancel(r.Context()), e); err != nil {
		s.logger.ErrorContext(r.Context(), "access log", "error", err.Error())
	}
}

// throttle slows down, then refuses, an address that keeps presenting
// credentials that are not valid: each failure takes a token from the
// address's bucket (burst failures, refilled one per refill); with half
// the bucket gone each further failure waits a little longer, and with it
// empty the address gets 429 until a token is back. Other addresses are
// not affected.
type throttle struct {
	burst  int
	refill time.Duration
	now    func() time.Time
	mu     sync.Mutex
	byAddr map[string]*rate.Limiter
}

// maxTrackedAddrs bounds the throttle's memory; full buckets are dropped first.
const maxTrackedAddrs = 10000

func newThrottle(burst int, refill time.Duration, now func() time.Time) *throttle {
	return &throttle{burst: burst, refill: refill, now: now, byAddr: map[string]*rate.Limiter{}}
}

// addrOf is the request's client as throttles and sign-in locks count it:
// its IPv4 address, or its IPv6 address's /64, since anyone on IPv6 has a
// whole /64 of addresses to spread guesses over.
func addrOf(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	if a = a.Unmap(); a.Is6() {
		p, _ := a.WithZone("").Prefix(64)
		return p.String()
	}
	return a.String()
}

// maxSignInsPerAddr bounds the sign-ins one address has in flight: each
// costs a password hash, and a flood from one address must not take the
// hashing queue (64) from everyone else's. A clinic's shared address (a
// NAT, a proxy not named trusted) at the start of a shift has a few.
const maxSignInsPerAddr = 8

// beginSignIn counts a sign-in of the request's address in flight until
// end is called; false (and nothing to end) when the address has
// maxSignInsPerAddr already.
func (s *security) beginSignIn(r *http.Request) (end func(), ok bool) {
	addr := addrOf(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.signingIn[addr] >= maxSignInsPerAddr {
		return nil, false
	}
	if s.signingIn == nil {
		s.signingIn = map[string]int{}
	}
	s.signingIn[addr]++
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.signingIn[addr]--; s.signingIn[addr] <= 0 {
			delete(s.signingIn, addr)
		}
	}, true
}

// retryAfter returns how long the request's address must wait, or 0.
func (t *throttle) retryAfter(r *http.Request) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	l := t.byAddr[addrOf(r)]
	if l == nil {
		return 0
	}
	if tokens := l.TokensAt(t.now()); tokens < 1 {
		return time.Duration((1 - tokens) * float64(t.refill))
	}
	return 0
}

// fail records a failure of the request's address and returns how long to
// wait before answering it.
func (t *throttle) fail(r *http.Request) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	addr := addrOf(r)
	l := t.byAddr[addr]
	if l == nil {
		if len(t.byAddr) >= maxTrackedAddrs {
			for a, x := range t.byAddr {
				if x.TokensAt(t.now()) >= float64(t.burst) {
					delete(t.byAddr, a)
				}
			}
		}
		l = rate.NewLimiter(rate.Every(t.refill), t.burst)
		t.byAddr[addr] = l
	}
	now := t.now()
	l.AllowN(now, 1)
	used := float64(t.burst) - l.TokensAt(now)
	if used <= float64(t.burst)/2 {
		return 0
	}
	return min(time.Duration(math.Round(used-float64(t.burst)/2))*50*time.Millisecond, 500*time.Millisecond)
}

// throttled answers 429 with Retry-After when the address is throttled.
func (s *security) throttled(w http.ResponseWriter, r *http.Request) bool {
	wait := s.failures.retryAfter(r)
	if wait <= 0 {
		return false
	}
	s.event(r, eventThrottled, nil)
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	writeError(s.logger, w, r, intake.Failure(eTooManyRequests, "refused.tooManyAttempts"))
	return true
}

// failed records a failed credential of the request's address and waits
// the throttle's delay (or until the client goes away).
func (s *security) failed(r *http.Request) { s.failedAs(r, nil) }

// failedAs is failed for a credential that is known but no longer works
// (a revoked or expired token): the access log names it.
func (s *security) failedAs(r *http.Request, a *intake.Actor) {
	s.record(r, eventUnauthorized, a)
	if d := s.failures.fail(r); d > 0 {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
		}
	}
}
