package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// draftStore keeps the physician's drafts.
type draftStore interface {
	SaveDraft(ctx context.Context, d *intake.Draft) error
	FindDraft(ctx context.Context, id string) (*intake.Draft, error)
	FindDrafts(ctx context.Context, userID, unit string) ([]*intake.Draft, error)
	DeleteDraft(ctx context.Context, id, userID string) error
	FindDeletedDraft(ctx context.Context, id, userID, unit string) (*intake.Draft, *intake.Draft, error)
	RestoreDraft(ctx context.Context, id, userID, unit string) (*intake.Draft, error)
	MarkDraftSigned(ctx context.Context, id, userID, certificateID string) error
	CreateDraftUnless(ctx context.Context, d *intake.Draft, same func(*intake.Draft) bool) (*intake.Draft, error)
}

// saveDraft stores the posted form as the physician's draft (a new one,
// or the one the form names, unless it was saved elsewhere since the
// form's draftSaved: store.SaveDraft) and writes the write to the access
// log. A save the store refuses comes back with its draft too, whose
// SavedAs may name the draft its answers are in now.
func saveDraft(r *http.Request, drafts draftStore, audit auditStore, t *schemas.Template, posted url.Values, now time.Time) (*intake.Draft, error) {
	d, err := postedDraft(r, t, posted, now)
	if err != nil {
		return nil, err
	}
	if err := drafts.SaveDraft(r.Context(), d); err != nil {
		return d, err
	}
	return d, logDraft(r, audit, "draft.write", d)
}

// postedDraft is the physician's draft of the posted form.
func postedDraft(r *http.Request, t *schemas.Template, posted url.Values, now time.Time) (*intake.Draft, error) {
	a := actorFrom(r.Context())
	d := &intake.Draft{ID: posted.Get("draft"), UserID: a.User.ID, Unit: a.Session.Unit, Template: t.ID, Version: t.Version,
		PatientName: strings.TrimSpace(posted.Get("patient.name"))}
	if pid, err := intake.ParsePersonalID(posted.Get("patient.id"), now); err == nil {
		d.PatientID = pid.Number
	}
	if s := posted.Get("draftSaved"); s != "" && d.ID != "" {
		base, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, intake.Failure(eBadRequest, "request.draftSaved")
		}
		d.Base = base
	}
	values := url.Values{}
	for k, vs := range posted {
		if k != "draft" && k != "draftSaved" {
			values[k] = vs
		}
	}
	d.Form = values.Encode()
	return d, nil
}

// recreatedNotice is what the physician is told when the posted form's
// draft had been deleted (in another tab) and its answers were saved as
// the new draft d (store.SaveDraft), else "".
func recreatedNotice(posted url.Values, d *intake.Draft) string {
	if id := posted.Get("draft"); id == "" || id == d.ID {
		return ""
	}
	return intake.Text("lifecycle.draftRecreated", "sv")
}

// logDraft writes what was done to draft d (action: draft.read,
// draft.write, draft.delete, draft.restore) to the access log, naming its
// patient.
func logDraft(r *http.Request, audit auditStore, action string, d *intake.Draft) error {
	e := actorFrom(r.Context()).Audit(action, r.RemoteAddr)
	e.PatientID, e.Query = d.PatientID, "draft="+d.ID
	return audit.CreateAuditEntry(r.Context(), e)
}

// renderUnsaved answers a save of d refused (err, ECONFLICT) because the
// draft was saved in another tab since this one opened it, or signed
// there: this tab's answers are not saved, so the form keeps them in sight
// (to copy, or to type again into the draft opened anew) with why, rather
// than an error page that loses them. A deleted draft has no page to open
// anew: the form links to the draft its answers are in (d.SavedAs).
func renderUnsaved(w http.ResponseWriter, r *http.Request, eng *intake.Engine, t *schemas.Template, is issuing, posted url.Values, d *intake.Draft, err error,
	certs certificateStore, messages messageStore, audit auditStore) error {
	page := newFormPage(eng, t, is, posted, formDocument(t, posted, issuerOf(is.user, is.unit), ""))
	page.setProblems(intake.ErrorProblems(err))
	page.SavedAs = d.SavedAs
	if id := posted.Get("draft"); id != "" {
		// Still over the save this tab last knew: a save from it
		// stays refused, not made over the other tab's.
		at, _ := time.Parse(time.RFC3339Nano, posted.Get("draftSaved"))
		page.Draft = &intake.Draft{ID: id, UpdatedAt: at}
	}
	return renderForm(w, r, http.StatusConflict, page, certs, messages, audit)
}

