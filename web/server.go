package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
)

// database is everything the server needs of its store (*store.DB in
// production); the smaller interfaces beside each handler say which part.
type database interface {
	certificateStore
	auditStore
	tokenStore
	sessionStore
	draftStore
	queueStore
	caseStore
	handlingStore
	revocationStore
	messageStore
	submissionStore
	identityStore
	peopleStore
	unitRegistry
	tokenAdmin
	personFinder
	patientRefStore
	Ping(ctx context.Context) error
	writeStats
}

// Options are the server's settings.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OIDC signs people in through the region's identity provider; nil
	// offers only user name and password.
	OIDC *OIDCProvider
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client (clientAddress); none: the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// PublicURL is where browsers reach the service, if it is set. An
	// https one (a TLS proxy in front, perhaps on the same host over plain
	// HTTP) makes every cookie Secure and every answer carry
	// Strict-Transport-Security.
	PublicURL string
	// Stopping reports that the server is about to stop: /readyz then
	// answers 503, so that a load balancer sends no more. nil: never.
	Stopping func() bool
}

// NewServer returns Intyg's HTTP handler: every route, with security
// headers, cross-origin protection, request logging, metrics and
// authentication.
func NewServer(logger *slog.Logger, eng *intake.Engine, db database, pdfs pdfRenderer, opts Options) http.Handler {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := newMetrics()
	m.observeWrites(db)
	sec := &security{logger: logger, m: m, audit: db, failures: newThrottle(20, 3*time.Second, opts.Now)}
	// Browsers' cross-site form posts are refused (Sec-Fetch-Site / Origin)
	// before the router, and each refusal is a security event, naming the
	// route and the person whose session cookie it carried.
	routes := newRouter(logger, eng, db, pdfs, m, sec, opts)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var match mux.RouteMatch
		if li, ok := r.Context().Value(logKey{}).(*logInfo); ok && routes.Match(r, &match) && match.Route != nil {
			if tpl, err := pathTemplate(match.Route); err == nil {
				li.route = tpl
			}
		}
		a := presented(r, db)
		setLogActor(r.Context(), a)
		sec.record(r, eventCrossOrigin, a)
		writeError(logger, w, r, intake.Failure(intake.EFORBIDDEN, "refused.crossOrigin"))
	}))
	https := strings.HasPrefix(strings.ToLower(opts.PublicURL), "https://")
	// No cap on the whole request's body (http.MaxBytesHandler): each
	// route reads its body with its own limit (readLimited), and a body
	// over it gets its 413 while the rest is read and dropped, which a cap
	// around it would cut short into a reset connection.
	return outer(logger, m, opts.TrustedProxies, https, cop.Handler(routes))
}

// presented returns the person a request's session cookie names, if the
// session is live (nil if not, or if it cannot be read now), for the log
// of a request refused before its route checked it. The session is not
// kept alive by it. A bearer token is not looked up: a browser does not
// send one on its own, so a cross-site form post carries none.
func presented(r *http.Request, sessions sessionStore) *intake.Actor {
	if secret := sessionSecret(r); secret != "" {
		if s, u, err := sessions.PeekSession(r.Context(), secret); err == nil {
			return &intake.Actor{User: u, Session: s}
		}
	}
	return nil
}

// outer wraps the routes in what every request passes: outermost the
// client's address, which the log names; then the request log and the
// security headers, which every answer has, even a refusal before the
// router or a panic's 500; then the panic's answer and the URL's check.
func outer(logger *slog.Logger, m *metrics, trusted []netip.Prefix, https bool, routes http.Handler) http.Handler {
	return clientAddress(trusted, observe(logger, m, securityHeaders(https, recoverPanics(logger, textURL(logger, headAsGet(routes))))))
}

// headAsGet answers HEAD as the GET of the same URL would, without its
// body (RFC 9110, 9.3.2: every general-purpose server supports HEAD):
// the routes name GET only, and net/http leaves out the body of an answer
// to HEAD. A HEAD that reads patient data is logged as the read it is.
func headAsGet(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			r = r.Clone(r.Context())
			r.Method = http.MethodGet
		}
		next.ServeHTTP(w, r)
	})
}

