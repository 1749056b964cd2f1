package web

import (
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/intyg/intyg/intake"
)

// searchPage is what search.html shows: a caseworker's search for a
// patient's certificates, the patient's id sent by POST, never in a URL.
type searchPage struct {
	layout
	Patient string
	Results *certificateList
	Error   string
	// Titles are the templates' titles by "template/version".
	Titles map[string]string
	// Cursor is the page's (none: the newest); Next the older page's.
	Cursor, Next string
	// Ref names the patient searched for (handlePatientPost).
	Ref string
}

// searchPageSize is how many of the patient's certificates a page shows.
const searchPageSize = 100

// handleSearchPage handles GET /search (caseworkers): the form, and with a
// reference to the patient searched for (handlePatientPost) the patient's
// certificates, newest first, a page at a time; every patient shown is in
// the access log (searchCertificates).
func handleSearchPage(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore, refs patientRefStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		page := searchPage{layout: signedInLayout(r, "Patientens intyg")}
		patient, notice, search, err := refPatient(r, refs)
		if err != nil {
			return err
		}
		if !search {
			page.Error = notice
			return renderPage(w, http.StatusOK, "search", page)
		}
		page.Patient, page.Cursor, page.Ref = patient, r.URL.Query().Get("cursor"), r.URL.Query().Get("ref")
		q := url.Values{"patient": {page.Patient}, "limit": {strconv.Itoa(searchPageSize)}}
		if page.Cursor != "" {
			q.Set("cursor", page.Cursor)
		}
		list, next, err := searchCertificates(r, eng, certs, audit, now(), q, "sv")
		if err != nil {
			if ps := intake.ErrorProblems(err); len(ps) > 0 {
				page.Error = ps[0].Message
				return renderPage(w, http.StatusUnprocessableEntity, "search", page)
			}
			return err
		}
		page.Results, page.Next, page.Titles = &list, next, map[string]string{}
		for _, t := range eng.Registry().All() {
			page.Titles[t.Key()] = t.Title.SV
		}
		return renderPage(w, http.StatusOK, "search", page)
	})
}
