package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/intyg/intyg/intake"
)

// caseStore finds the certificates sick-leave cases are built from; it
// exists so that the case handlers and the submit step depend on
// behaviour, not on package store.
type caseStore interface {
	FindCaseCertificates(ctx context.Context, patientID string, units *[]string) ([]intake.CaseCertificate, error)
	FindOngoingCaseCertificates(ctx context.Context, units []string, at intake.Date, gap int) ([]intake.CaseCertificate, error)
}

// flagEntry is an attention flag on the wire, in the reader's language.
type flagEntry struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// flagsFor is c's attention flags as the request's reader may see them.
// A reader bound to units (a clinic token, a physician, a coordinator)
// does not see a flag that rests on other units' certificates (another
// unit's overlapping period, a milestone the case across units reaches):
// it would tell of certificates, and name units, that reader may not see.
func flagsFor(r *http.Request, eng *intake.Engine, c *intake.Certificate) []intake.Flag {
	if !actorFrom(r.Context()).UnitBound() {
		return c.Flags
	}
	return slices.DeleteFunc(slices.Clone(c.Flags), func(f intake.Flag) bool { return flagReadsOtherUnits(eng, f.Code) })
}

// flagReadsOtherUnits reports whether a template declares code with a
// kind that rests on other units' certificates.
func flagReadsOtherUnits(eng *intake.Engine, code string) bool {
	for _, t := range eng.Registry().All() {
		for _, f := range t.Attention {
			if f.Code == code && f.Kind.ReadsOtherUnits() {
				return true
			}
		}
	}
	return false
}

// flagEntries converts flags to their wire form in lang: a list, empty
// when nothing is flagged (the record always carries flags).
func flagEntries(fs []intake.Flag, lang string) []flagEntry {
	out := make([]flagEntry, 0, len(fs))
	for _, f := range fs {
		out = append(out, flagEntry{Code: f.Code, Message: f.Localized(lang)})
	}
	return out
}

// patientCases builds a patient's cases as the actor may see them
// (physicians and clinic tokens from their own units' certificates) and
// writes the read to the access log, naming the actor, before anything
// is shown.
func patientCases(r *http.Request, eng *intake.Engine, cases caseStore, audit auditStore, q intake.CaseQuery) ([]intake.Case, error) {
	actor := actorFrom(r.Context())
	var units *[]string
	if actor.UnitBound() {
		units = &actor.Units
	}
	certs, err := cases.FindCaseCertificates(r.Context(), q.Patient, units)
	if err != nil {
		return nil, err
	}
	e := actor.Audit("cases.patient", r.RemoteAddr)
	e.PatientID, e.Query = q.Patient, fmt.Sprintf("gap=%d&at=%s", q.Gap, q.At)
	if err := audit.CreateAuditEntry(r.Context(), e); err != nil {
		return nil, err
	}
	return intake.BuildCases(certs, intake.CaseOptions{Gap: q.Gap, At: q.At, Milestones: eng.CaseMilestones()}), nil
}

// handlePatientCases handles POST /api/v1/patients/sick-leave-cases: the
// patient's sick-leave cases, newest first ({patient, gap, at} in the body,
// so that the identity number never stands in a URL). Every call is in the
// access log.
func handlePatientCases(logger *slog.Logger, eng *intake.Engine, cases caseStore, audit auditStore, now func() time.Time) http.Handler {
	type response struct {
		Patient string        `json:"patient"`
		Gap     int           `json:"gap"`
		At      intake.Date   `json:"at"`
		Cases   []intake.Case `json:"cases"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		doc, err := readJSONObject(w, r, maxFilterBody)
		if err != nil {
			return err
		}
		q, err := intake.ParseCaseQuery(doc, intake.DateOf(now()))
		if err != nil {
			return err
		}
		list, err := patientCases(r, eng, cases, audit, q)
		if err != nil {
			return err
		}
		if list == nil {
			list = []intake.Case{}
		}
		encode(w, http.StatusOK, response{Patient: q.Patient, Gap: q.Gap, At: q.At, Cases: list})
		return nil
	})
}
