package web

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
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
func handleFormList(logger *slog.Logger, eng *intake.Engine, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		// Each template in its version in force today: a new version from
		// its first day on, and the one it follows no longer (its drafts
		// are still written in it).
		in := eng.Registry().AllInForce(intake.DateOf(now()).String())
		return renderPage(w, http.StatusOK, "form_list", formListPage{layout: signedInLayout(r, "Skriv intyg"), Templates: in})
	})
}

// formPage is what certificate_form.html shows.
type formPage struct {
	layout
	Template *schemas.Template
	// Envelope are the patient inputs, in order.
	Envelope []envelopeField
	// Issuer is the signing physician and Unit the unit, from their records.
	Issuer *intake.User
	Unit   *intake.CareUnit
	// SigningRole is the name of the physician's signing role in the
	// template (layout's Role is the account's, which picks the menu).
	SigningRole string
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
	// Resubmitted is the id of the certificate this form already made,
	// when it came back changed under the same submission id.
	Resubmitted string
	// Changed is true when signing an older review of the draft was
	// refused and the draft as it is now does not pass review: the form,
	// with why it was not signed.
	Changed bool
	// Summary lists every error as a link to its question.
	Summary []summaryItem
	// Draft is the saved draft the form continues, if any; Saved says it
	// was just saved, Locked that it is too old to edit or sign.
	Draft  *intake.Draft
	Saved  bool
	Locked bool
	// Notice says the draft had been deleted in another tab and its
	// answers are a new draft now.
	Notice string
	// SavedAs is the draft a deleted draft's answers are in, when a save
	// of it was refused as that one was saved since: the way on.
	SavedAs string
	// Relation is the certificate this one replaces, completes or renews.
	Relation *formRelation
	// codes is the code list of the derived diagnoses, for their titles.
	codes *intake.CodeList
	// invalid are the inputs with a problem, per question field ("": all
	// of the question's), true for one the problem is in rather than in
	// its question as a whole: markInputs.
	invalid map[string]map[string]bool
}

// markInputs notes the inputs a problem points at (problemInputs), or its
// whole question, for the widget's aria-invalid (AttrsFor).
func (p *formPage) markInputs(pointer string) {
	parts, _ := intake.ParsePointer(pointer)
	if len(parts) < 2 || parts[0] != "answers" {
		return
	}
	q, ok := p.Template.Form.Question(parts[1])
	if !ok {
		return
	}
	if p.invalid == nil {
		p.invalid = map[string]map[string]bool{}
	}
	marked := p.invalid[q.Field]
	if marked == nil {
		marked = map[string]bool{}
		p.invalid[q.Field] = marked
	}
	inputs := problemInputs(q, p.Values, parts[2:])
	if inputs == nil {
		marked[""] = false // every input of the question
	}
	for _, in := range inputs {
		marked[in] = marked[in] || len(parts) > 2
	}
}

// summaryItem is one line of the error summary: a link to a question.
type summaryItem struct{ Anchor, Text string }

// Widget is what the "widget" template needs to draw question q.
func (p *formPage) Widget(q schemas.Question) widgetData {
	name := "answers." + q.Field
	d := widgetData{Q: q, Name: name, Values: p.Values, T: p.Template, Grouped: grouped(q.Widget), CounterFor: name, Required: p.Template.Required(q.Field), Help: guidance(q)}
	var ids []string
	if len(p.Complements(q.ID)) > 0 {
		ids = append(ids, "complement-"+q.ID) // what Försäkringskassan asks of it
	}
	if len(d.Help) > 0 {
		ids = append(ids, "help-"+name)
	}
	if len(p.Errors[name]) > 0 {
		d.Invalid, d.invalid = true, p.invalid[q.Field]
		ids = append(ids, "err-"+name)
	}
	d.Describe = strings.Join(ids, " ")
	if dd := p.Template.Derive.Diagnoses; dd != nil && dd.Field == q.Field {
		d.CodeList, d.codes = dd.List, p.codes
	}
	if q.Widget == schemas.WidgetText || q.Widget == schemas.WidgetTextarea {
		d.MaxLength = p.Template.MaxLength(q.Field)
	}
	return d
}