// handleDraftSave handles POST /forms/{template}/{version}/draft: the
// physician's "Spara utkast", or the form's script saving by itself a few
// seconds after a change (which asks for JSON). A browser without
// JavaScript goes on to the saved draft; one whose save is refused because
// another tab saved since gets the form back with what it typed. A refused
// save of a deleted draft whose answers are in a draft saved since names
// that draft (the form links to it; the script's 409 adds draft, url and
// notice to the problem document).
func handleDraftSave(logger *slog.Logger, eng *intake.Engine, drafts draftStore, units unitStore, certs certificateStore, messages messageStore, audit auditStore, now func() time.Time) http.Handler {
	type response struct {
		ID      string    `json:"id"`
		SavedAt time.Time `json:"savedAt"`
		URL     string    `json:"url"`
		// Notice says the draft had been deleted and is a new one now.
		Notice string `json:"notice,omitempty"`
	}
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		t, err := templateFromURL(eng, r)
		if err != nil {
			return err
		}
		posted, err := readForm(w, r, maxFormBytes(eng.MaxBytes()))
		if err != nil {
			return err
		}
		d, err := saveDraft(r, drafts, audit, t, posted, now())
		asJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
		if intake.ErrorCode(err) == intake.ECONFLICT && !asJSON {
			is, ierr := issuingOf(r, units)
			if ierr != nil {
				return ierr
			}
			return renderUnsaved(w, r, eng, t, is, posted, d, err, certs, messages, audit)
		}
		if asJSON && intake.ErrorCode(err) == intake.ECONFLICT && d.SavedAs != "" {
			// The refusal's problem document, and the draft the answers
			// are in (the deleted one's page is gone), worded in Swedish
			// as the page around the script is.
			writeJSON(w, http.StatusConflict, "application/problem+json", struct {
				ProblemDocument
				Draft  string `json:"draft"`
				URL    string `json:"url"`
				Notice string `json:"notice"`
			}{Problem(err, lang(w, r)), d.SavedAs, "/drafts/" + d.SavedAs, intake.ErrorText(err, "sv")})
			return nil
		}
		if err != nil {
			return err
		}
		if asJSON {
			encode(w, http.StatusOK, response{ID: d.ID, SavedAt: d.UpdatedAt, URL: "/drafts/" + d.ID, Notice: recreatedNotice(posted, d)})
			return nil
		}
		next := "/drafts/" + d.ID + "?saved=1"
		if recreatedNotice(posted, d) != "" {
			next += "&recreated=1"
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	})
}

// ownDraft finds draft id if it is the signed-in physician's, written at
// the unit of the session (store.SaveDraft); anyone else's, or one of
// another unit, is "not found". A signed one is found: see settledDraft.
func ownDraft(r *http.Request, drafts draftStore, id string) (*intake.Draft, error) {
	d, err := drafts.FindDraft(r.Context(), id)
	if err != nil {
		return nil, err
	}
	a := actorFrom(r.Context())
	switch {
	case d.UserID != a.User.ID:
		return nil, intake.Failure(intake.ENOTFOUND, "notFound.draft")
	case d.Unit != a.Session.Unit:
		// The physician's own, of another unit: say which, as the tab's
		// copy of it may be waiting after a sign-in at the other unit.
		return nil, intake.Failure(intake.ENOTFOUND, "notFound.draftAtOtherUnit").
			WithProblems(intake.Problems{intake.NewProblem("", "draftAtOtherUnit", "lifecycle.draftAtOtherUnit", d.Unit)})
	}
	return d, nil
}

// settledDraft sends the physician on from a draft they can no longer
// work on, and says whether it did: a signed one (in another tab, or
// before the back button) to its certificate; with locked, a locked one
// (older than intake.DraftLockAfter) to its own page, which says why.
func settledDraft(w http.ResponseWriter, r *http.Request, d *intake.Draft, locked bool) bool {
	switch {
	case d.CertificateID != "":
		http.Redirect(w, r, "/certificates/"+d.CertificateID+"?signed=1", http.StatusSeeOther)
	case locked && d.Locked:
		http.Redirect(w, r, "/drafts/"+d.ID, http.StatusSeeOther)
	default:
		return false
	}
	return true
}

