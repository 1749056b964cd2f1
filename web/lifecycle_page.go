package web

import (
	"encoding/json"
	"fmt"
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

// The lifecycle on the pages: physicians replace, complete and renew from
// the certificate page (each opens the form pre-filled, as a draft) and
// answer messages; caseworkers send them. The rules are the API's.

// relationNames are the pages' words for each relation, seen from the
// newer certificate and from the older one.
var relationNames = map[intake.RelationType][2]string{
	intake.RelationReplaces:  {"Ersätter", "Ersatt av"},
	intake.RelationCompletes: {"Kompletterar", "Kompletterat av"},
	intake.RelationRenews:    {"Förnyar", "Förnyat av"},
}

// messageTypeNames are the pages' names of the message types.
var messageTypeNames = map[intake.MessageType]string{
	intake.MessageCompletion:     "Komplettering",
	intake.MessageContact:        "Kontakt",
	intake.MessageReconciliation: "Avstämningsmöte",
	intake.MessageOther:          "Övrigt",
}

// messageStatusNames are the pages' names of the message statuses.
var messageStatusNames = map[intake.MessageStatus]string{
	intake.MessageOpen: "Obesvarad", intake.MessageAnswered: "Besvarad", intake.MessageClosed: "Stängd",
}

// cannotCompleteNames are the reasons a completion request cannot be met.
var cannotCompleteNames = []struct{ Value, Label string }{
	{intake.CannotNoFurtherInfo, "Ingen ytterligare medicinsk information finns"},
	{intake.CannotNoMedicalResponsib, "Jag har inte det medicinska ansvaret för innehållet"},
}

// relatedPage is a relation as the certificate page lists it.
type relatedPage struct {
	Name, Certificate string
	// Signed is when the related certificate was signed, in Swedish time
	// ("" where not known): what tells it apart on the page.
	Signed string
	// Revoked says that the related certificate is revoked, so that the
	// relation no longer holds (a completion or replacement revoked gives
	// the original back its status).
	Revoked bool
	// Supersedes says that the newer one replaces the older (a
	// replacement or completion), which is then no longer in force.
	Supersedes bool
}

// messageView is a message as the pages show it.
type messageView struct {
	*intake.Message
	TypeName, StatusName string
	// Complements are the named questions with their labels.
	Complements []complementView
	// Errors and Values bring a refused answer back to its form.
	Errors intake.Problems
	Values url.Values
}

// complementView is one question a completion request names.
type complementView struct {
	QuestionID, Label, Text string
}

// viewMessages shows ms for template t.
func viewMessages(t *schemas.Template, ms []*intake.Message) []*messageView {
	var out []*messageView
	for _, m := range ms {
		v := &messageView{Message: m, TypeName: messageTypeNames[m.Type], StatusName: messageStatusNames[m.Status]}
		for _, c := range m.Complements {
			v.Complements = append(v.Complements, complementView{QuestionID: c.QuestionID, Label: questionLabel(t, c.QuestionID), Text: c.Text})
		}
		out = append(out, v)
	}
	return out
}

// questionLabel is the label of the question with the agency's id: a
// top-level question's, or an option's that is a question of its own.
func questionLabel(t *schemas.Template, id string) string {
	q, _ := t.Form.QuestionByID(id)
	for _, o := range q.Options {
		if o.ID == id {
			return q.Label.SV + ": " + o.Label.SV
		}
	}
	return q.Label.SV
}

// messageTypeChoice is one message type a caseworker may send.
type messageTypeChoice struct {
	Value intake.MessageType
	Name  string
}

// questionChoice is one question a caseworker may name in a completion
// request.
type questionChoice struct{ ID, Label string }

// receiptExtras fills the certificate page's lifecycle parts: relations
// both ways, the messages, and what the reader may do next.
func receiptExtras(r *http.Request, p *receiptPage, messages receiptStore) error {
	for _, l := range p.Certificate.Relations {
		names := relationNames[l.Type]
		name := names[0]
		if l.Direction == intake.DirectionIncoming {
			name = names[1]
		}
		t, err := messages.FindRelationTarget(r.Context(), l.Certificate)
		if err != nil {
			return err
		}
		rel := relatedPage{Name: name, Certificate: l.Certificate, Revoked: t.Status == intake.StatusRevoked}
		if t.Found {
			rel.Signed = localTime(t.SignedAt)
		}
		p.Related = append(p.Related, rel)
		if l.Direction == intake.DirectionIncoming && l.Type != intake.RelationRenews && t.Status != intake.StatusRevoked && p.ReplacedBy == "" {
			p.ReplacedBy = l.Certificate
		}
	}
	ms, _, err := messages.FindMessages(r.Context(), intake.MessageFilter{Certificate: &p.Certificate.ID})
	if err != nil {
		return err
	}
	p.Messages = viewMessages(p.Template, ms)
	for _, v := range p.Messages {
		if v.Status == intake.MessageOpen {
			// The answer form's idempotency key, as the message form's.
			v.Values = url.Values{"submission": {formKey()}}
		}
	}
	if p.History, err = history(r.Context(), messages, p.Certificate); err != nil {
		return err
	}
	for _, q := range p.Template.Form.Questions() {
		if q.ID != "" {
			p.Questions = append(p.Questions, questionChoice{ID: q.ID, Label: q.Label.SV})
		}
		for _, o := range q.Options {
			if o.ID != "" && o.ID != q.ID { // a list's first area has the list's id: offered above
				p.Questions = append(p.Questions, questionChoice{ID: o.ID, Label: questionLabel(p.Template, o.ID)})
			}
		}
	}
	for _, t := range intake.MessageTypes {
		if t == intake.MessageCompletion && p.ReplacedBy != "" {
			continue // asked of the certificate that replaced it
		}
		p.MessageTypes = append(p.MessageTypes, messageTypeChoice{Value: t, Name: messageTypeNames[t]})
	}
	p.CannotComplete = cannotCompleteNames
	if p.MessageValues == nil {
		// The message form's idempotency key: sent twice (a second
		// click, a post the browser repeats), it is one message.
		p.MessageValues = url.Values{"submission": {formKey()}}
	}
	return nil
}

// newReceiptPage is the certificate page of c, its read written to the
// access log first: every answer that shows the page, a refused form on
// it included, is a read of the certificate.
func newReceiptPage(r *http.Request, eng *intake.Engine, messages receiptStore, audit auditStore, c *intake.Certificate) (*receiptPage, error) {
	t, ok := eng.Template(c.Template, c.Version)
	if !ok {
		return nil, intake.Errorf(intake.EINTERNAL, "certificate %s names unknown template %s/%s", c.ID, c.Template, c.Version)
	}
	if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.read", c)); err != nil {
		return nil, err
	}
	p := &receiptPage{layout: signedInLayout(r, t.Title.SV), Certificate: c, Template: t,
		Sections: layOut(t, c), Flags: flagsFor(r, eng, c), Received: localTime(c.ReceivedAt), SignedAt: localTime(c.SignedAt),
		Warnings: warningLines(t, c.Answers, c.Warnings)}
	return p, receiptExtras(r, p, messages)
}