// labelled is a message msg about what label names: "label: msg", but
// after a label that is a question, "label? msg" (not "?:").
func labelled(label, msg string) string {
	if strings.HasSuffix(label, "?") {
		return label + " " + msg
	}
	return label + ": " + msg
}

// warningLines are a certificate's warnings as a page lists them, each
// naming the item of a list answer it is about ("Helt nedsatt, från och
// med: …"), so that two periods' warnings read as two.
func warningLines(t *schemas.Template, answers map[string]any, ws intake.Problems) []string {
	var out []string
	for _, w := range ws {
		msg := w.Message
		if item := answerItem(t, answers, w.Pointer); item != "" {
			msg = labelled(item, msg)
		}
		out = append(out, msg)
	}
	return out
}

// setProblems puts each problem next to its question, and every one in
// the summary, in the form's order.
func (p *formPage) setProblems(ps intake.Problems) {
	p.Problems = ps
	for _, pr := range ps {
		f, msg := problemField(pr.Pointer), pr.Message
		if item := problemItem(p.Template, p.Values, pr.Pointer); item != "" {
			msg = labelled(item, msg)
		}
		p.Errors[f] = append(p.Errors[f], msg)
		p.markInputs(pr.Pointer)
	}
	add := func(anchor, label string, msgs []string) {
		for _, m := range msgs {
			p.Summary = append(p.Summary, summaryItem{Anchor: anchor, Text: labelled(label, m)})
		}
	}
	for _, f := range p.Envelope {
		add("q-"+f.Name, f.Label, p.Errors[f.Name])
	}
	for k, msgs := range p.Errors {
		if strings.HasPrefix(k, "issuer.") {
			add("section-issuer", "Intygsutfärdare", msgs)
		}
	}
	for _, q := range p.Template.Form.Questions() {
		label := q.Label.SV
		if q.ID != "" {
			label = q.ID + ". " + label
		}
		add("q-"+q.Field, label, p.Errors["answers."+q.Field])
	}
	if len(p.Summary) == 0 && len(ps) > 0 {
		for _, pr := range ps {
			p.Summary = append(p.Summary, summaryItem{Anchor: "certificate-form", Text: pr.Message})
		}
	}
}

// Complements returns what open completion requests ask about question
// id, when the form completes a certificate.
func (p *formPage) Complements(id string) []string {
	if p.Relation == nil || id == "" {
		return nil
	}
	return p.Relation.Complements[id]
}

func newFormPage(eng *intake.Engine, t *schemas.Template, is issuing, v url.Values, doc map[string]any) *formPage {
	p := &formPage{layout: layout{Title: t.Title.SV, SignedIn: true, Role: is.user.Role, Person: is.user.ID}, Template: t, Envelope: envelopeFields, Issuer: is.user, Unit: is.unit,
		SigningRole: is.user.SigningRole, Values: v, Shown: map[string]bool{}, Errors: map[string][]string{}}
	if dd := t.Derive.Diagnoses; dd != nil {
		p.codes, _ = eng.CodeList(dd.List)
	}
	for _, r := range t.IssuerRoles {
		if r.Value == is.user.SigningRole {
			p.SigningRole = r.Label.SV
		}
	}
	for _, q := range t.Form.Questions() {
		p.Shown[q.Field] = intake.Holds(q.DependsOn, doc)
	}
	p.Submission = v.Get("submission")
	if p.Submission == "" {
		p.Submission = formKey()
	}
	return p
}

// formKey is a new idempotency key for a page's form: the same form sent
// twice (a second click, a post the browser repeats) is then one
// certificate or message.
func formKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func templateFromURL(eng *intake.Engine, r *http.Request) (*schemas.Template, error) {
	v := mux.Vars(r)
	t, ok := eng.Template(v["template"], v["version"])
	if !ok {
		return nil, intake.Failure(intake.ENOTFOUND, "notFound.template", v["template"], v["version"])
	}
	return t, nil
}

// issuing is who signs a form and for which unit: the signed-in
// physician and the unit of their session.
type issuing struct {
	user *intake.User
	unit *intake.CareUnit
}

// issuingOf returns the request's physician and the unit they work at.
func issuingOf(r *http.Request, units unitStore) (issuing, error) {
	a := actorFrom(r.Context())
	unit, err := units.FindUnitByHSAID(r.Context(), a.Session.Unit)
	if err != nil {
		return issuing{}, err
	}
	return issuing{user: a.User, unit: unit}, nil
}