// handleDraftResume handles GET /drafts/{id}: the form with the draft's
// values, to go on writing; a locked draft is shown without a way to save
// or sign. It is a read of patient data and goes to the access log.
func handleDraftResume(logger *slog.Logger, eng *intake.Engine, drafts draftStore, units unitStore, certs certificateStore, messages messageStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		d, err := ownDraft(r, drafts, mux.Vars(r)["id"])
		if err != nil {
			return err
		}
		if settledDraft(w, r, d, false) {
			return nil
		}
		t, ok := eng.Template(d.Template, d.Version)
		if !ok {
			return intake.Failure(intake.ENOTFOUND, "notFound.template", d.Template, d.Version)
		}
		if err := logDraft(r, audit, "draft.read", d); err != nil {
			return err
		}
		values, _ := url.ParseQuery(d.Form)
		values.Set("draft", d.ID)
		is, err := issuingOf(r, units)
		if err != nil {
			return err
		}
		page := newFormPage(eng, t, is, values, formDocument(t, values, issuerOf(is.user, is.unit), ""))
		page.Draft, page.Saved, page.Locked = d, r.URL.Query().Get("saved") != "", d.Locked
		switch {
		case r.URL.Query().Get("recreated") == "1":
			page.Notice = intake.Text("lifecycle.draftRecreated", "sv")
		case r.URL.Query().Get("savedAnew") == "1":
			page.Notice = intake.Text("lifecycle.draftSavedAnew", "sv")
		}
		return renderForm(w, r, http.StatusOK, page, certs, messages, audit)
	})
}

// draftsPage is what drafts.html shows.
type draftsPage struct {
	layout
	Drafts []draftRow
	// OtherUnits says the physician works at more units than the
	// session's, whose drafts show when signed in for them.
	OtherUnits bool
	// Deleted is the draft just deleted (from this list), to undo.
	Deleted string
	// DeletedRow is that draft, if it is the physician's to restore, so
	// that "Ångra" names for screen readers whose draft it restores, as
	// "Ta bort" names whose it deletes.
	DeletedRow *draftRow
	// Restored says a deleted draft was just restored.
	Restored bool
}

// draftRow is one line of the list of drafts.
type draftRow struct {
	*intake.Draft
	Title   string
	Changed string
	Locked  bool
	// Relation ("Ersätter", …) and Related say which certificate the
	// draft replaces, completes or renews, if any.
	Relation, Related string
}

// handleDraftList handles GET /drafts: the physician's unsigned drafts at
// the session's unit, the last changed first, with patient, template and
// last change. Every draft shown is in the access log, with its patient:
// the name shows even when the number typed is not yet a valid one. So is
// the draft just deleted, which "Ångra" names for screen readers.
func handleDraftList(logger *slog.Logger, eng *intake.Engine, drafts draftStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		a := actorFrom(r.Context())
		list, err := drafts.FindDrafts(r.Context(), a.User.ID, a.Session.Unit)
		if err != nil {
			return err
		}
		page := draftsPage{layout: signedInLayout(r, "Mina utkast"), OtherUnits: len(a.User.Units) > 1, Restored: r.URL.Query().Get("restored") == "1"}
		// The undo's form posts to /drafts/{deleted}/restore: only a value
		// that is one path segment as it stands, or a link's ../, ? or #
		// would make it post to another route.
		if id := r.URL.Query().Get("deleted"); url.PathEscape(id) == id && id != "." && id != ".." {
			page.Deleted = id
		}
		base := a.Audit("draft.list", r.RemoteAddr)
		var entries []*intake.AuditEntry
		if page.Deleted != "" {
			gone, _, err := drafts.FindDeletedDraft(r.Context(), page.Deleted, a.User.ID, a.Session.Unit)
			switch intake.ErrorCode(err) {
			case "":
				// Its patient is shown (to screen readers): in the access
				// log as the list's drafts are.
				page.DeletedRow = &draftRow{Draft: gone, Changed: localTime(gone.UpdatedAt)}
				e := *base
				e.PatientID, e.Query = gone.PatientID, "draft="+gone.ID
				entries = append(entries, &e)
			case intake.ENOTFOUND:
			default:
				return err
			}
		}
		for _, d := range list {
			title := d.Template + " " + d.Version
			if t, ok := eng.Template(d.Template, d.Version); ok {
				title = t.Title.SV + " (" + t.FormNumber + ")"
			}
			row := draftRow{Draft: d, Title: title, Changed: localTime(d.UpdatedAt), Locked: d.Locked}
			if typ, id := draftRelation(d); id != "" {
				if names, ok := relationNames[typ]; ok {
					row.Relation, row.Related = names[0], id
				}
			}
			page.Drafts = append(page.Drafts, row)
			e := *base
			e.PatientID, e.Query = d.PatientID, "draft="+d.ID
			entries = append(entries, &e)
		}
		if len(entries) == 0 {
			entries = append(entries, base)
		}
		if err := audit.CreateAuditEntries(r.Context(), entries); err != nil {
			return err
		}
		return renderPage(w, http.StatusOK, "drafts", page)
	})
}

