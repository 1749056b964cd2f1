package web

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// queueStore counts the queue's certificates per status.
type queueStore interface {
	CountCertificatesByStatus(ctx context.Context, f intake.CertificateFilter) (map[intake.Status]int, error)
}

// patientRefStore keeps a page's patient (a queue's filter, a search) on
// the server under a random reference, so that it survives going to a
// certificate and back without the patient's id ever standing in a URL. A
// reference belongs to the session that made it and lives patientRefLife;
// it is in the database, so that every server sharing it knows it.
type patientRefStore interface {
	CreatePatientRef(ctx context.Context, session, patient string, life time.Duration) (string, error)
	FindPatientRef(ctx context.Context, ref, session string) (patient string, ok bool, err error)
}

const patientRefLife = time.Hour

// handlePatientPost handles the POST of a form that asks for a patient
// (the queue's filters, Patientens intyg, Patientens sjukfall, Mina
// intyg): the patient (field "patient") is kept under a reference, and the
// browser goes on to the page at path with it and the fields keep. The
// page answers a GET, so that going back to it, or reloading it, never
// posts the form again, and the patient's id never stands in a URL.
func handlePatientPost(logger *slog.Logger, refs patientRefStore, path string, keep ...string) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		form, err := readForm(w, r, 4<<10)
		if err != nil {
			return err
		}
		ref, err := refs.CreatePatientRef(r.Context(), sessionSecret(r), form.Get("patient"), patientRefLife)
		if err != nil {
			return err
		}
		v := url.Values{"ref": {ref}}
		for _, k := range keep {
			if s := form.Get(k); s != "" {
				v.Set(k, s)
			}
		}
		http.Redirect(w, r, path+"?"+v.Encode(), http.StatusSeeOther)
		return nil
	})
}

// refPatient returns the patient of the page's reference (handlePatientPost)
// and whether the page shows a search for it: not without a reference,
// nor for one that names no patient of this session's (an hour old, or
// another session's), of which notice says to give the patient again.
func refPatient(r *http.Request, refs patientRefStore) (patient, notice string, search bool, err error) {
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		return "", "", false, nil
	}
	patient, ok, err := refs.FindPatientRef(r.Context(), ref, sessionSecret(r))
	switch {
	case err != nil:
		return "", "", false, err
	case ok:
		return patient, "", true, nil
	}
	return "", intake.Text("queue.refExpired", "sv"), false, nil
}

// queuePage is what queue.html shows.
type queuePage struct {
	layout
	Templates []*schemas.Template
	Statuses  []intake.Status
	// The filters in use; Patient only as typed, never in a link.
	Template, Status, Since, Unit, Provider, Patient, Ref, Messages, Flag string
	// Flags are the attention flags the templates declare, for the filter.
	Flags   []queueFlag
	Contact bool
	Counts  map[intake.Status]int
	Total   int
	Rows    []myCertificateRow
	// Link keeps the filters (not the patient) for status links and pages.
	Link  url.Values
	Pager pager
	// Error is why the patient filter was not used (an expired
	// reference); Errors why each refused filter was, by its input's name.
	Error  string
	Errors map[string]string
}

// queueInputs names the queue page's input of each search parameter.
var queueInputs = map[string]string{"/receivedSince": "since", "/careProvider": "provider", "/contactRequested": "contact"}

// queuePageSize is how many certificates a queue page shows.
const queuePageSize = 50

// queueFlag is an attention flag the queue filters by.
type queueFlag struct{ Code, Label string }

// declaredFlags are the attention flags of every template, once each, in
// the templates' order.
func declaredFlags(eng *intake.Engine) []queueFlag {
	var out []queueFlag
	for _, t := range eng.Registry().All() {
		for _, f := range t.Attention {
			if !slices.ContainsFunc(out, func(q queueFlag) bool { return q.Code == f.Code }) {
				out = append(out, queueFlag{Code: f.Code, Label: intake.FlagName(f, "sv")})
			}
		}
	}
	return out
}

// StatusLink is the queue's link for one status with the other filters.
func (p queuePage) StatusLink(s intake.Status) string {
	v := url.Values{}
	for k, vs := range p.Link {
		v[k] = vs
	}
	v.Set("status", string(s))
	return "/queue?" + v.Encode()
}

