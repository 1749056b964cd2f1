package web

import (
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/intyg/intyg/intake"
)

// handleAuditList handles GET /api/v1/audit: the access log, newest first,
// filtered by patient (any accepted form), certificate, token and since.
func handleAuditList(logger *slog.Logger, audit auditStore, now func() time.Time) http.Handler {
	type response struct {
		Items []*intake.AuditEntry `json:"items"`
		Next  string               `json:"next,omitempty"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		var f intake.AuditFilter
		var ps intake.Problems
		if v := q.Get("patient"); v != "" {
			pid, err := intake.ParsePersonalID(v, now())
			if err != nil {
				ps = append(ps, intake.Problem{Pointer: "/patient", Code: "invalid", Message: "Ange ett giltigt personnummer eller samordningsnummer.", MessageEn: "Give a valid personnummer or samordningsnummer."})
			}
			f.PatientID = &pid.Number
		}
		if v := q.Get("certificate"); v != "" {
			f.CertificateID = &v
		}
		if v := q.Get("token"); v != "" {
			f.TokenID = &v
		}
		if v := q.Get("since"); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				ps = append(ps, intake.Problem{Pointer: "/since", Code: "invalid", Message: "Ange en tidpunkt enligt RFC 3339.", MessageEn: "Give an RFC 3339 time."})
			}
			f.Since = &t
		}
		if v := q.Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 500 {
				ps = append(ps, intake.Problem{Pointer: "/limit", Code: "invalid", Message: "Ange ett antal mellan 1 och 500.", MessageEn: "Give a number from 1 to 500."})
			}
			f.Limit = n
		}
		f.Cursor = q.Get("cursor")
		if len(ps) > 0 {
			return &intake.Error{Code: intake.EINVALID, Message: "The search parameters are not valid.", Problems: ps}
		}
		items, next, err := audit.FindAuditEntries(r.Context(), f)
		if err != nil {
			return err
		}
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