// handleCertificateRelatePage handles POST /certificates/{id}/replace,
// /complete and /renew: a physician of the issuing unit gets a draft
// pre-filled from the certificate (a renewal without the answers the
// template clears) with the relation, and goes on writing it.
func handleCertificateRelatePage(logger *slog.Logger, eng *intake.Engine, certs certificateStore, subs submissionStore, drafts draftStore, audit auditStore, now func() time.Time, typ intake.RelationType) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		if _, err := readForm(w, r, 1<<10); err != nil {
			return err
		}
		if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.read", c)); err != nil {
			return err
		}
		var doc map[string]any
		t, _ := eng.Template(c.Template, c.Version)
		if typ == intake.RelationRenews {
			renewal, err := renewalOf(r, eng, subs, c, now())
			if err != nil {
				return err
			}
			b, _ := json.Marshal(renewal)
			json.Unmarshal(b, &doc)
			t, _ = eng.Template(renewal.Template, renewal.Version)
		} else {
			if c.Status == intake.StatusRevoked {
				return intake.Refusal("certificateRevoked")
			}
			if c.Status == intake.StatusReplaced {
				// A second completion or replacement would leave two
				// certificates in force for one: the physician completes
				// the one that replaced it, or answers that this one
				// cannot be.
				return intake.Refusal("certificateReplaced")
			}
			// Signing would be refused: no draft to leave behind. A
			// replacement while a completion request is open (complete
			// instead), or a completion with none open (a tab opened
			// before the request was answered or closed).
			target, err := certs.FindRelationTarget(r.Context(), c.ID)
			if err != nil {
				return err
			}
			switch {
			case typ == intake.RelationReplaces && target.OpenCompletionRequests > 0:
				return intake.Refusal("completionRequestOpen")
			case typ == intake.RelationCompletes && target.OpenCompletionRequests == 0:
				return intake.Refusal("noOpenCompletionRequest")
			}
			if doc, err = submittedDocument(r.Context(), subs, c.ID); err != nil {
				return err
			}
		}
		values := formValues(t, doc)
		values.Set("relation.type", string(typ))
		values.Set("relation.certificate", c.ID)
		d, err := postedDraft(r, t, values, now())
		if err != nil {
			return err
		}
		// A second click (or the back button, or two at once) goes on with
		// the draft the first made, rather than a second copy.
		earlier, err := drafts.CreateDraftUnless(r.Context(), d, func(o *intake.Draft) bool {
			ot, oc := draftRelation(o)
			return ot == typ && oc == c.ID
		})
		switch {
		case err != nil:
			return err
		case earlier != nil:
			d = earlier
		default:
			if err := logDraft(r, audit, "draft.write", d); err != nil {
				return err
			}
		}
		http.Redirect(w, r, "/drafts/"+d.ID, http.StatusSeeOther)
		return nil
	})
}

