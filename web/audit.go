package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/intyg/intyg/intake"
)

// auditList is a page of the access log.
type auditList struct {
	Items []*intake.AuditEntry `json:"items"`
	// Next is, for GET, the URL of the next page.
	Next string `json:"next,omitempty"`
	// NextCursor is, for POST search, the cursor of the next page.
	NextCursor string `json:"nextCursor,omitempty"`
}

// auditParams are the filters of an access-log search.
var auditParams = []string{"patient", "certificate", "token", "user", "since", "cursor", "limit"}

// searchAudit reads the access log with the filters in q: patient (any
// accepted form), certificate, token, user (a person's id), since, cursor
// and limit; newest first. The read is itself a read of patient data: it
// is written to the access log before the answer is sent, one entry for
// each patient the page shows (and the patient searched for), or one
// naming none when it shows none, and counted as a security event.
func searchAudit(r *http.Request, audit auditStore, sec *security, now time.Time, q url.Values) (auditList, string, error) {
	p := newQueryParser(q, now, auditParams...)
	f := intake.AuditFilter{
		PatientID: p.patient("patient"), CertificateID: p.text("certificate"), TokenID: p.text("token"), UserID: p.text("user"),
		Since: p.time("since", false), Limit: p.limit(), Cursor: p.cursor(),
	}
	if err := p.err(); err != nil {
		return auditList{}, "", err
	}
	items, next, err := audit.FindAuditEntries(r.Context(), f)
	if err != nil {
		return auditList{}, "", err
	}
	var patients []string
	for _, e := range items {
		if e.PatientID != "" {
			patients = append(patients, e.PatientID)
		}
	}
	if f.PatientID != nil {
		patients = append(patients, *f.PatientID)
	}
	actor := actorFrom(r.Context())
	base := actor.Audit("audit.read", r.RemoteAddr)
	base.Query = p.query()
	if err := logPatients(r.Context(), audit, *base, patients); err != nil {
		return auditList{}, "", err
	}
	sec.event(r, eventAuditRead, actor)
	if items == nil {
		items = []*intake.AuditEntry{}
	}
	return auditList{Items: items}, next, nil
}

// handleAuditList handles GET /api/v1/audit (admins): the access log.
// POST /api/v1/audit/search keeps a patient's id out of the URL.
func handleAuditList(logger *slog.Logger, audit auditStore, sec *security, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		resp, next, err := searchAudit(r, audit, sec, now(), r.URL.Query())
		if err != nil {
			return err
		}
		if next != "" {
			q := r.URL.Query()
			q.Set("cursor", next)
			resp.Next = "/api/v1/audit?" + q.Encode()
		}
		encode(w, http.StatusOK, resp)
		return nil
	})
}

// handleAuditSearch handles POST /api/v1/audit/search (admins): the
// filters of GET /api/v1/audit as a JSON object in the body.
func handleAuditSearch(logger *slog.Logger, audit auditStore, sec *security, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		q, err := readFilters(w, r, auditParams...)
		if err != nil {
			return err
		}
		resp, next, err := searchAudit(r, audit, sec, now(), q)
		if err != nil {
			return err
		}
		resp.NextCursor = next
		encode(w, http.StatusOK, resp)
		return nil
	})
}

// logPatients writes one access-log entry per patient (base with the
// patient's id), each patient once, in order, in one durable write; with
// no patient it writes base alone, so that every search is in the log.
func logPatients(ctx context.Context, audit auditStore, base intake.AuditEntry, patients []string) error {
	seen := map[string]bool{}
	var entries []*intake.AuditEntry
	for _, p := range patients {
		if seen[p] {
			continue
		}
		seen[p] = true
		e := base
		e.PatientID = p
		entries = append(entries, &e)
	}
	if len(entries) == 0 {
		entries = append(entries, &base)
	}
	return audit.CreateAuditEntries(ctx, entries)
}