// handleDraftDelete handles POST /drafts/{id}/delete.
func handleDraftDelete(logger *slog.Logger, drafts draftStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		a := actorFrom(r.Context())
		// Another's, or of another unit than the one signed in for (where
		// it is seen and opened only), as opening it is.
		d, err := ownDraft(r, drafts, mux.Vars(r)["id"])
		if err == nil && d.CertificateID != "" {
			// Signed (a certificate now, not a draft): as DeleteDraft
			// refuses it, before the access log says otherwise.
			err = intake.Failure(intake.ENOTFOUND, "notFound.draft")
		}
		if err != nil {
			return err
		}
		// A patient's draft gone is in the access log, as its writes are.
		if err := logDraft(r, audit, "draft.delete", d); err != nil {
			return err
		}
		if err := drafts.DeleteDraft(r.Context(), d.ID, a.User.ID); err != nil {
			return err
		}
		http.Redirect(w, r, "/drafts?deleted="+url.QueryEscape(d.ID), http.StatusSeeOther)
		return nil
	})
}

// handleDraftRestore handles POST /drafts/{id}/restore: "Ångra" after
// "Ta bort" brings the physician's deleted, unsigned draft at the
// session's unit back to their list; one whose answers another tab has
// saved as a new draft since is not restored a second time: the physician
// goes to that draft, which says so (store.RestoreDraft). A restore is in
// the access log first, as the delete is: one the log does not take is
// not made. Going to the new draft restores nothing and shows nothing
// here: its page writes its draft.read before it shows it.
func handleDraftRestore(logger *slog.Logger, drafts draftStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		a := actorFrom(r.Context())
		d, in, err := drafts.FindDeletedDraft(r.Context(), mux.Vars(r)["id"], a.User.ID, a.Session.Unit)
		if err != nil {
			return err
		}
		if in != nil {
			http.Redirect(w, r, "/drafts/"+in.ID+"?savedAnew=1", http.StatusSeeOther)
			return nil
		}
		if err := logDraft(r, audit, "draft.restore", d); err != nil {
			return err
		}
		restored, err := drafts.RestoreDraft(r.Context(), d.ID, a.User.ID, a.Session.Unit)
		if err != nil {
			return err
		}
		if restored.ID != d.ID {
			// Saved anew by a tab between the look above and the
			// restore: the entry stands for a restore the store then
			// did not make, as an admin's for a change refused.
			http.Redirect(w, r, "/drafts/"+restored.ID+"?savedAnew=1", http.StatusSeeOther)
			return nil
		}
		http.Redirect(w, r, "/drafts?restored=1", http.StatusSeeOther)
		return nil
	})
}

// reviewPage is what certificate_review.html shows: the whole certificate
// read-only with its warnings, and the values to sign.
type reviewPage struct {
	layout
	Template *schemas.Template
	Sections []viewSection
	Warnings []string // warningLines
	// Relation is the certificate this one replaces, completes or renews.
	Relation *relatedPage
	Patient  intake.Patient
	Issuer   intake.Issuer
	Values   url.Values
	Draft    string
	// Changed is true when a signing was refused because the draft had
	// been saved since its review: this is the review of the draft now.
	Changed bool
	// Notice says the draft had been deleted in another tab and its
	// answers are a new draft now.
	Notice string
}

// handleCertificateReview handles POST /forms/{template}/{version}/review
// ("Granska och signera"): the draft is saved, the same intake as the API
// runs with the server's clock; with problems the form comes back with
// them (422), else the physician sees the whole certificate read-only with
// its warnings, and signs from there.
func handleCertificateReview(logger *slog.Logger, sub *submitter, drafts draftStore, units unitStore, messages messageStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		t, err := templateFromURL(sub.eng, r)
		if err != nil {
			return err
		}
		posted, err := readForm(w, r, maxFormBytes(sub.eng.MaxBytes()))
		if err != nil {
			return err
		}
		is, err := issuingOf(r, units)
		if err != nil {
			return err
		}
		if id := posted.Get("draft"); id != "" {
			if d, err := ownDraft(r, drafts, id); err == nil && settledDraft(w, r, d, true) {
				return nil
			}
		}
		d, err := saveDraft(r, drafts, audit, t, posted, sub.now())
		if intake.ErrorCode(err) == intake.ECONFLICT {
			return renderUnsaved(w, r, sub.eng, t, is, posted, d, err, sub.certs, messages, audit)
		}
		if err != nil {
			return err
		}
		return review(w, r, sub, t, is, d, posted, messages, audit)
	})
}

