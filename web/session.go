package web

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/intyg/intyg/intake"
)

// sessionStore is what sign-in and sessions need of the database.
type sessionStore interface {
	Authenticate(ctx context.Context, username, password, addr string) (*intake.User, error)
	CreateSession(ctx context.Context, userID, unit string) (string, *intake.Session, error)
	FindSession(ctx context.Context, secret string) (*intake.Session, *intake.User, error)
	PeekSession(ctx context.Context, secret string) (*intake.Session, *intake.User, error)
	SetSessionUnit(ctx context.Context, secret, unit string) error
	DeleteSession(ctx context.Context, secret string) error
	FindUnitByHSAID(ctx context.Context, hsaID string) (*intake.CareUnit, error)
}

// The session cookie holds only a random session id; the session lives on
// the server. Over HTTPS it is "__Host-" (Secure, host-only, path /); over
// plain HTTP on a loopback address, as when a developer runs the service,
// it cannot be Secure and has the plain name.
const (
	sessionCookie       = "__Host-intyg_session"
	sessionCookiePlain  = "intyg_session"
	sessionCookieMaxAge = 12 * 3600
)

// httpsOnly marks a request to a service that browsers reach over HTTPS
// only (an https Options.PublicURL), whatever reached the server.
type httpsOnly struct{}

// secureRequest reports whether the request came over HTTPS (directly or
// through a proxy that says so), or else not from loopback: anything but
// a developer's plain HTTP on loopback gets Secure cookies.
func secureRequest(r *http.Request) bool {
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") || r.Context().Value(httpsOnly{}) != nil {
		return true
	}
	host, _, err := net.SplitHostPort(r.Host)
	if err != nil {
		host = r.Host
	}
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// setHostCookie sets (or, with value "", clears) an HttpOnly, SameSite=Lax
// cookie for the whole site: secureName ("__Host-…", Secure) over HTTPS,
// plainName over plain HTTP on loopback.
func setHostCookie(w http.ResponseWriter, r *http.Request, secureName, plainName, value string, maxAge int) {
	name := secureName
	if !secureRequest(r) {
		name = plainName
	}
	if value == "" {
		maxAge = -1
	}
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: name == secureName,
		SameSite: http.SameSiteLaxMode, MaxAge: maxAge})
}

// hostCookie returns the value of the cookie setHostCookie sets for the
// request: over HTTPS only secureName's, which no other site or plain-HTTP
// answer can have planted ("__Host-": Secure, host-only), so a cookie of
// plainName set from a sibling domain cannot fix a session.
func hostCookie(r *http.Request, secureName, plainName string) string {
	name := secureName
	if !secureRequest(r) {
		name = plainName
	}
	if c, err := r.Cookie(name); err == nil {
		return c.Value
	}
	return ""
}

// setSessionCookie sets (or, with secret "", clears) the session cookie.
func setSessionCookie(w http.ResponseWriter, r *http.Request, secret string) {
	setHostCookie(w, r, sessionCookie, sessionCookiePlain, secret, sessionCookieMaxAge)
}

// sessionSecret returns the session id the request's cookie carries.
func sessionSecret(r *http.Request) string { return hostCookie(r, sessionCookie, sessionCookiePlain) }

// signInPage is what sign_in.html shows.
type signInPage struct {
	layout
	// Next is where to go after signing in.
	Next string
	// Username is what was typed, kept after a refusal.
	Username string
	// Error says why the last attempt failed.
	Error string
	// OIDC offers sign-in through the region's identity provider.
	OIDC bool
	// Expired says that the session had ended (the browser still sent
	// its cookie): what was typed is kept in the tab (intyg.js).
	Expired bool
}

