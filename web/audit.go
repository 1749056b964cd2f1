package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/intyg/intyg/intake"
)

// handleAuditList handles GET /api/v1/audit: the access log, newest first,
// filtered by patient (any accepted form), certificate, token and since.
// The read is itself written to the access log and counted as a security
// event.
func handleAuditList(logger *slog.Logger, audit auditStore, sec *security, now func() time.Time) http.Handler {
	type response struct {
		Items []*intake.AuditEntry `json:"items"`
		Next  string               `json:"next,omitempty"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		p := newQueryParser(q, now(), "patient", "certificate", "token", "since", "cursor", "limit")
		f := intake.AuditFilter{
			PatientID: p.patient("patient"), CertificateID: p.text("certificate"), TokenID: p.text("token"),
			Since: p.time("since", false), Limit: p.limit(), Cursor: p.cursor(),
		}
		if err := p.err(); err != nil {
			return err
		}
		items, next, err := audit.FindAuditEntries(r.Context(), f)
		if err != nil {
			return err
		}
		// Reading the access log is itself logged, before the answer: it is
		// a security event, and about the patient when one is named.
		tok := tokenFrom(r.Context())
		entry := &intake.AuditEntry{TokenID: tok.ID, Role: tok.Role, Action: "audit.read", Query: p.query(), RemoteAddr: r.RemoteAddr}
		if f.PatientID != nil {
			entry.PatientID = *f.PatientID
		}
		if err := audit.CreateAuditEntry(r.Context(), entry); err != nil {
			return err
		}
		sec.event(r, eventAuditRead, tok)
		resp := response{Items: items}
		if resp.Items == nil {
			resp.Items = []*intake.AuditEntry{}
		}
		if next != "" {
			q.Set("cursor", next)
			resp.Next = "/api/v1/audit?" + q.Encode()
		}
		encode(w, http.StatusOK, resp)
		return nil
	})
}
