package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
)

// personFinder resolves the person the access-log page is filtered by.
type personFinder interface {
	FindUserByID(ctx context.Context, id string) (*intake.User, error)
	FindUserByUsername(ctx context.Context, username string) (*intake.User, error)
}

// actionNames say in words what each of the access log's actions was, for
// its page (which shows the action's code beside them).
var actionNames = map[string]string{
	"certificate.read":         "Läste intyget",
	"certificate.search":       "Sökte intyg",
	"certificate.events":       "Läste intygets händelser",
	"certificate.pdf":          "Skrev ut intyget",
	"certificate.pdf.employer": "Skrev ut arbetsgivarens kopia",
	"certificate.compare":      "Jämförde intyg",
	"certificate.renewal":      "Hämtade underlag för förnyelse",
	"certificate.revoke":       "Makulerade intyget",
	"certificate.handled":      "Markerade intyget som hanterat",
	"certificate.unhandled":    "Återöppnade intyget",
	"message.list":             "Läste intygets meddelanden",
	"message.read":             "Läste ett meddelande",
	"message.search":           "Sökte meddelanden",
	"message.send":             "Skickade ett meddelande",
	"message.answer":           "Svarade på ett meddelande",
	"draft.list":               "Läste utkastlistan",
	"draft.read":               "Läste ett utkast",
	"draft.write":              "Sparade ett utkast",
	"draft.delete":             "Tog bort ett utkast",
	"draft.restore":            "Återställde ett borttaget utkast",
	"cases.patient":            "Läste patientens sjukfall",
	"cases.unit":               "Läste enhetens sjukfall",
	"audit.read":               "Läste åtkomstloggen",
	"admin.user.create":        "Skapade ett konto",
	"admin.user.disable":       "Stängde av ett konto",
	"admin.user.enable":        "Aktiverade ett konto",
	"admin.user.password":      "Bytte ett kontos lösenord",
	"admin.unit.create":        "Registrerade en vårdenhet",
	"admin.unit.disable":       "Stängde av en vårdenhet",
	"admin.unit.enable":        "Aktiverade en vårdenhet",
	"admin.token.create":       "Skapade en nyckel",
	"admin.token.revoke":       "Återkallade en nyckel",
	"admin.backup":             "Säkerhetskopierade databasen",
	"security.unauthorized":    "Nekad: ogiltig nyckel eller inloggning",
	"security.forbidden":       "Nekad: fel roll",
	"security.cross_origin":    "Nekad: anrop från en annan webbplats",
	"security.throttled":       "Nekad: för många misslyckade försök",
}

// actionName is action in words, or its code if it has none.
func actionName(action string) string {
	if name, ok := actionNames[action]; ok {
		return name
	}
	return action
}

// auditPageSize is how many entries the access-log page shows at a time.
const auditPageSize = 50

// auditPage is what admin_audit.html shows: the filters, and a page of
// the access log, newest first.
type auditPage struct {
	layout
	// Values are the filters: person, token, patient; Cursor continues.
	Values url.Values
	Errors map[string][]string
	// Person is whom the person filter names.
	Person  *intake.User
	Entries []*intake.AuditEntry
	Cursor  string
}

// handleAuditPage handles GET and POST /admin/audit (admins): the access
// log, newest first; POST filters it by person (user name or id), token
// and patient (any accepted form of the id, kept out of the URL), and goes
// on to the next page by a posted cursor. Every read is itself written to
// the access log (searchAudit).
func handleAuditPage(logger *slog.Logger, audit auditStore, people personFinder, sec *security, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		page := &auditPage{layout: signedInLayout(r, "Åtkomstlogg"), Values: url.Values{}}
		if r.Method == http.MethodPost {
			form, err := readForm(w, r, maxAdminForm)
			if err != nil {
				return err
			}
			page.Values = form
		}
		q := url.Values{"limit": {strconv.Itoa(auditPageSize)}}
		for _, name := range []string{"token", "patient", "cursor"} {
			if v := strings.TrimSpace(page.Values.Get(name)); v != "" {
				q.Set(name, v)
			}
		}
		if who := strings.TrimSpace(page.Values.Get("person")); who != "" {
			u, err := people.FindUserByUsername(r.Context(), who)
			if intake.ErrorCode(err) == intake.ENOTFOUND {
				u, err = people.FindUserByID(r.Context(), who)
			}
			switch intake.ErrorCode(err) {
			case "":
				page.Person = u
				q.Set("user", u.ID)
			case intake.ENOTFOUND:
				page.Errors = map[string][]string{"person": {intake.Text("account.unknown", "sv")}}
				return renderPage(w, http.StatusUnprocessableEntity, "admin_audit", page)
			default:
				return err
			}
		}
		list, next, err := searchAudit(r, audit, sec, now(), q)
		if errs, ok := formErrors(err); ok {
			page.Errors = errs
			return renderPage(w, http.StatusUnprocessableEntity, "admin_audit", page)
		}
		if err != nil {
			return err
		}
		page.Entries, page.Cursor = list.Items, next
		return renderPage(w, http.StatusOK, "admin_audit", page)
	})
}