// signedIn requires a live session of a person with one of roles; without
// one it sends the browser to the sign-in page, to come back here. A
// physician who works at several units picks one first.
func signedIn(logger *slog.Logger, sessions sessionStore, sec *security, roles ...intake.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			secret := sessionSecret(r)
			if secret == "" {
				toSignIn(w, r)
				return
			}
			s, u, err := sessions.FindSession(r.Context(), secret)
			if intake.ErrorCode(err) == intake.EUNAUTHORIZED {
				// The cookie stays until the next sign-in replaces it, so
				// that every page until then says the session ended: a
				// draft's autosave that met the end first had cleared it,
				// and the reload after said nothing (toSignIn).
				toSignIn(w, r)
				return
			}
			if err != nil {
				writeError(logger, w, r, err)
				return
			}
			a := &intake.Actor{User: u, Session: s}
			if u.Role.AtUnits() {
				if s.Unit == "" || !u.WorksAt(s.Unit) {
					if r.URL.Path != "/unit" {
						http.Redirect(w, r, "/unit?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
						return
					}
				} else {
					a.Units = []string{s.Unit}
				}
			}
			admit(logger, sec, w, r, next, a, roles)
		})
	}
}

// toSignIn sends the browser to sign in and then back: to this page, or
// after a post (a form sent as the session ended) to the page it was sent
// from, where the form's answers are filled in again (intyg.js).
func toSignIn(w http.ResponseWriter, r *http.Request) {
	next := r.URL.RequestURI()
	if r.Method != http.MethodGet {
		next = "/"
		if ref, err := url.Parse(r.Referer()); err == nil && ref.Host == r.Host {
			next = localPath(ref.RequestURI())
		}
	}
	to := "/sign-in?next=" + url.QueryEscape(next)
	if sessionSecret(r) != "" {
		to += "&expired=1" // the browser had a session, which has ended
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// handleSignInForm handles GET /sign-in.
func handleSignInForm(logger *slog.Logger, oidc bool) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		return renderPage(w, http.StatusOK, "sign_in", signInPage{layout: layout{Title: "Logga in"}, Next: localPath(q.Get("next")), OIDC: oidc, Expired: q.Get("expired") != ""})
	})
}

// handleSignIn handles POST /sign-in (username, password, next): a right
// password starts a new session, whose id goes in the cookie. A wrong one
// says only that the sign-in failed, counts against the name (lock-out)
// and the address (throttle).
func handleSignIn(logger *slog.Logger, sessions sessionStore, sec *security, oidc bool) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if sec.throttled(w, r) {
			return nil
		}
		end, ok := sec.beginSignIn(r)
		if !ok {
			w.Header().Set("Retry-After", "1")
			page := signInPage{layout: layout{Title: "Logga in"}, Next: localPath(r.URL.Query().Get("next")), Error: intake.Text("signIn.busy", "sv"), OIDC: oidc}
			return renderPage(w, http.StatusTooManyRequests, "sign_in", page)
		}
		defer end()
		form, err := readForm(w, r, 16<<10)
		if err != nil {
			return err
		}
		username, next := strings.TrimSpace(form.Get("username")), localPath(form.Get("next"))
		u, err := sessions.Authenticate(r.Context(), username, form.Get("password"), addrOf(r))
		switch intake.ErrorCode(err) {
		case "":
		case intake.EUNAUTHORIZED, intake.ELOCKED:
			sec.failed(r)
			key, status := "signIn.failed", http.StatusUnauthorized
			if intake.ErrorCode(err) == intake.ELOCKED {
				key, status = "signIn.locked", http.StatusTooManyRequests
			}
			page := signInPage{layout: layout{Title: "Logga in"}, Next: next, Username: username, Error: intake.Text(key, "sv"), OIDC: oidc}
			return renderPage(w, status, "sign_in", page)
		default:
			return err
		}
		return startSession(w, r, sessions, u, next)
	})
}

