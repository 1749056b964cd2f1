package web

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/mux"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
)

// formListPage is what form_list.html shows.
type formListPage struct {
	layout
	Templates []*schemas.Template
}

// handleFormList handles GET /forms: the templates a physician can fill in.
func handleFormList(logger *slog.Logger, eng *intake.Engine) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		return renderPage(w, http.StatusOK, "form_list", formListPage{layout: layout{Title: "Skriv intyg", SignedIn: true}, Templates: eng.Registry().All()})
	})
}

// formPage is what certificate_form.html shows.
type formPage struct {
	layout
	Template *schemas.Template
	// Envelope are the patient and issuer inputs, in order.
	Envelope []envelopeField
	// Unit is the HSA-id of the unit the token submits for.
	Unit string
	// Values are the posted (or default) inputs.
	Values url.Values
	// Shown says, per answers field, whether its condition holds.
	Shown map[string]bool
	// Errors are the messages per input name, next to their question.
	Errors map[string][]string
	// Problems are every problem of a refused submission.
	Problems intake.Problems
	// Submission is the form's idempotency key.
	Submission string
}

func newFormPage(t *schemas.Template, tok *intake.Token, v url.Values, doc map[string]any) *formPage {
	p := &formPage{layout: layout{Title: t.Title.SV, SignedIn: true}, Template: t, Envelope: envelopeFields, Unit: tok.UnitHSAID, Values: v, Shown: map[string]bool{}, Errors: map[string][]string{}}
	for _, q := range t.Form.Questions() {
		p.Shown[q.Field] = intake.Holds(q.DependsOn, doc)
	}
	p.Submission = v.Get("submission")
	if p.Submission == "" {
		b := make([]byte, 16)
		rand.Read(b)
		p.Submission = base64.RawURLEncoding.EncodeToString(b)
	}
	return p
}

func templateFromURL(eng *intake.Engine, r *http.Request) (*schemas.Template, error) {
	v := mux.Vars(r)
	t, ok := eng.Template(v["template"], v["version"])
	if !ok {
		return nil, intake.Errorf(intake.ENOTFOUND, "There is no template %s version %s.", v["template"], v["version"])
	}
	return t, nil
}

// handleCertificateForm handles GET /forms/{template}/{version}: an empty
// form generated from the template's form definition.
func handleCertificateForm(logger *slog.Logger, eng *intake.Engine) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		t, err := templateFromURL(eng, r)
		if err != nil {
			return err
		}
		tok := tokenFrom(r.Context())
		v := url.Values{"issuer.role": {t.IssuerRoles[0].Value}}
		return renderPage(w, http.StatusOK, "certificate_form", newFormPage(t, tok, v, formDocument(t, v, tok.UnitHSAID, "")))
	})
}

// handleCertificateFormSubmit handles POST /forms/{template}/{version}: the
// API's submit step; on problems the form comes back with the values and
// each message next to its question (422), on success the certificate is
// stored and the browser goes to its receipt (303). The form's submission
// id is the idempotency key, so a double click stores once.
func handleCertificateFormSubmit(logger *slog.Logger, sub *submitter) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		t, err := templateFromURL(sub.eng, r)
		if err != nil {
			return err
		}
		r.Body = http.MaxBytesReader(w, r.Body, int64(sub.eng.MaxBytes())*2)
		if err := r.ParseForm(); err != nil {
			return intake.Errorf(intake.EMALFORMED, "The form could not be read.")
		}
		tok := tokenFrom(r.Context())
		doc := formDocument(t, r.PostForm, tok.UnitHSAID, sub.now().UTC().Format(time.RFC3339))
		body, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		var idem *intake.Idempotency
		if s := r.PostForm.Get("submission"); s != "" {
			idem = &intake.Idempotency{Scope: "form:" + tok.UnitHSAID, Key: s}
		}
		stored, _, err := sub.submit(r.Context(), tok, body, idem)
		switch {
		case intake.ErrorCode(err) == intake.EINVALID:
			page := newFormPage(t, tok, r.PostForm, doc)
			page.Problems = intake.ErrorProblems(err)
			for _, p := range page.Problems {
				f, msg := problemField(p.Pointer), p.Message
				if item := problemItem(t, doc, p.Pointer); item != "" {
					msg = item + ": " + msg
				}
				page.Errors[f] = append(page.Errors[f], msg)
			}
			return renderPage(w, http.StatusUnprocessableEntity, "certificate_form", page)
		case intake.ErrorCode(err) == intake.ECONFLICT && idem != nil:
			// A double click that crossed a second differs in signedAt:
			// show the certificate the first click stored.
			first, ferr := sub.certs.FindCertificateByIdempotencyKey(r.Context(), *idem)
			if ferr != nil {
				return err
			}
			stored = first
		case err != nil:
			return err
		}
		http.Redirect(w, r, "/certificates/"+stored.ID, http.StatusSeeOther)
		return nil
	})
}