// formRelation is what the form shows of the certificate it relates to:
// the relation, the original's last period (for a renewal) and the
// questions a completion request names.
type formRelation struct {
	Type        intake.RelationType
	Name        string
	Certificate string
	// LastEnd and LastDegree are the original's last sick-leave period.
	LastEnd    string
	LastDegree int
	// Complements are the open completion requests' questions, by id;
	// Requests their words beside the questions.
	Complements map[string][]string
	Requests    []string
}

// renderForm writes the certificate form p with status, showing the
// certificate it replaces, completes or renews, if its values say so.
func renderForm(w http.ResponseWriter, r *http.Request, status int, p *formPage, certs certificateStore, messages messageStore, audit auditStore) error {
	if err := relateForm(r, p, certs, messages, audit); err != nil {
		return err
	}
	if n := len(p.Summary); n > 0 {
		// The tab's title says so too, as the summary at the top does.
		p.Title = fmt.Sprintf("Fel: %d att rätta – %s", n, p.Title)
	}
	return renderPage(w, status, "certificate_form", p)
}

// relateForm fills the form page's relation from its values, if any: what
// the page shows of the related certificate is a read of it, written to
// the access log first.
func relateForm(r *http.Request, p *formPage, certs certificateStore, messages messageStore, audit auditStore) error {
	typ, id := relationValues(p.Values)
	if typ == "" || id == "" {
		return nil
	}
	c, err := findVisibleID(r, certs, id)
	if intake.ErrorCode(err) == intake.ENOTFOUND {
		// No such certificate of the reader's units: the form (a draft
		// too) is still shown, and signing it says notFound at
		// /relation/certificate.
		return nil
	}
	if err != nil {
		return err
	}
	if err := audit.CreateAuditEntry(r.Context(), readEntry(r, "certificate.read", c)); err != nil {
		return err
	}
	rel := &formRelation{Type: typ, Name: relationNames[typ][0], Certificate: c.ID, Complements: map[string][]string{}}
	if sl := c.SickLeave; sl != nil && len(sl.Periods) > 0 {
		last := sl.Periods[0]
		for _, pd := range sl.Periods {
			if pd.To.After(last.To.Time) {
				last = pd
			}
		}
		rel.LastEnd, rel.LastDegree = last.To.String(), last.Degree
	}
	if typ == intake.RelationCompletes {
		open := intake.MessageOpen
		ms, _, err := messages.FindMessages(r.Context(), intake.MessageFilter{Certificate: &c.ID, Status: &open})
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.Text != "" {
				rel.Requests = append(rel.Requests, m.Text)
			}
			for _, cp := range m.Complements {
				// An option's id marks its question.
				q, _ := p.Template.Form.QuestionByID(cp.QuestionID)
				text := cp.Text
				if q.ID != cp.QuestionID {
					text = questionLabel(p.Template, cp.QuestionID) + ": " + text
				}
				rel.Complements[q.ID] = append(rel.Complements[q.ID], text)
			}
		}
	}
	p.Relation = rel
	return nil
}

