package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// This file holds what the admin pages share: the overview, the
// access-log entry of every change an admin makes, and the errors of a
// refused form. Each admin page has its own file (admin_people.go,
// admin_units.go, admin_tokens.go, admin_audit.go) and template.

// adminPage is what admin.html shows: the way to the admin pages.
type adminPage struct {
	layout
}

// handleAdmin handles GET /admin (admins): the overview.
func handleAdmin(logger *slog.Logger) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		return renderPage(w, http.StatusOK, "admin", adminPage{layout: signedInLayout(r, "Administration")})
	})
}

// logAdmin writes an admin's change to the access log before the change
// is made, as every change to patient data is, so that a log that cannot
// be written refuses the change instead of following it: action
// ("admin.user.create", "admin.token.revoke", …) naming the admin, and
// what is changed ("username=NAME", "user=ID", "unit=HSA-ID", "token=ID")
// as the entry's query. An entry may so stand for a change the store then
// refused (a name taken, an unknown id). A token is logged just after it
// is made, by its id, and revoked at once if the entry cannot be written:
// its secret is shown only after. It is the one place the admin pages log
// their changes (the command line's own is logCommand in cmd/intyg, which
// names the operating-system user instead of a signed-in admin).
func logAdmin(r *http.Request, audit auditStore, action, target string) error {
	e := actorFrom(r.Context()).Audit(action, r.RemoteAddr)
	e.Query = target
	return audit.CreateAuditEntry(r.Context(), e)
}

// fieldOf names the form field of a problem's pointer: /careProvider/hsaId
// is careProvider.hsaId, and /units/1 (one unit of several) is units.
func fieldOf(pointer string) string {
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	for i, p := range parts {
		if p != "" && strings.Trim(p, "0123456789") == "" {
			parts = parts[:i]
			break
		}
	}
	return strings.Join(parts, ".")
}

// formErrors returns, for a refusal that has problems, the messages per
// form field, and whether there were any; a refusal without problems (or
// another error) gives none, and the handler returns it. The admin pages
// are in Swedish, and so are their messages, whatever the browser's
// language (as on the certificate form).
func formErrors(err error) (map[string][]string, bool) {
	ps := intake.ErrorProblems(err)
	if len(ps) == 0 {
		return nil, false
	}
	errs := map[string][]string{}
	for _, p := range ps {
		f := fieldOf(p.Pointer)
		errs[f] = append(errs[f], p.Message)
	}
	return errs, true
}

// doneNotice is the catalogue's sentence for a finished change, named by
// the done parameter of the redirect after it (admin.done.<done>), or "".
func doneNotice(r *http.Request) string {
	key := "admin.done." + r.URL.Query().Get("done")
	if r.URL.Query().Get("done") == "" || !intake.HasText(key) {
		return ""
	}
	return intake.Text(key, "sv")
}

// localTime shows a time as people in Sweden read it: to the minute in
// Europe/Stockholm, "" for none. Every time a page shows goes through it.
func localTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(intake.Stockholm).Format("2006-01-02 15:04")
}

// fieldData is what the "field" template draws: one labelled input of an
// admin form, its kept value and its messages, tied to it for screen
// readers (aria-describedby).
type fieldData struct {
	Name, Label, Type, Value, Hint, Autocomplete string
	Required                                     bool
	Errors                                       []string
}

// ID is the input's id.
func (f fieldData) ID() string { return "f-" + strings.ReplaceAll(f.Name, ".", "-") }

// DescribedBy lists the ids of the hint and the messages, if any.
func (f fieldData) DescribedBy() string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, f.ID()+"-hint")
	}
	if len(f.Errors) > 0 {
		ids = append(ids, f.ID()+"-error")
	}
	return strings.Join(ids, " ")
}

// newField makes a field from the template: name and label, the posted
// values and the form's errors, then options: "required", "password",
// "date", "autocomplete=…", "hint=…". A password's value is never kept.
func newField(name, label string, values url.Values, errs map[string][]string, opts ...string) fieldData {
	f := fieldData{Name: name, Label: label, Type: "text", Value: values.Get(name), Errors: errs[name]}
	for _, o := range opts {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "required":
			f.Required = true
		case "password", "date":
			f.Type = k
		case "autocomplete":
			f.Autocomplete = v
		case "hint":
			f.Hint = v
		}
	}
	if f.Type == "password" {
		f.Value = ""
	}
	return f
}
