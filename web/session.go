package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/intyg/intyg/intake"
)

// sessionCookie holds a signed-in user's token (HttpOnly, SameSite=Strict).
const sessionCookie = "intyg_session"

// signInPage is what sign_in.html shows.
type signInPage struct {
	layout
	// Next is where to go after signing in.
	Next string
	// Error says why the last attempt failed.
	Error string
}

// signedIn requires a session cookie naming a live token with one of
// roles; without one it redirects to the sign-in page.
func signedIn(logger *slog.Logger, tokens tokenStore, sec *security, roles ...intake.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			toSignIn := func() {
				http.Redirect(w, r, "/sign-in?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			}
			c, err := r.Cookie(sessionCookie)
			if err != nil {
				toSignIn()
				return
			}
			tok, err := tokens.FindTokenBySecret(r.Context(), c.Value)
			if intake.ErrorCode(err) == intake.EUNAUTHORIZED {
				toSignIn()
				return
			}
			if err != nil {
				writeError(logger, w, r, err)
				return
			}
			admit(logger, sec, w, r, next, tok, roles)
		})
	}
}

// handleSignInForm handles GET /sign-in.
func handleSignInForm(logger *slog.Logger) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		return renderPage(w, http.StatusOK, "sign_in", signInPage{layout: layout{Title: "Logga in"}, Next: r.URL.Query().Get("next")})
	})
}

// handleSignIn handles POST /sign-in: a valid token becomes a session
// cookie. A key that is not valid counts against the address, as a bad
// bearer token does.
func handleSignIn(logger *slog.Logger, tokens tokenStore, sec *security) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		if sec.throttled(w, r) {
			return nil
		}
		secret := strings.TrimSpace(r.PostFormValue("token"))
		next := localPath(r.PostFormValue("next"))
		if _, err := tokens.FindTokenBySecret(r.Context(), secret); err != nil {
			if intake.ErrorCode(err) != intake.EUNAUTHORIZED {
				return err
			}
			sec.failed(r)
			page := signInPage{layout: layout{Title: "Logga in"}, Next: next, Error: intake.Text("signIn.invalidToken", "sv")}
			return renderPage(w, http.StatusUnauthorized, "sign_in", page)
		}
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: 12 * 3600})
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	})
}

// localPath returns next if it is a path on this site, else "/forms":
// never a redirect to another site ("//host", "/\\host", "https://…").
func localPath(next string) string {
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(next, "/") ||
		strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\x00\r\n\t") {
		return "/forms"
	}
	return next
}

// handleSignOut handles POST /sign-out.
func handleSignOut() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode, MaxAge: -1})
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	})
}