// textURL refuses (400) a URL whose path or query, decoded, is not UTF-8
// text or holds NUL: no id, filter or name is, and PostgreSQL would refuse
// it as a parameter (SQLite would find nothing), so every database answers
// alike and at once. A query that does not parse (a % without two hex
// digits, a ';') is refused too: r.URL.Query, which the handlers read,
// drops such a pair without a word, so that a filter was left out and
// the answer held what it should not.
func textURL(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok := isText(r.URL.Path)
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			writeError(logger, w, r, intake.Failure(eBadRequest, "request.query", err))
			return
		}
		for k, vs := range q {
			ok = ok && isText(k)
			for _, v := range vs {
				ok = ok && isText(v)
			}
		}
		if !ok {
			writeError(logger, w, r, intake.Failure(eBadRequest, "request.url"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// isText reports whether s is UTF-8 without NUL, as every text a request
// names must be.
func isText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// recoverPanics answers a request whose handler panicked with a 500
// problem document, and logs the panic with its stack, instead of
// net/http's dropped connection: a client then knows to retry or report,
// and the operator sees where. A handler that had begun its answer is cut
// off as net/http would (ErrAbortHandler), logged the same way, so that a
// half-sent PDF never looks whole.
func recoverPanics(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			err := fmt.Errorf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
			if sw.status != 0 { // the answer has begun
				logger.ErrorContext(r.Context(), "internal error", "method", r.Method, "route", routeName(r), "error", err.Error())
				panic(http.ErrAbortHandler)
			}
			writeError(logger, w, r, err)
		}()
		next.ServeHTTP(sw, r)
	})
}

func newRouter(logger *slog.Logger, eng *intake.Engine, db database, pdfs pdfRenderer, m *metrics, sec *security, opts Options) *mux.Router {
	r := mux.NewRouter()
	r.Use(nameRoute)
	r.NotFoundHandler = errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		return intake.Failure(intake.ENOTFOUND, "notFound.path", r.URL.Path)
	})
	router := r
	r.MethodNotAllowedHandler = errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		allow := allowedMethods(router, r)
		w.Header().Set("Allow", strings.Join(allow, ", "))
		return intake.Failure(eMethodNotAllowed, "request.method", r.Method, strings.Join(allow, ", "))
	})
	addRoutes(r, logger, eng, db, pdfs, m, sec, opts)
	return r
}

// allowedMethods returns the methods the routes of router at req's path
// answer, sorted: a 405's Allow header (RFC 9110, 15.5.6).
func allowedMethods(router *mux.Router, req *http.Request) []string {
	var allow []string
	router.Walk(func(route *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		var match mux.RouteMatch
		if route.Match(req, &match) || match.MatchErr == mux.ErrMethodMismatch {
			methods, _ := route.GetMethods()
			for _, m := range methods {
				if !slices.Contains(allow, m) {
					allow = append(allow, m)
				}
			}
		}
		return nil
	})
	if slices.Contains(allow, http.MethodGet) && !slices.Contains(allow, http.MethodHead) {
		allow = append(allow, http.MethodHead) // headAsGet answers it
	}
	slices.Sort(allow)
	return allow
}

// handleHealthz handles GET /healthz: the process is up.
func handleHealthz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		encode(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

// handleReadyz handles GET /readyz: the database answers, and the server
// is not stopping.
func handleReadyz(logger *slog.Logger, db interface{ Ping(context.Context) error }, stopping func() bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stopping != nil && stopping() {
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterUnavailable))
			encode(w, http.StatusServiceUnavailable, map[string]string{"status": "stopping"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := db.Ping(ctx); err != nil {
			logger.WarnContext(r.Context(), "database not ready", "error", err.Error())
			w.Header().Set("Retry-After", strconv.Itoa(retryAfterUnavailable))
			encode(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
			return
		}
		encode(w, http.StatusOK, map[string]string{"status": "ready"})
	})
}
