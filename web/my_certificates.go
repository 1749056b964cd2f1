package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// myCertificatesPage is what my_certificates.html shows: the certificates
// of the physician's unit, newest first, with filters.
type myCertificatesPage struct {
	layout
	Unit      string
	Templates []*schemas.Template
	Statuses  []intake.Status
	// Template, Status and Patient are the filters in use; the patient's id
	// travels by POST only.
	Template, Status, Patient string
	Rows                      []myCertificateRow
	Next                      string
	Error                     string
}

// myCertificateRow is one certificate of the list.
type myCertificateRow struct {
	certificateSummary
	Title        string
	Received     string
	EmployerCopy bool
}

// certificateRows are the rows of a list page: each certificate with its
// form number, received time and whether it has an employer copy.
func certificateRows(eng *intake.Engine, items []certificateSummary) []myCertificateRow {
	var rows []myCertificateRow
	for _, it := range items {
		row := myCertificateRow{certificateSummary: it, Title: it.Template + " " + it.Version, Received: localTime(it.ReceivedAt)}
		if t, ok := eng.Template(it.Template, it.Version); ok {
			row.Title, row.EmployerCopy = t.FormNumber, t.EmployerCopy != nil
		}
		rows = append(rows, row)
	}
	return rows
}

// handleMyCertificates handles GET and POST /certificates (physicians):
// their unit's certificates, newest first, with status, the PDF and the
// employer copy; filtered by template and status (in the URL) and by
// patient (posted, never in a URL). Every patient shown is in the access
// log.
func handleMyCertificates(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		in := r.URL.Query()
		if r.Method == http.MethodPost {
			form, err := readForm(w, r, 4<<10)
			if err != nil {
				return err
			}
			in = form
		}
		page := myCertificatesPage{layout: signedInLayout(r, "Mina intyg"), Unit: actorFrom(r.Context()).Session.Unit,
			Templates: eng.Registry().All(), Statuses: []intake.Status{intake.StatusReceived, intake.StatusHandled, intake.StatusRevoked, intake.StatusReplaced},
			Template: in.Get("template"), Status: in.Get("status"), Patient: in.Get("patient")}
		q := url.Values{"limit": {"50"}}
		for _, name := range []string{"template", "status", "patient", "cursor"} {
			if v := in.Get(name); v != "" {
				q.Set(name, v)
			}
		}
		list, next, err := searchCertificates(r, eng, certs, audit, now(), q)
		if ps := intake.ErrorProblems(err); len(ps) > 0 {
			page.Error = ps[0].Message
			return renderPage(w, http.StatusUnprocessableEntity, "my_certificates", page)
		}
		if err != nil {
			return err
		}
		page.Rows, page.Next = certificateRows(eng, list.Items), next
		return renderPage(w, http.StatusOK, "my_certificates", page)
	})
}
