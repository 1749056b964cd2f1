package web

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

//go:embed pages/*.html
var pageFiles embed.FS

//go:embed static
var staticFiles embed.FS

// sessionCookie holds a signed-in user's token (HttpOnly, SameSite=Strict).
const sessionCookie = "intyg_session"

// pages are the parsed HTML templates, one set per page.
type pages map[string]*template.Template

var pageFuncs = template.FuncMap{
	"val": func(v url.Values, name string) string { return v.Get(name) },
	"checked": func(v url.Values, name, value string) bool {
		return slices.Contains(v[name], value)
	},
	"opt": optionString,
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"seq": func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	},
	"inc": func(i int) int { return i + 1 },
}

// mustParsePages parses every page with the layout and widgets; it panics
// at start-up if a template is broken, which a test rules out.
func mustParsePages() pages {
	ps := pages{}
	for _, name := range []string{"sign_in", "form_list", "certificate_form", "certificate_receipt"} {
		ps[name] = template.Must(template.New(name).Funcs(pageFuncs).ParseFS(pageFiles, "pages/layout.html", "pages/widgets.html", "pages/"+name+".html"))
	}
	return ps
}

// render writes a page into a buffer first, so that a template error
// becomes a 500 rather than half a page.
func (ps pages) render(w http.ResponseWriter, status int, name string, data any) error {
	var buf bytes.Buffer
	if err := ps[name].ExecuteTemplate(&buf, name+".html", data); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// signedIn requires a session cookie naming a live token with one of
// roles; without one it redirects to the sign-in page.
func signedIn(logger *slog.Logger, tokens tokenStore, roles ...intake.Role) func(http.Handler) http.Handler {
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
			admit(logger, w, r, next, tok, roles)
		})
	}
}

// handleSignInForm handles GET /sign-in.
func handleSignInForm(logger *slog.Logger, ps pages) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		return ps.render(w, http.StatusOK, "sign_in", map[string]any{"Title": "Logga in", "Next": r.URL.Query().Get("next")})
	})
}

// handleSignIn handles POST /sign-in: a valid token becomes a session cookie.
func handleSignIn(logger *slog.Logger, ps pages, tokens tokenStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		secret := strings.TrimSpace(r.PostFormValue("token"))
		next := localPath(r.PostFormValue("next"))
		if _, err := tokens.FindTokenBySecret(r.Context(), secret); err != nil {
			if intake.ErrorCode(err) != intake.EUNAUTHORIZED {
				return err
			}
			return ps.render(w, http.StatusUnauthorized, "sign_in", map[string]any{"Title": "Logga in", "Next": next, "Error": "Nyckeln är inte giltig."})
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

// handleFormList handles GET /forms: the templates a physician can fill in.
func handleFormList(logger *slog.Logger, ps pages, eng *intake.Engine) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		return ps.render(w, http.StatusOK, "form_list", map[string]any{"Title": "Skriv intyg", "SignedIn": true, "Templates": eng.Registry().All()})
	})
}

// formPage is what certificate_form.html shows.
type formPage struct {
	Title      string
	SignedIn   bool
	Template   *schemas.Template
	Envelope   any
	Roles      []struct{ Value, Label string }
	Unit       string
	Values     url.Values
	Shown      map[string]bool
	Errors     map[string][]string
	Problems   intake.Problems
	Submission string
}

var roles = []struct{ Value, Label string }{{"DOCTOR", "Läkare"}, {"PRIVATE_DOCTOR", "Privatpraktiserande läkare"}, {"DENTIST", "Tandläkare"}}

func newFormPage(t *schemas.Template, tok *intake.Token, v url.Values, doc map[string]any) *formPage {
	p := &formPage{Title: t.Title.SV, SignedIn: true, Template: t, Envelope: envelopeFields, Roles: roles, Unit: tok.UnitHSAID, Values: v, Shown: map[string]bool{}, Errors: map[string][]string{}}
	for _, q := range t.Form.Questions() {
		p.Shown[q.Field] = intake.Holds(q.DependsOn, doc)
	}
	p.Submission = v.Get("submission")
	if p.Submission == "" {
		b := make([]byte, 16)
		rand.Read(b)
		p.Submission = base64.RawURLEncoding.EncodeToString(b)
	}
	return p
}