// startSession signs u in: a new session (a physician with one unit works
// there at once; with several, picks one next), its id in the cookie,
// and on to next.
func startSession(w http.ResponseWriter, r *http.Request, sessions sessionStore, u *intake.User, next string) error {
	// A sign-in on a browser someone is still signed in on (a shared
	// workstation) ends that session too, not only its cookie.
	if old := sessionSecret(r); old != "" {
		if err := sessions.DeleteSession(r.Context(), old); err != nil {
			return err
		}
	}
	unit := ""
	if u.Role.AtUnits() {
		units, err := activeUnits(r.Context(), sessions, u)
		if err != nil {
			return err
		}
		if len(units) == 1 {
			unit = units[0].HSAID
		}
	}
	secret, _, err := sessions.CreateSession(r.Context(), u.ID, unit)
	if err != nil {
		return err
	}
	setSessionCookie(w, r, secret)
	if next == "" || next == "/" {
		next = homeOf(u.Role)
	}
	if u.Role.AtUnits() && unit == "" {
		next = "/unit?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
	return nil
}

// homeOf is where a role starts.
func homeOf(role intake.Role) string {
	switch role {
	case intake.RoleAdmin:
		return "/admin"
	case intake.RoleCaseworker:
		return "/queue"
	case intake.RoleCoordinator:
		return "/unit/cases"
	}
	return "/forms"
}

// handleHome handles GET /: on to the signed-in person's start page.
func handleHome() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, homeOf(actorFrom(r.Context()).Role()), http.StatusSeeOther)
	})
}

// localPath returns next if it is a path on this site, else "/":
// never a redirect to another site ("//host", "/\\host", "https://…").
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return "/"
	}
	return next
}

// handleSignOut handles POST /sign-out: the session ends on the server at
// once, and the cookie is cleared.
func handleSignOut(logger *slog.Logger, sessions sessionStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if secret := sessionSecret(r); secret != "" {
			if err := sessions.DeleteSession(r.Context(), secret); err != nil {
				return err
			}
		}
		setSessionCookie(w, r, "")
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil
	})
}

// unitPage is what unit.html shows: the units a physician works at.
type unitPage struct {
	layout
	Units   []*intake.CareUnit
	Current string
	Next    string
	Error   string
}

// handleUnitForm handles GET /unit: the physician picks the unit to work at.
func handleUnitForm(logger *slog.Logger, sessions sessionStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		page, err := newUnitPage(r, sessions)
		if err != nil {
			return err
		}
		page.Next = localPath(r.URL.Query().Get("next"))
		return renderPage(w, http.StatusOK, "unit", page)
	})
}

func newUnitPage(r *http.Request, sessions sessionStore) (unitPage, error) {
	a := actorFrom(r.Context())
	page := unitPage{layout: signedInLayout(r, "Välj vårdenhet"), Current: a.Session.Unit}
	units, err := activeUnits(r.Context(), sessions, a.User)
	page.Units = units
	if len(units) == 1 {
		page.Current = units[0].HSAID
	}
	return page, err
}

// activeUnits are the units u works at that are not disabled.
func activeUnits(ctx context.Context, sessions sessionStore, u *intake.User) ([]*intake.CareUnit, error) {
	var units []*intake.CareUnit
	for _, hsa := range u.Units {
		unit, err := sessions.FindUnitByHSAID(ctx, hsa)
		if err != nil {
			return nil, err
		}
		if unit.DisabledAt.IsZero() {
			units = append(units, unit)
		}
	}
	return units, nil
}

// handleUnitChoose handles POST /unit (unit, next): the session works at
// the chosen unit from now on.
func handleUnitChoose(logger *slog.Logger, sessions sessionStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		form, err := readForm(w, r, 4<<10)
		if err != nil {
			return err
		}
		a, unit, next := actorFrom(r.Context()), intake.UpperASCII(form.Get("unit")), localPath(form.Get("next"))
		page, err := newUnitPage(r, sessions)
		if err != nil {
			return err
		}
		ok := false
		for _, u := range page.Units {
			ok = ok || u.HSAID == unit
		}
		if !ok {
			page.Next, page.Error = next, intake.Text("unit.choose", "sv")
			return renderPage(w, http.StatusUnprocessableEntity, "unit", page)
		}
		if err := sessions.SetSessionUnit(r.Context(), sessionSecret(r), unit); err != nil {
			return err
		}
		if next == "/" || strings.HasPrefix(next, "/unit") {
			next = homeOf(a.Role())
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	})
}