// unitStore finds registered care units.
type unitStore interface {
	FindUnitByHSAID(ctx context.Context, hsaID string) (*intake.CareUnit, error)
}

// handleCertificateForm handles GET /forms/{template}/{version}: an empty
// form generated from the template's form definition, the issuer shown
// from the physician's record.
func handleCertificateForm(logger *slog.Logger, eng *intake.Engine, units unitStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		t, err := templateFromURL(eng, r)
		if err != nil {
			return err
		}
		is, err := issuingOf(r, units)
		if err != nil {
			return err
		}
		v := url.Values{}
		return renderPage(w, http.StatusOK, "certificate_form", newFormPage(eng, t, is, v, formDocument(t, v, issuerOf(is.user, is.unit), "")))
	})
}

// handleCertificateFormSubmit handles POST /forms/{template}/{version}: the
// API's submit step; on problems the form comes back with the values and
// each message next to its question (422), on success the certificate is
// stored and the browser goes to its receipt (303). The form's submission
// id is the idempotency key, so a double click stores once.
func handleCertificateFormSubmit(logger *slog.Logger, sub *submitter, units unitStore, drafts draftStore, messages messageStore, audit auditStore) http.Handler {
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
		// A draft is signed only by its physician, at its unit, for its
		// template, and not once it is locked.
		var draft *intake.Draft
		if id := posted.Get("draft"); id != "" {
			d, err := drafts.FindDraft(r.Context(), id)
			draft = d
			switch {
			case err != nil:
				return err
			case d.UserID == is.user.ID && d.CertificateID != "":
				// Sent again (the back button, a second click): it is signed.
				http.Redirect(w, r, "/certificates/"+d.CertificateID+"?signed=1", http.StatusSeeOther)
				return nil
			case d.UserID != is.user.ID || d.Unit != is.unit.HSAID || d.Template != t.ID || d.Version != t.Version:
				return intake.Failure(intake.ENOTFOUND, "notFound.draft")
			case d.Locked:
				// Too old to sign: the draft's page says so.
				http.Redirect(w, r, "/drafts/"+d.ID, http.StatusSeeOther)
				return nil
			case !reviewed(posted, d):
				// Saved since this review (in another tab, or here after
				// going back to the form and then back to an old review):
				// signing it would store what was reviewed and drop the
				// later save. The review of the draft as it is now.
				http.Redirect(w, r, "/drafts/"+d.ID+"/review?changed=1", http.StatusSeeOther)
				return nil
			}
		}
		doc := formDocument(t, posted, issuerOf(is.user, is.unit), sub.now().UTC().Format(time.RFC3339))
		body, err := json.Marshal(doc)
		if err != nil {
			return err
		}
		// refused brings the form back with its draft and problems ps; the
		// server has its answers, so the tab's copy goes.
		refused := func(ps intake.Problems) *formPage {
			page := newFormPage(sub.eng, t, is, posted, doc)
			page.Draft, page.DropUnsaved = draft, formAction(t)
			page.setProblems(ps)
			return page
		}
		// What is signed is what was reviewed: not for another unit,
		// chosen in another tab since.
		if u := posted.Get("reviewedUnit"); u != "" && u != is.unit.HSAID {
			page := refused(intake.Problems{intake.NewProblem("/issuer/unit", "conflict", "form.unitChanged", is.unit.Name)})
			return renderForm(w, r, http.StatusConflict, page, sub.certs, messages, audit)
		}
		if len(untickedDetails(t, posted, doc)) > 0 { // seen at review, unless the form was signed without it
			_, err := formIntake(sub.eng, t, posted, doc, body, sub.now())
			return renderForm(w, r, http.StatusUnprocessableEntity, refused(intake.ErrorProblems(err)), sub.certs, messages, audit)
		}
		var idem *intake.Idempotency
		switch s := posted.Get("submission"); {
		case draft != nil:
			// The save reviewed is the key, not the tab: two tabs that
			// sign the same save at once (each past the check above
			// before either marked the draft signed) store it once, on
			// one server or two.
			idem = &intake.Idempotency{Scope: "form:" + is.unit.HSAID, Key: "draft:" + draft.ID + "@" + draft.UpdatedAt.UTC().Format(time.RFC3339Nano)}
		case s != "":
			idem = &intake.Idempotency{Scope: "form:" + is.unit.HSAID, Key: s}
		}
		// A completion of a certificate replaced already is refused where
		// it would be stored (OneInForce), unless it is this very form's
		// certificate, sent again: that is the replay below.
		stored, _, err := sub.submit(r.Context(), actorFrom(r.Context()), body, func(string) *intake.Idempotency { return idem }, true)
		switch {
		case intake.ErrorCode(err) == intake.EINVALID:
			return renderForm(w, r, http.StatusUnprocessableEntity, refused(intake.ErrorProblems(err)), sub.certs, messages, audit)
		case intake.ErrorCode(err) == intake.ECONFLICT:
			var first *intake.Certificate
			var ferr error
			if idem != nil {
				first, ferr = sub.certs.FindCertificateByIdempotencyKey(r.Context(), *idem)
			}
			if idem == nil || intake.ErrorCode(ferr) == intake.ENOTFOUND {
				// Not a second click: the original's state forbids the
				// relation now (a completion request opened since the
				// review, say). The form, with why.
				return renderForm(w, r, http.StatusConflict, refused(intake.ErrorProblems(err)), sub.certs, messages, audit)
			}
			if ferr != nil {
				return ferr
			}
			if !sameCertificate(sub, first, body) {
				// The form was sent before and then changed: nothing of
				// the change is stored. Say so, and give the form a new
				// submission id so that sending it again makes a new
				// certificate.
				posted.Del("submission")
				page := refused(nil)
				page.Resubmitted = first.ID
				return renderForm(w, r, http.StatusConflict, page, sub.certs, messages, audit)
			}
			// A double click that crossed a second differs only in
			// signedAt: show the certificate the first click stored.
			stored = first
		case err != nil:
			return err
		}
		if id := posted.Get("draft"); id != "" {
			if err := drafts.MarkDraftSigned(r.Context(), id, actorFrom(r.Context()).User.ID, stored.ID); err != nil {
				return err
			}
		}
		http.Redirect(w, r, "/certificates/"+stored.ID+"?signed=1", http.StatusSeeOther)
		return nil
	})
}