// handleDraftReview handles GET /drafts/{id}/review: the review of a saved
// draft, where the review page puts itself in the browser's history, so
// that signing in again after a session ended at the review comes back to
// it. It is a read of patient data and goes to the access log.
func handleDraftReview(logger *slog.Logger, sub *submitter, drafts draftStore, units unitStore, messages messageStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		d, err := ownDraft(r, drafts, mux.Vars(r)["id"])
		if err != nil {
			return err
		}
		if settledDraft(w, r, d, true) { // too old to sign: the draft's page says so
			return nil
		}
		t, ok := sub.eng.Template(d.Template, d.Version)
		if !ok {
			return intake.Failure(intake.ENOTFOUND, "notFound.template", d.Template, d.Version)
		}
		if err := logDraft(r, audit, "draft.read", d); err != nil {
			return err
		}
		is, err := issuingOf(r, units)
		if err != nil {
			return err
		}
		values, _ := url.ParseQuery(d.Form)
		return review(w, r, sub, t, is, d, values, messages, audit)
	})
}

// handleReviewAgain handles GET /forms/{template}/{version}/review, where
// a browser without the review's own address (intyg.js puts
// /drafts/{id}/review in its history) comes back after signing in again:
// the review's draft is among the physician's drafts.
func handleReviewAgain() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/drafts", http.StatusSeeOther)
	})
}

// review runs the intake of the form values of draft d with the server's
// clock, and shows the physician the whole certificate read-only with its
// warnings, to sign; with problems, the form with them (422).
func review(w http.ResponseWriter, r *http.Request, sub *submitter, t *schemas.Template, is issuing, d *intake.Draft, posted url.Values, messages messageStore, audit auditStore) error {
	notice := recreatedNotice(posted, d)
	posted.Set("draft", d.ID)
	doc := formDocument(t, posted, issuerOf(is.user, is.unit), sub.now().UTC().Format(time.RFC3339))
	body, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	cert, err := formIntake(sub.eng, t, posted, doc, body, sub.now())
	if intake.ErrorCode(err) == intake.EINVALID {
		err = sub.withRelationProblems(r.Context(), actorFrom(r.Context()), doc, err)
	}
	if err == nil {
		// The relation as the original is now, as signing will check it:
		// a replacement of a certificate with an open completion request,
		// say, or a completion of one replaced already (OneInForce), is
		// refused here, beside the form, not once signed.
		cert.OneInForce = true
		err = sub.checkRelation(r.Context(), actorFrom(r.Context()), cert)
	}
	if code := intake.ErrorCode(err); code == intake.EINVALID || code == intake.ECONFLICT {
		page := newFormPage(sub.eng, t, is, posted, doc)
		page.Draft, page.DropUnsaved = d, formAction(t)
		page.Changed, page.Notice = r.URL.Query().Get("changed") == "1", notice
		page.setProblems(intake.ErrorProblems(err))
		return renderForm(w, r, statuses[code].status, page, sub.certs, messages, audit)
	}
	if err != nil {
		return err
	}
	// The unit the review shows is the one signed for, and the save
	// reviewed is the one signed (handleCertificateFormSubmit).
	posted.Set("reviewedUnit", is.unit.HSAID)
	posted.Set("draftSaved", savedAt(d.UpdatedAt))
	page := reviewPage{layout: signedInLayout(r, "Granska "+t.Title.SV), Template: t,
		Sections: layOut(t, cert), Warnings: warningLines(t, cert.Answers, cert.Warnings), Patient: cert.Patient, Issuer: cert.Issuer,
		Values: posted, Draft: d.ID, Changed: r.URL.Query().Get("changed") == "1", Notice: notice}
	page.DropUnsaved = formAction(t)
	if rel := cert.Relation; rel != nil {
		page.Relation = &relatedPage{Name: relationNames[rel.Type][0], Certificate: rel.Certificate, Supersedes: rel.Type.Supersedes()}
	}
	return renderPage(w, http.StatusOK, "certificate_review", page)
}