// handleQueue handles GET /queue (caseworkers): certificates newest first,
// filtered by template, status, received date, unit, care provider,
// "contact with the agency requested", and patient (sent by
// POST to /queue, kept on the server under a reference); counts per
// status; cursor pages. Every patient shown is in the access log.
func handleQueue(logger *slog.Logger, eng *intake.Engine, certs certificateStore, audit auditStore, counts queueStore, refs patientRefStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		in := r.URL.Query()
		page := queuePage{layout: signedInLayout(r, "Kö"), Templates: eng.Registry().All(),
			Statuses: []intake.Status{intake.StatusReceived, intake.StatusHandled, intake.StatusRevoked, intake.StatusReplaced},
			Template: in.Get("template"), Status: in.Get("status"), Since: in.Get("since"), Unit: in.Get("unit"), Provider: in.Get("provider"),
			Contact: in.Get("contact") == "true", Ref: in.Get("ref"), Messages: in.Get("messages"), Flag: in.Get("flag"), Flags: declaredFlags(eng), Link: url.Values{}}
		q := url.Values{"limit": {strconv.Itoa(queuePageSize)}}
		contact := ""
		if page.Contact {
			contact = "true"
		}
		for param, v := range map[string]string{"template": page.Template, "status": page.Status, "receivedSince": page.Since, "unit": page.Unit,
			"careProvider": page.Provider, "contactRequested": contact, "messages": page.Messages, "flag": page.Flag, "cursor": in.Get("cursor")} {
			if v != "" {
				q.Set(param, v)
			}
		}
		for param, v := range map[string]string{"template": page.Template, "since": page.Since, "unit": page.Unit, "provider": page.Provider, "contact": contact, "messages": page.Messages, "flag": page.Flag, "ref": page.Ref} {
			if v != "" {
				page.Link.Set(param, v)
			}
		}
		patient, notice, search, err := refPatient(r, refs)
		if err != nil {
			return err
		}
		if notice != "" {
			page.Error = notice
			return renderPage(w, http.StatusOK, "queue", page)
		}
		if search && patient != "" {
			page.Patient = patient
			q.Set("patient", patient)
		}
		f, _, err := certificateFilter(r, eng, now(), q)
		if ps := intake.ErrorProblems(err); len(ps) > 0 {
			// Each refused filter's message beside its input.
			page.Errors = map[string]string{}
			for _, p := range ps {
				in, ok := queueInputs[p.Pointer]
				if !ok {
					in = strings.TrimPrefix(p.Pointer, "/")
				}
				msg := p.Message
				switch in {
				case "since": // a date input: no RFC 3339 to speak of
					msg = intake.Text("queue.since", "sv")
				case "template", "status", "unit", "provider", "flag", "messages", "patient":
				default:
					// No input of its own (a page's cursor): beside the
					// patient's, where the page says what it could not use.
					in = "patient"
				}
				if page.Errors[in] == "" {
					page.Errors[in] = msg
				}
			}
			return renderPage(w, http.StatusUnprocessableEntity, "queue", page)
		}
		if err != nil {
			return err
		}
		list, next, err := searchCertificates(r, eng, certs, audit, now(), q, "sv")
		if ps := intake.ErrorProblems(err); intake.ErrorCode(err) == intake.EINVALID && len(ps) > 0 {
			// A cursor the store cannot read (a page's address changed by
			// hand): said on the page, beside the patient's input.
			page.Error = ps[0].Message
			return renderPage(w, http.StatusUnprocessableEntity, "queue", page)
		}
		if err != nil {
			return err
		}
		// Counted once the search has written the access log: the counts
		// of a patient's certificates are a read of the patient, and a
		// refused search shows none.
		if page.Counts, err = counts.CountCertificatesByStatus(r.Context(), f); err != nil {
			return err
		}
		for _, n := range page.Counts {
			page.Total += n
		}
		page.Rows = certificateRows(eng, list.Items)
		keep := maps.Clone(page.Link)
		if page.Status != "" {
			keep.Set("status", page.Status)
		}
		total := page.Total
		if page.Status != "" {
			total = page.Counts[intake.Status(page.Status)]
		}
		page.Pager = newPager("/queue", keep, in, queuePageSize, len(page.Rows), next, total)
		return renderPage(w, http.StatusOK, "queue", page)
	})
}