// handleMessageSendPage handles POST /certificates/{id}/messages from the
// certificate page: a caseworker sends a message; problems come back on
// the page next to the form (422).
func handleMessageSendPage(logger *slog.Logger, eng *intake.Engine, certs certificateStore, messages receiptStore, audit auditStore, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		c, err := findVisible(r, certs)
		if err != nil {
			return err
		}
		form, err := readForm(w, r, maxMessageBody)
		if err != nil {
			return err
		}
		doc := map[string]any{"type": form.Get("type"), "text": form.Get("text"), "replyBy": form.Get("replyBy")}
		// The questions are a completion request's only: of another type
		// the form hides them, and what it hides is not sent.
		errs := map[string]intake.Problems{}
		if form.Get("type") == string(intake.MessageCompletion) {
			var complements []any
			for _, id := range form["question"] {
				complements = append(complements, map[string]any{"questionId": id, "text": form.Get("complement." + id)})
			}
			doc["complements"] = complements
			errs = untickedComplements(form)
			if c.Status == intake.StatusReplaced {
				// From a tab opened before another certificate replaced
				// it: the form there still offered it (receiptExtras).
				errs[""] = append(errs[""], intake.NewProblem("", "certificateReplaced", "form.completionOfReplaced", nil))
			}
		}
		for k, v := range doc {
			if v == "" {
				delete(doc, k)
			}
		}
		var idem *intake.Idempotency
		if key := form.Get("submission"); key != "" {
			sent := maps.Clone(form)
			sent.Del("submission")
			idem = &intake.Idempotency{Scope: "page:" + actorID(actorFrom(r.Context())), Key: key, Request: requestHash(c.ID, []byte(sent.Encode()))}
			_, err := messages.FindMessageByIdempotencyKey(r.Context(), *idem)
			switch intake.ErrorCode(err) {
			case "":
				// Sent already (a second click): the page shows it, as it
				// would after the first.
				http.Redirect(w, r, "/certificates/"+c.ID+"?sent=message#messages", http.StatusSeeOther)
				return nil
			case intake.ECONFLICT:
				// The form sent before, then changed and sent again (back
				// in the browser's history): a message of its own.
				idem.Key = formKey()
			case intake.ENOTFOUND:
			default:
				return err
			}
		}
		m, err := parseMessage(eng, c, doc, now())
		if err == nil && len(errs) == 0 {
			_, _, err = storeMessage(r, messages, audit, c, m, idem)
		}
		if code := intake.ErrorCode(err); code == intake.EINVALID || code == intake.ECONFLICT || err == nil && len(errs) > 0 {
			// The page again, the message as typed and why it was not
			// sent beside it: its problems, or the certificate's state
			// (revoked since the page was shown). It is sent again under
			// the key this post used.
			p, perr := newReceiptPage(r, eng, messages, audit, c)
			if perr != nil {
				return perr
			}
			for _, pr := range intake.ErrorProblems(err) {
				in := messageInput(pr.Pointer, form["question"])
				if in == "question" && (pr.Code == "minItems" || pr.Code == "required") {
					// The API's "give at least 1", in the form's words.
					pr = intake.NewProblem(pr.Pointer, pr.Code, "form.chooseComplement", nil)
				}
				errs[in] = append(errs[in], pr)
			}
			if idem != nil {
				form.Set("submission", idem.Key)
			}
			p.MessageErrors, p.MessageValues, p.DropKept = errs, form, true
			status := http.StatusUnprocessableEntity
			if code == intake.ECONFLICT {
				status = http.StatusConflict
			}
			return renderPage(w, status, "certificate_receipt", p)
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/certificates/"+c.ID+"?sent=message#messages", http.StatusSeeOther)
		return nil
	})
}

// untickedComplements are the message form's problems of a text entered
// beside a question left unticked, which the message would leave out: by
// the text's input (complement.ID). Nothing is sent until it is ticked or
// the text removed.
func untickedComplements(form url.Values) map[string]intake.Problems {
	errs := map[string]intake.Problems{}
	for name, texts := range form {
		id, ok := strings.CutPrefix(name, "complement.")
		if ok && !slices.Contains(form["question"], id) && strings.TrimSpace(strings.Join(texts, "")) != "" {
			errs[name] = intake.Problems{intake.NewProblem("", "notAllowed", "form.untickedComplement", id)}
		}
	}
	return errs
}

// messageInput names the message form's input that a problem of the
// message (at pointer) is about: its member's (type, text, replyBy), a
// complement's text input (complement.ID of the i-th question ticked), the
// questions ("question", for the list of complements as a whole), or ""
// (none: shown above the form).
func messageInput(pointer string, questions []string) string {
	parts := strings.Split(strings.TrimPrefix(pointer, "/"), "/")
	switch parts[0] {
	case "type", "text", "replyBy":
		return parts[0]
	case "complements":
		if len(parts) > 1 {
			if i, err := strconv.Atoi(parts[1]); err == nil && i >= 0 && i < len(questions) {
				return "complement." + questions[i]
			}
		}
		return "question"
	}
	return ""
}

