package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
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
	// is posted, and kept under a reference (handlePatientPost).
	Template, Status, Patient string
	Rows                      []myCertificateRow
	// Total is how many certificates the filters find, on every page.
	Total int
	Pager pager
	Error string
}

// myCertificatesPageSize is how many certificates a page of the list shows.
const myCertificatesPageSize = 50

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

// handleMyCertificates handles GET /certificates (physicians): their
// unit's certificates, newest first, with status, the PDF and the employer
// copy; filtered by template and status (in the URL) and by patient
// (posted: handlePatientPost, then a reference to it in the URL).
// Every patient shown is in the access log.
func handleMyCertificates(logger *slog.Logger, eng *intake.Engine, certs certificateStore, counts queueStore, audit auditStore, refs patientRefStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		in := r.URL.Query()
		patient, notice, search, err := refPatient(r, refs)
		if err != nil {
			return err
		}
		if in.Get("ref") != "" && !search {
			in.Del("ref") // the list without the patient, and a word to filter again
		}
		in.Set("patient", patient)
		page := myCertificatesPage{layout: signedInLayout(r, "Mina intyg"), Unit: actorFrom(r.Context()).Session.Unit,
			Templates: eng.Registry().All(), Statuses: []intake.Status{intake.StatusReceived, intake.StatusHandled, intake.StatusRevoked, intake.StatusReplaced},
			Template: in.Get("template"), Status: in.Get("status"), Patient: patient, Error: notice}
		q := url.Values{"limit": {strconv.Itoa(myCertificatesPageSize)}}
		for _, name := range []string{"template", "status", "patient", "cursor"} {
			if v := in.Get(name); v != "" {
				q.Set(name, v)
			}
		}
		list, next, err := searchCertificates(r, eng, certs, audit, now(), q, "sv")
		if ps := intake.ErrorProblems(err); len(ps) > 0 {
			page.Error = ps[0].Message
			return renderPage(w, http.StatusUnprocessableEntity, "my_certificates", page)
		}
		if err != nil {
			return err
		}
		page.Rows = certificateRows(eng, list.Items)
		keep := url.Values{}
		for _, name := range []string{"template", "status", "ref"} {
			if v := in.Get(name); v != "" {
				keep.Set(name, v)
			}
		}
		// How many there are in all, as the queue says: the filters read
		// above, counted from the kept counts.
		f, _, err := certificateFilter(r, eng, now(), q)
		if err != nil {
			return err
		}
		byStatus, err := counts.CountCertificatesByStatus(r.Context(), f)
		if err != nil {
			return err
		}
		for _, n := range byStatus {
			page.Total += n
		}
		if f.Status != nil { // the counts are every status's
			page.Total = byStatus[*f.Status]
		}
		page.Pager = newPager("/certificates", keep, in, myCertificatesPageSize, len(page.Rows), next, page.Total)
		return renderPage(w, http.StatusOK, "my_certificates", page)
	})
}