// reviewed reports whether the posted review is of draft d's last save:
// the review's draftSaved names the save it showed (review).
func reviewed(posted url.Values, d *intake.Draft) bool {
	at, err := time.Parse(time.RFC3339Nano, posted.Get("draftSaved"))
	return err == nil && at.Equal(d.UpdatedAt)
}

// formAction is where template t's certificate form posts: the key of the
// tab's copy of it (intyg.js).
func formAction(t *schemas.Template) string { return "/forms/" + t.ID + "/" + t.Version + "/review" }

// readForm reads a posted form (application/x-www-form-urlencoded) of at
// most max bytes: 413 above it (before reading, when the length is
// declared), and 400 for text that is not UTF-8, which would otherwise be
// stored with replacement characters.
func readForm(w http.ResponseWriter, r *http.Request, max int64) (url.Values, error) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return nil, intake.Failure(eUnsupportedMediaType, "request.formType")
	}
	body, err := readLimited(w, r, max)
	if err != nil {
		return nil, err
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, intake.Failure(eBadRequest, "request.form")
	}
	for name, vs := range v {
		if !isText(name) {
			return nil, intake.Failure(eBadRequest, "request.formName")
		}
		for _, s := range vs {
			if !isText(s) {
				return nil, intake.Failure(eBadRequest, "request.formField", name)
			}
		}
	}
	return lineFeeds(v), nil
}

// sameCertificate reports whether body, sent again under a used submission
// id, says what the stored certificate first says, but for signedAt.
func sameCertificate(sub *submitter, first *intake.Certificate, body []byte) bool {
	again, err := sub.eng.Intake(body, sub.now())
	if err != nil {
		return false
	}
	type content struct {
		Patient intake.Patient
		Issuer  intake.Issuer
		Answers map[string]any
	}
	a, errA := json.Marshal(content{first.Patient, first.Issuer, first.Answers})
	b, errB := json.Marshal(content{again.Patient, again.Issuer, again.Answers})
	return errA == nil && errB == nil && bytes.Equal(a, b)
}