// handleMessageAnswerPage handles POST /messages/{id}/answer from the
// certificate page: a physician of the issuing unit answers with a text,
// or says why a completion request cannot be met; problems come back next
// to the answer form (422). The form's key (submission) makes a second
// post of it the first's answer (store.AnswerMessageOnce), not a 409.
func handleMessageAnswerPage(logger *slog.Logger, eng *intake.Engine, certs certificateStore, messages receiptStore, audit auditStore) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		m, err := findAnswerable(r, messages)
		if err != nil {
			return err
		}
		form, err := readForm(w, r, 64<<10)
		if err != nil {
			return err
		}
		doc := map[string]any{}
		for _, k := range []string{"text", "cannotComplete"} {
			if s := form.Get(k); s != "" {
				doc[k] = s
			}
		}
		// The answer form's idempotency key: sent twice (a second click,
		// a post the browser repeats after a lost answer), it is one
		// answer, and the second post is shown the answered message as
		// the first was, not messageClosed. The request is the answer's
		// fields only.
		var idem *intake.Idempotency
		if key := form.Get("submission"); key != "" {
			sent := url.Values{}
			for k, v := range doc {
				sent.Set(k, v.(string))
			}
			idem = &intake.Idempotency{Scope: "page:" + actorID(actorFrom(r.Context())), Key: key, Request: requestHash(m.ID, []byte(sent.Encode()))}
		}
		_, _, err = answerMessage(r, messages, audit, m, doc, idem)
		if intake.IsKeyReused(err) {
			// The form answered the message, then was changed and sent
			// again (back in the browser's history): answered already.
			err = intake.Refusal("messageClosed")
		}
		if intake.ErrorCode(err) == intake.EINVALID {
			c, cerr := findVisibleID(r, certs, m.Certificate)
			if cerr != nil {
				return cerr
			}
			p, perr := newReceiptPage(r, eng, messages, audit, c)
			if perr != nil {
				return perr
			}
			for _, v := range p.Messages {
				if v.ID == m.ID {
					v.Errors, v.Values = intake.ErrorProblems(err), form
				}
			}
			p.DropKept = true
			return renderPage(w, http.StatusUnprocessableEntity, "certificate_receipt", p)
		}
		if err != nil {
			return err
		}
		http.Redirect(w, r, "/certificates/"+m.Certificate+"?sent=answer#message-"+m.ID, http.StatusSeeOther)
		return nil
	})
}

// messagesPage is what messages.html shows: messages across certificates.
type messagesPage struct {
	layout
	Messages []*messageView
	// UnitNames name the messages' units (unitNames).
	UnitNames map[string]string
	Status    string
	Overdue   bool
	// Statuses are the filter's choices, in the order of a message's life.
	Statuses []intake.MessageStatus
	Pager    pager
}

// messagesPageSize is how many messages a page of the list shows.
const messagesPageSize = 100

// handleMessagesPage handles GET /messages: a physician's units' messages
// (open ones first by default), or for caseworkers every message, with
// overdue ones marked; filters status and overdue. Every patient a message
// is about goes to the access log.
func handleMessagesPage(logger *slog.Logger, eng *intake.Engine, messages messageStore, audit auditStore, units unitLister, now func() time.Time) http.Handler {
	return errorHandler(logger, func(w http.ResponseWriter, r *http.Request) error {
		in := r.URL.Query()
		q := url.Values{}
		for _, k := range []string{"status", "overdue", "cursor"} {
			if vs, ok := in[k]; ok {
				q[k] = vs
			}
		}
		if !q.Has("status") && actorFrom(r.Context()).UnitBound() {
			q.Set("status", string(intake.MessageOpen))
		}
		f, p, err := messageFilter(r, now(), q)
		if err != nil {
			return err
		}
		f.Limit = messagesPageSize
		ms, next, err := messages.FindMessages(r.Context(), f)
		if err != nil {
			return err
		}
		if err := logMessagePatients(r, audit, "message.search", p.query(), ms); err != nil {
			return err
		}
		keep := url.Values{"status": {q.Get("status")}}
		if f.Overdue {
			keep.Set("overdue", "true")
		}
		page := messagesPage{layout: signedInLayout(r, "Meddelanden"), Status: q.Get("status"), Overdue: f.Overdue,
			Statuses: []intake.MessageStatus{intake.MessageOpen, intake.MessageAnswered, intake.MessageClosed},
			Pager:    newPager("/messages", keep, in, messagesPageSize, len(ms), next, 0)}
		for _, m := range ms {
			page.Messages = append(page.Messages, &messageView{Message: m, TypeName: messageTypeNames[m.Type], StatusName: messageStatusNames[m.Status]})
		}
		if page.UnitNames, err = unitNames(r.Context(), units); err != nil {
			return err
		}
		return renderPage(w, http.StatusOK, "messages", page)
	})
}