func templateFromURL(eng *intake.Engine, r *http.Request) (*schemas.Template, error) {
	v := mux.Vars(r)
	t, ok := eng.Template(v["template"], v["version"])
	if !ok {
		return nil, intake.Errorf(intake.ENOTFOUND, "There is no template %s version %s.", v["template"], v["version"])
	}
	return t, nil
}

// handleCertificateForm handles GET /forms/{template}/{version}: an empty
// form generated from the template's form definition.
func handleCertificateForm(logger *slog.Logger, ps pages, eng *intake.Engine) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		t, err := templateFromURL(eng, r)
		if err != nil {
			return err
		}
		tok := tokenFrom(r.Context())
		v := url.Values{"issuer.role": {"DOCTOR"}}
		return ps.render(w, http.StatusOK, "certificate_form", newFormPage(t, tok, v, formDocument(t, v, tok.UnitHSAID, "")))
	})
}

// handleCertificateFormSubmit handles POST /forms/{template}/{version}: the
// same intake as the API; on problems the form comes back with the values
// and each message next to its question (422), on success the certificate
// is stored and the browser goes to its receipt (303). The form's
// submission id is the idempotency key, so a double click stores once.
func handleCertificateFormSubmit(logger *slog.Logger, ps pages, eng *intake.Engine, certs certificateStore, m *metrics, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		t, err := templateFromURL(eng, r)
		if err != nil {
			return err
		}
		r.Body = http.MaxBytesReader(w, r.Body, int64(eng.MaxBytes())*2)
		if err := r.ParseForm(); err != nil {
			return intake.Errorf(intake.EMALFORMED, "The form could not be read.")
		}
		tok := tokenFrom(r.Context())
		doc := formDocument(t, r.PostForm, tok.UnitHSAID, now().UTC().Format(time.RFC3339))
		body, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		cert, err := eng.Intake(body, now())
		if err != nil {
			if intake.ErrorCode(err) != intake.EINVALID {
				return err
			}
			m.certificates.WithLabelValues(t.ID, "refused").Inc()
			page := newFormPage(t, tok, r.PostForm, doc)
			page.Problems = intake.ErrorProblems(err)
			for _, p := range page.Problems {
				f, msg := problemField(p.Pointer), p.Message
				if item := problemItem(t, doc, p.Pointer); item != "" {
					msg = item + ": " + msg
				}
				page.Errors[f] = append(page.Errors[f], msg)
			}
			return ps.render(w, http.StatusUnprocessableEntity, "certificate_form", page)
		}
		// The form's submission id makes a double click or a retry store once.
		// The second post differs in signedAt, so it conflicts: show the first.
		var idem *intake.Idempotency
		if sub := r.PostForm.Get("submission"); sub != "" {
			idem = &intake.Idempotency{Scope: "form:" + tok.UnitHSAID, Key: sub}
		}
		stored, replay, err := certs.CreateCertificate(r.Context(), cert, body, idem)
		if intake.ErrorCode(err) == intake.ECONFLICT && idem != nil {
			if first, ferr := certs.FindCertificateByIdempotencyKey(r.Context(), *idem); ferr == nil {
				stored, replay, err = first, true, nil
			}
		}
		if err != nil {
			return err
		}
		if !replay {
			m.certificates.WithLabelValues(stored.Template, "accepted").Inc()
		}
		http.Redirect(w, r, "/certificates/"+stored.ID, http.StatusSeeOther)
		return nil
	})
}

// handleCertificateReceipt handles GET /certificates/{id}: the receipt of a
// stored certificate, with its PDF link; it is a read of patient data and
// goes to the access log.
func handleCertificateReceipt(logger *slog.Logger, ps pages, eng *intake.Engine, certs certificateStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		tok := tokenFrom(r.Context())
		c, err := findVisible(r, certs, tok)
		if err != nil {
			return err
		}
		t, _ := eng.Template(c.Template, c.Version)
		if err := audit.CreateAuditEntry(r.Context(), &intake.AuditEntry{TokenID: tok.ID, Role: tok.Role, Action: "certificate.read", CertificateID: c.ID, PatientID: c.Patient.ID, RemoteAddr: r.RemoteAddr}); err != nil {
			return err
		}
		return ps.render(w, http.StatusOK, "certificate_receipt", map[string]any{"Title": "Intyget är mottaget", "SignedIn": true, "Certificate": c, "Template": t})
	})
}

// staticHandler serves the embedded CSS and JavaScript.
func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFiles, "static")
	return http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
}
