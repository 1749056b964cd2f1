package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/intyg/intyg/intake"
	"github.com/intyg/intyg/schemas"
	"github.com/intyg/intyg/store"
)

// relatedExample is an example with a relation (and edits to its
// document), as JSON.
func relatedExample(tb testing.TB, example string, typ intake.RelationType, id string, edit func(doc map[string]any)) []byte {
	tb.Helper()
	var doc map[string]any
	if err := json.Unmarshal(readExample(tb, example), &doc); err != nil {
		tb.Fatal(err)
	}
	if typ != "" {
		doc["relation"] = map[string]any{"type": string(typ), "certificate": id}
	}
	if edit != nil {
		edit(doc)
	}
	b, err := json.Marshal(doc)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// wantProblem checks a problem document's status and a problem's pointer
// and code (and, for a 409, the document's code).
func wantProblem(tb testing.TB, what string, resp *http.Response, body []byte, status int, pointer, code string) {
	tb.Helper()
	var doc ProblemDocument
	json.Unmarshal(body, &doc)
	found := false
	for _, e := range doc.Errors {
		found = found || (e.Pointer == pointer && e.Code == code)
	}
	if resp.StatusCode != status || !found || (status == http.StatusConflict && doc.Code != code) {
		tb.Errorf("%s: %d %s, want %d with %s at %q", what, resp.StatusCode, body, status, code, pointer)
	}
}

// TestLifecycleAPI walks every transition and refusal of the contract's
// lifecycle through the API, on both databases.
func TestLifecycleAPI(t *testing.T) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) { testLifecycleAPI(t, driver) })
	}
}

func testLifecycleAPI(t *testing.T, driver string) {
	ts := newTestServer(t, driver)
	const example = "valid/full-time-one-period.json"
	orig := ts.submit(t, example)
	post := func(typ intake.RelationType, id string, edit func(map[string]any)) (*http.Response, []byte) {
		return ts.do(t, "clinic", "POST", "/api/v1/certificates", relatedExample(t, example, typ, id, edit))
	}
	record := func(id string) (rec struct {
		Status       intake.Status
		Relations    []intake.RelationLink
		OpenMessages *int
		Revocation   *intake.Revocation
	}) {
		t.Helper()
		resp, body := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET %s: %d %s", id, resp.StatusCode, body)
		}
		json.Unmarshal(body, &rec)
		return rec
	}
	message := func(body []byte) (m intake.Message) {
		json.Unmarshal(body, &m)
		return m
	}

	// Refusals of the envelope's relation.
	resp, body := post("MERGES", orig, nil)
	wantProblem(t, "unknown relation type", resp, body, 422, "/relation/type", "enum")
	resp, body = post(intake.RelationReplaces, "nope", nil)
	wantProblem(t, "unknown certificate", resp, body, 422, "/relation/certificate", "notFound")
	resp, body = ts.do(t, "other-clinic", "POST", "/api/v1/certificates", relatedExample(t, example, intake.RelationReplaces, orig, func(d map[string]any) {
		d["issuer"].(map[string]any)["unit"].(map[string]any)["hsaId"] = "SE2321000016-9999"
	}))
	wantProblem(t, "another unit's certificate", resp, body, 422, "/relation/certificate", "notFound")
	resp, body = post(intake.RelationRenews, orig, func(d map[string]any) { d["patient"].(map[string]any)["id"] = "19121212-1212" })
	wantProblem(t, "another patient", resp, body, 422, "/relation", "relationMismatch")
	// A refusal lists every problem found: the relation's beside intake's.
	noName := func(d map[string]any) { delete(d["patient"].(map[string]any), "name") }
	resp, body = post(intake.RelationReplaces, "nope", noName)
	wantProblem(t, "unknown certificate, no name", resp, body, 422, "/relation/certificate", "notFound")
	wantProblem(t, "unknown certificate, no name", resp, body, 422, "/patient/name", "required")
	resp, body = post(intake.RelationRenews, orig, func(d map[string]any) { noName(d); d["patient"].(map[string]any)["id"] = "19121212-1212" })
	wantProblem(t, "another patient, no name", resp, body, 422, "/relation", "relationMismatch")
	wantProblem(t, "another patient, no name", resp, body, 422, "/patient/name", "required")
	resp, body = ts.do(t, "other-clinic", "POST", "/api/v1/certificates", relatedExample(t, example, intake.RelationReplaces, orig, noName))
	if wantProblem(t, "another unit's token, no name", resp, body, 422, "/patient/name", "required"); strings.Contains(string(body), "/relation") {
		t.Errorf("a token of another unit learns of the original: %s", body)
	}
	resp, body = post(intake.RelationCompletes, orig, nil)
	wantProblem(t, "completion without a request", resp, body, 409, "", "noOpenCompletionRequest")
	if rec := record(orig); rec.Status != intake.StatusReceived || len(rec.Relations) != 0 || rec.OpenMessages == nil || *rec.OpenMessages != 0 {
		t.Fatalf("original after refusals: %+v", rec)
	}

	// A completion request, naming the template's question ids.
	ask := func(doc string) (*http.Response, []byte) {
		return ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(doc))
	}
	resp, body = ask(`{"type": "KOMPLT", "complements": [{"questionId": "99", "text": "?"}]}`)
	wantProblem(t, "unknown question", resp, body, 422, "/complements/0/questionId", "unknownQuestion")
	resp, body = ask(`{"type": "KOMPLT", "text": "Utan frågor."}`)
	wantProblem(t, "completion request without complements", resp, body, 422, "/complements", "required")
	resp, body = ask(`{"type": "KONTKT", "text": "Ring.", "complements": [{"questionId": "32", "text": "?"}]}`)
	wantProblem(t, "complements on a contact message", resp, body, 422, "/complements", "notAllowed")
	resp, body = ask(`{"type": "OVRIGT", "text": "?", "replyBy": "2020-01-01"}`)
	wantProblem(t, "reply-by in the past", resp, body, 422, "/replyBy", "dateInPast")
	if resp, _ := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "OVRIGT", "text": "?"}`)); resp.StatusCode != 403 {
		t.Errorf("a clinic sends a message: %d, want 403", resp.StatusCode)
	}
	resp, body = ask(`{"type": "KOMPLT", "text": "Vi behöver veta mer.", "replyBy": "2099-12-10", "complements": [{"questionId": "32", "text": "Ange sjukskrivningsgrad för december."}]}`)
	req := message(body)
	if resp.StatusCode != 201 || req.ID == "" || req.Status != intake.MessageOpen || req.SentBy == "" || req.SentAt.IsZero() || len(req.Complements) != 1 {
		t.Fatalf("completion request: %d %s", resp.StatusCode, body)
	}
	if rec := record(orig); *rec.OpenMessages != 1 {
		t.Errorf("openMessages = %d, want 1", *rec.OpenMessages)
	}
	resp, body = post(intake.RelationReplaces, orig, nil)
	wantProblem(t, "replacing with an open completion request", resp, body, 409, "", "completionRequestOpen")

	// The issuing unit sees it; another unit does not.
	var list messageList
	_, body = ts.do(t, "clinic", "GET", "/api/v1/messages?status=open", nil)
	if json.Unmarshal(body, &list); len(list.Items) != 1 || list.Items[0].ID != req.ID {
		t.Errorf("clinic's open messages: %s", body)
	}
	_, body = ts.do(t, "other-clinic", "GET", "/api/v1/messages", nil)
	if json.Unmarshal(body, &list); len(list.Items) != 0 {
		t.Errorf("another unit's messages: %s", body)
	}
	if resp, _ := ts.do(t, "other-clinic", "POST", "/api/v1/messages/"+req.ID+"/answer", []byte(`{"text": "x"}`)); resp.StatusCode != 404 {
		t.Errorf("another unit answers: %d, want 404", resp.StatusCode)
	}
	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+req.ID+"/answer", []byte(`{"text": "Bara text."}`))
	wantProblem(t, "a text answer to a completion request", resp, body, 422, "/cannotComplete", "required")

	// Completing answers the request and replaces the original.
	resp, body = post(intake.RelationCompletes, orig, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("completion: %d %s", resp.StatusCode, body)
	}
	var created struct{ ID string }
	json.Unmarshal(body, &created)
	completing := created.ID
	if rec := record(orig); rec.Status != intake.StatusReplaced || len(rec.Relations) != 1 || rec.Relations[0] != (intake.RelationLink{Type: intake.RelationCompletes, Certificate: completing, Direction: intake.DirectionIncoming}) || *rec.OpenMessages != 0 {
		t.Errorf("original after completion: %+v", rec)
	}
	if rec := record(completing); len(rec.Relations) != 1 || rec.Relations[0].Direction != intake.DirectionOutgoing {
		t.Errorf("completing certificate's relations: %+v", rec.Relations)
	}
	_, body = ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+orig+"/messages", nil)
	if json.Unmarshal(body, &list); len(list.Items) != 1 || list.Items[0].Status != intake.MessageAnswered || list.Items[0].Answer == nil || list.Items[0].Answer.Certificate != completing {
		t.Errorf("request after completion: %s", body)
	}
	resp, body = post(intake.RelationCompletes, orig, nil)
	wantProblem(t, "completing again", resp, body, 409, "", "noOpenCompletionRequest")
	resp, body = post(intake.RelationReplaces, orig, nil)
	wantProblem(t, "replacing a replaced certificate", resp, body, 409, "", "certificateReplaced")

	// Revoking the completing certificate opens the request again.
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+completing+"/revoke", []byte(`{"reason": "ANNAT_ALLVARLIGT_FEL", "message": "Fel uppgifter."}`)); resp.StatusCode != 200 {
		t.Fatalf("revoke the completing certificate: %d %s", resp.StatusCode, body)
	}
	if rec := record(orig); rec.Status != intake.StatusReceived || *rec.OpenMessages != 1 {
		t.Errorf("original after its completion was revoked: %+v", rec)
	}
	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+req.ID+"/answer", []byte(`{"cannotComplete": "NO_FURTHER_MED_INFO", "text": "Inga nya uppgifter finns."}`))
	if m := message(body); resp.StatusCode != 200 || m.Status != intake.MessageAnswered || m.Answer == nil || m.Answer.CannotComplete != "NO_FURTHER_MED_INFO" || m.Answer.By == "" {
		t.Errorf("cannot complete: %d %s", resp.StatusCode, body)
	}
	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+req.ID+"/answer", []byte(`{"cannotComplete": "NO_FURTHER_MED_INFO", "text": "Igen."}`))
	wantProblem(t, "answering twice", resp, body, 409, "", "messageClosed")

	// A contact message and its text answer.
	_, body = ask(`{"type": "KONTKT", "text": "Kan vi ringa patienten?"}`)
	contact := message(body)
	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+contact.ID+"/answer", []byte(`{"cannotComplete": "NO_FURTHER_MED_INFO", "text": "x"}`))
	wantProblem(t, "cannotComplete on a contact message", resp, body, 422, "/cannotComplete", "notAllowed")
	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+contact.ID+"/answer", []byte(`{"text": "Ja, på förmiddagen."}`))
	if m := message(body); resp.StatusCode != 200 || m.Answer == nil || m.Answer.Text != "Ja, på förmiddagen." {
		t.Errorf("text answer: %d %s", resp.StatusCode, body)
	}

	// Renewal: the submission pre-filled, without the cleared answers.
	resp, body = ts.do(t, "clinic", "GET", "/api/v1/certificates/"+orig+"/renewal", nil)
	var renewal map[string]any
	json.Unmarshal(body, &renewal)
	answers, _ := renewal["answers"].(map[string]any)
	rel, _ := renewal["relation"].(map[string]any)
	if resp.StatusCode != 200 || renewal["signedAt"] != nil || answers["sickLeave"] != nil || answers["basis"] != nil || answers["prognosis"] != nil ||
		answers["diagnoses"] == nil || answers["occupation"] == nil || rel["type"] != "RENEWS" || rel["certificate"] != orig || renewal["version"] != "2.0" {
		t.Errorf("renewal: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+orig+"/renewal", nil); resp.StatusCode != 403 {
		t.Errorf("a caseworker asks for a renewal: %d, want 403", resp.StatusCode)
	}
	renewal["signedAt"] = "2026-11-20T10:15:00+01:00"
	answers["basis"] = []any{map[string]any{"type": "FYSISKUNDERSOKNING", "date": "2026-11-20"}}
	answers["sickLeave"] = []any{map[string]any{"degree": 50, "from": "2026-12-07", "to": "2026-12-20"}}
	answers["prognosis"] = "STOR_SANNOLIKHET"
	answers["unevenWorkingHours"] = false
	b, _ := json.Marshal(renewal)
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates", b); resp.StatusCode != 201 {
		t.Errorf("posting the completed renewal: %d %s", resp.StatusCode, body)
	}
	if rec := record(orig); rec.Status != intake.StatusReceived || len(rec.Relations) != 2 {
		t.Errorf("original after renewal: %+v", rec)
	}

	// Revoking the original closes its open messages; nothing more may
	// relate to it.
	_, body = ask(`{"type": "AVSTMN", "text": "Avstämningsmöte?"}`)
	meeting := message(body)
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+orig+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	_, body = ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+orig+"/messages", nil)
	json.Unmarshal(body, &list)
	for _, m := range list.Items {
		if m.ID == meeting.ID && m.Status != intake.MessageClosed {
			t.Errorf("open message after revocation: %s", m.Status)
		}
	}
	resp, body = ask(`{"type": "OVRIGT", "text": "?"}`)
	wantProblem(t, "message on a revoked certificate", resp, body, 409, "", "certificateRevoked")
	resp, body = ts.do(t, "clinic", "GET", "/api/v1/certificates/"+orig+"/renewal", nil)
	wantProblem(t, "renewing a revoked certificate", resp, body, 409, "", "certificateRevoked")
	for _, typ := range []intake.RelationType{intake.RelationReplaces, intake.RelationCompletes, intake.RelationRenews} {
		resp, body = post(typ, orig, nil)
		wantProblem(t, string(typ)+" of a revoked certificate", resp, body, 409, "", "certificateRevoked")
	}

	var events struct{ Items []intake.Event }
	_, body = ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+orig+"/events", nil)
	json.Unmarshal(body, &events)
	var types []string
	for _, e := range events.Items {
		types = append(types, e.Type)
	}
	want := "received messageSent messageAnswered replaced unreplaced messageAnswered messageSent messageAnswered renewed messageSent revoked messageClosed"
	if got := strings.Join(types, " "); got != want {
		t.Errorf("events:\n got %s\nwant %s", got, want)
	}
	for _, action := range []string{"message.send", "message.list", "message.search", "message.answer", "certificate.renewal"} {
		if len(ts.auditActions(t, action)) == 0 {
			t.Errorf("no %s in the access log", action)
		}
	}

	// A completion request answered at the message with the certificate;
	// a contact message cannot be, whatever the certificate.
	third := ts.submit(t, example)
	_, body = ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+third+"/messages", []byte(`{"type": "KONTKT", "text": "Ring mig."}`))
	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+message(body).ID+"/answer", relatedExample(t, example, intake.RelationCompletes, third, nil))
	wantProblem(t, "answering a contact message with a certificate", resp, body, 422, "/relation", "relationMismatch")
	if !bytes.Contains(body, []byte("answered with a text")) && !bytes.Contains(body, []byte("besvaras med en text")) {
		t.Errorf("answering a contact message with a certificate does not say to answer with a text: %s", body)
	}
	_, body = ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+third+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "Beskriv funktionsnedsättningen."}]}`))
	req = message(body)
	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+req.ID+"/answer", relatedExample(t, example, intake.RelationReplaces, third, nil))
	wantProblem(t, "answering with a replacement", resp, body, 422, "/relation", "relationMismatch")
	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+req.ID+"/answer", relatedExample(t, example, intake.RelationCompletes, third, nil))
	if m := message(body); resp.StatusCode != 200 || m.Status != intake.MessageAnswered || m.Answer == nil || m.Answer.Certificate == "" {
		t.Errorf("answering with a completion: %d %s", resp.StatusCode, body)
	}
	if rec := record(third); rec.Status != intake.StatusReplaced {
		t.Errorf("completed at the message: %s", rec.Status)
	}

	// Of concurrent replacements of one certificate exactly one wins.
	second := ts.submit(t, example)
	const n = 6
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			resp, _ := post(intake.RelationReplaces, second, nil)
			codes[i] = resp.StatusCode
		})
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		switch c {
		case 201:
			won++
		case 409:
		default:
			t.Errorf("concurrent replacement: %d", c)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent replacements accepted, want exactly 1 (%v)", won, n, codes)
	}
}

// TestRevokedRelationOnThePage: a replacement that is revoked no longer
// holds, and the original's page says so beside the relation, as its
// status and history do.
func TestRevokedRelationOnThePage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	const example = "valid/full-time-one-period.json"
	orig := ts.submit(t, example)
	resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates", relatedExample(t, example, intake.RelationReplaces, orig, nil))
	if resp.StatusCode != 201 {
		t.Fatalf("replacement: %d %s", resp.StatusCode, body)
	}
	var replacing struct{ ID string }
	json.Unmarshal(body, &replacing)
	cw := ts.session(t, "caseworker")
	relations := func() string {
		t.Helper()
		resp, page := ts.page(t, cw, "GET", "/certificates/"+orig, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("GET the original: %d\n%s", resp.StatusCode, page)
		}
		start := strings.Index(page, `id="relations"`)
		if start < 0 {
			t.Fatalf("no relations on the original's page:\n%s", page)
		}
		return page[start : start+strings.Index(page[start:], "</dl>")]
	}
	// Named by when it was signed, which tells it apart, and its id.
	if r := relations(); !strings.Contains(r, "Ersatt av") || !strings.Contains(r, "Intyget signerat 2026-11-20 10:15</a>") || !strings.Contains(r, replacing.ID) || strings.Contains(r, "makulerat") {
		t.Errorf("relations while the replacement holds: %s", r)
	}
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+replacing.ID+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	if r := relations(); !strings.Contains(r, replacing.ID+`</span> <span class="flag">makulerat, gäller inte</span>`) {
		t.Errorf("relations after the replacement was revoked: %s", r)
	}
}

// TestFormLineBreaks: a browser posts a text area's line breaks as CR LF;
// the text is stored with line feeds, and a text as long as the form's
// counter allows is accepted, each line break counting once.
func TestFormLineBreaks(t *testing.T) {
	eng := mustEngine(t)
	b := readExample(t, "valid/full-time-one-period.json")
	doc, _ := intake.Decode(b, len(b)+1)
	tmpl, _ := eng.Template("fk7804", "2.0")
	v := formValues(tmpl, doc)
	line := strings.Repeat("x", 399)
	v.Set("answers.otherInformation", strings.TrimSuffix(strings.Repeat(line+"\r\n", 10), "\r\n")+"x") // 4000 characters with its 9 line breaks
	v.Set("answers.treatment", "Rad ett\r\nRad två")
	body, _ := json.Marshal(formDocument(tmpl, v, doc["issuer"].(map[string]any), doc["signedAt"].(string)))
	c, err := eng.Intake(body, time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("Intake() = %v, want accepted", err)
	}
	if got := c.Answers["treatment"]; got != "Rad ett\nRad två" {
		t.Errorf("treatment stored as %q, want line feeds", got)
	}
}

// TestFormValuesRoundTrip: every valid example of every template, turned
// into the form's inputs and read back as the form posts them, gives the
// same record: a replacement or renewal pre-fills exactly what was said.
func TestFormValuesRoundTrip(t *testing.T) {
	eng := mustEngine(t)
	files, err := filepath.Glob(filepath.Join("..", "examples", "*", "valid", "*.json"))
	if err != nil || len(files) < 10 {
		t.Fatalf("examples: %v, %d files", err, len(files))
	}
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(f)))+"/"+filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := eng.Intake(b, now)
			if err != nil {
				t.Fatal(err)
			}
			doc, _ := intake.Decode(b, len(b)+1)
			tmpl, _ := eng.Template(want.Template, want.Version)
			back := formDocument(tmpl, formValues(tmpl, doc), doc["issuer"].(map[string]any), doc["signedAt"].(string))
			body, _ := json.Marshal(back)
			got, err := eng.Intake(body, now)
			if err != nil {
				t.Fatalf("the pre-filled form does not give a valid certificate: %v", err)
			}
			a, _ := json.Marshal(canonicalAnswers(tmpl, want.Answers))
			g, _ := json.Marshal(canonicalAnswers(tmpl, got.Answers))
			if string(a) != string(g) || got.Patient != want.Patient {
				t.Errorf("answers differ:\n want %s\n  got %s", a, g)
			}
		})
	}
}

// canonicalAnswers leaves out what the form cannot tell apart: an
// unticked checkbox is the same as no answer, and ticked options come in
// the form's order, not the submission's.
func canonicalAnswers(t *schemas.Template, answers map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range answers {
		if q, ok := t.Form.Question(k); ok && q.Widget == schemas.WidgetCheckbox && v == false {
			continue
		}
		if items, ok := v.([]any); ok {
			sorted := slices.Clone(items)
			slices.SortFunc(sorted, func(a, b any) int {
				x, _ := json.Marshal(a)
				y, _ := json.Marshal(b)
				return strings.Compare(string(x), string(y))
			})
			v = sorted
		}
		out[k] = v
	}
	return out
}

// TestRelatePages: replace and renew open the form as a draft, pre-filled
// as the contract says, with the relation kept through signing.
func TestRelatePages(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	doctor := ts.session(t, "physician")
	orig := ts.submit(t, "valid/full-time-one-period.json")

	resp, _ := ts.page(t, doctor, "POST", "/certificates/"+orig+"/renew", url.Values{})
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/drafts/") {
		t.Fatalf("renew: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	_, page := ts.page(t, doctor, "GET", resp.Header.Get("Location"), nil)
	for _, want := range []string{`id="relation-note"`, "Förnyar intyg", `id="renewal-last-end">2026-12-06<`, "100 %", `name="relation.type" value="RENEWS"`, `value="M54.4"`, `value="Karin Johansson"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the renewal form lacks %s", want)
		}
	}
	if strings.Contains(page, `value="2026-12-06"`) || strings.Contains(page, `value="STOR_SANNOLIKHET" checked`) {
		t.Error("the renewal form keeps a cleared answer (the period or the prognosis)")
	}

	resp, _ = ts.page(t, doctor, "POST", "/certificates/"+orig+"/replace", url.Values{})
	draft := resp.Header.Get("Location")
	// A second click goes on with the same draft, which the drafts list
	// names as the replacement.
	if resp, _ := ts.page(t, doctor, "POST", "/certificates/"+orig+"/replace", url.Values{}); resp.Header.Get("Location") != draft {
		t.Errorf("replace again: to %s, want the first draft %s", resp.Header.Get("Location"), draft)
	}
	if _, list := ts.page(t, doctor, "GET", "/drafts", nil); !strings.Contains(list, `Ersätter intyg <a href="/certificates/`+orig+`">`) {
		t.Error("the drafts list does not say which draft replaces the certificate")
	}
	_, page = ts.page(t, doctor, "GET", draft, nil)
	for _, want := range []string{"Ersätter intyg", `name="relation.type" value="REPLACES"`, `value="2026-12-06"`, `value="M54.4"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the replacement form lacks %s", want)
		}
	}
	// Review and sign the replacement as the form would post it.
	values, _ := url.ParseQuery(draftForm(t, ts, strings.TrimPrefix(draft, "/drafts/")))
	values.Set("draft", strings.TrimPrefix(draft, "/drafts/"))
	if _, review := ts.page(t, doctor, "GET", draft+"/review", nil); true {
		values.Set("draftSaved", reviewedSave(t, review))
	}
	resp, body := ts.page(t, doctor, "POST", "/forms/fk7804/2.0", values)
	if resp.StatusCode != 303 {
		t.Fatalf("signing the replacement: %d\n%s", resp.StatusCode, body)
	}
	c, err := ts.db.FindCertificateByID(context.Background(), orig)
	if err != nil || c.Status != intake.StatusReplaced {
		t.Errorf("original after the replacement was signed: %v, %v", c, err)
	}
	if _, page := ts.page(t, doctor, "GET", "/certificates/"+orig, nil); !strings.Contains(page, "Ersatt av") || strings.Contains(page, `id="replace"`) {
		t.Error("the replaced certificate's page does not say so, or still offers to replace it")
	}
}

// TestNoReplacementWhileCompletionRequested: with a completion request
// open, the page offers completing, not replacing, and a replacement
// asked for anyway is refused before it leaves a draft behind.
func TestNoReplacementWhileCompletionRequested(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	doctor := ts.session(t, "physician")
	orig := ts.submit(t, "valid/full-time-one-period.json")
	if resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "Beskriv funktionsnedsättningen."}]}`)); resp.StatusCode != 201 {
		t.Fatalf("completion request: %d %s", resp.StatusCode, body)
	}
	_, page := ts.page(t, doctor, "GET", "/certificates/"+orig, nil)
	if !strings.Contains(page, `id="replace-note"`) || strings.Contains(page, `id="replace"`) || !strings.Contains(page, `id="renew"`) {
		t.Error("with a completion request open, the page offers to replace the certificate, or does not say why not")
	}
	if resp, body := ts.page(t, doctor, "POST", "/certificates/"+orig+"/replace", url.Values{}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "komplettera intyget i stället") {
		t.Errorf("replace anyway: %d, want 409 saying to complete instead", resp.StatusCode)
	}
	u := ts.person(t, "physician")
	if drafts, err := ts.db.FindDrafts(context.Background(), u.ID, unit); err != nil || len(drafts) != 0 {
		t.Errorf("drafts after a refused replacement: %d, %v; want none", len(drafts), err)
	}
}

// TestNoCompletionWithoutRequest: the physician's "Komplettera" on a
// certificate with no open completion request (a tab opened before the
// request was answered) is refused at once, saying why, rather than
// opening a draft whose signing would be refused.
func TestNoCompletionWithoutRequest(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	doctor := ts.session(t, "physician")
	orig := ts.submit(t, "valid/full-time-one-period.json")
	if resp, body := ts.page(t, doctor, "POST", "/certificates/"+orig+"/complete", url.Values{}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "ingen obesvarad begäran om komplettering") {
		t.Errorf("complete with no request: %d, want 409 saying there is no open completion request", resp.StatusCode)
	}
	u := ts.person(t, "physician")
	if drafts, err := ts.db.FindDrafts(context.Background(), u.ID, unit); err != nil || len(drafts) != 0 {
		t.Errorf("drafts after a refused completion: %d, %v; want none", len(drafts), err)
	}
	request := []byte(`{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "Beskriv funktionsnedsättningen."}]}`)
	if resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", request); resp.StatusCode != 201 {
		t.Fatalf("completion request: %d %s", resp.StatusCode, body)
	}
	if resp, _ := ts.page(t, doctor, "POST", "/certificates/"+orig+"/complete", url.Values{}); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/drafts/") {
		t.Errorf("complete with a request open: %d %s, want 303 to a draft", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestNoSecondCompletion: a certificate already completed (or replaced)
// is not completed again from the pages, which would leave two in force
// for one: the caseworker's message form asks no completion of it and
// names the certificate that replaced it, and the physician is sent to that
// one, with a completion request sent anyway (the API takes it) answered
// as one that cannot be completed.
func TestNoSecondCompletion(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	doctor, caseworker := ts.session(t, "physician"), ts.session(t, "caseworker")
	orig := ts.submit(t, "valid/full-time-one-period.json")
	request := []byte(`{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "Beskriv funktionsnedsättningen."}]}`)
	if resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", request); resp.StatusCode != 201 {
		t.Fatalf("completion request: %d %s", resp.StatusCode, body)
	}
	_, page := ts.page(t, caseworker, "GET", "/certificates/"+orig, nil)
	if !strings.Contains(page, `<option value="KOMPLT"`) || strings.Contains(page, `id="message-replaced"`) {
		t.Fatal("before the completion, the message form does not offer a completion request, or says the certificate is replaced")
	}
	// The physician opens a completion on the page, and leaves it a draft.
	resp, _ := ts.page(t, doctor, "POST", "/certificates/"+orig+"/complete", url.Values{})
	draft := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(draft, "/drafts/") {
		t.Fatalf("completion draft: %d %s", resp.StatusCode, draft)
	}
	b := bytes.Replace(readExample(t, "valid/full-time-one-period.json"), []byte(`"answers": {`), []byte(`"relation": {"type": "COMPLETES", "certificate": "`+orig+`"}, "answers": {`), 1)
	completion := ts.mustPost(t, "clinic:"+unit, b)

	_, page = ts.page(t, caseworker, "GET", "/certificates/"+orig, nil)
	if strings.Contains(page, `<option value="KOMPLT"`) || !strings.Contains(page, `id="message-replaced"`) || !strings.Contains(page, `href="/certificates/`+completion+`"`) {
		t.Error("the completed certificate's message form still offers a completion request, or does not name the one that completed it")
	}
	// A tab opened before the completion still sends a completion request
	// from the page: refused, saying why.
	stale := url.Values{"submission": {"stale-tab"}, "type": {"KOMPLT"}, "question": {"35"}, "complement.35": {"Beskriv funktionsnedsättningen."}}
	if resp, body := ts.page(t, caseworker, "POST", "/certificates/"+orig+"/messages", stale); resp.StatusCode != 422 || !strings.Contains(body, "begär komplettering av det intyget") {
		t.Errorf("a completion request from a stale tab: %d, want 422 saying to ask of the certificate that replaced it", resp.StatusCode)
	}
	if resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", request); resp.StatusCode != 201 {
		t.Fatalf("completion request through the API: %d %s", resp.StatusCode, body)
	}
	_, page = ts.page(t, doctor, "GET", "/certificates/"+orig, nil)
	if strings.Contains(page, `id="complete-`) || !strings.Contains(page, `id="completion-replaced"`) || !strings.Contains(page, "Kan inte komplettera") {
		t.Error("the physician is offered to complete a certificate already completed, or not told to answer that it cannot be")
	}
	if resp, body := ts.page(t, doctor, "POST", "/certificates/"+orig+"/complete", url.Values{}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "redan ersatt") {
		t.Errorf("complete anyway: %d, want 409 saying it is replaced", resp.StatusCode)
	}
	u := ts.person(t, "physician")
	if drafts, err := ts.db.FindDrafts(context.Background(), u.ID, unit); err != nil || len(drafts) != 1 {
		t.Errorf("drafts after a refused completion: %d, %v; want the one opened before only", len(drafts), err)
	}
	// The draft opened before is not signed into a second completion:
	// its review and its signing are refused.
	if resp, body := ts.page(t, doctor, "GET", draft+"/review", nil); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "redan ersatt") {
		t.Errorf("the old draft's review: %d, want 409 saying it is replaced", resp.StatusCode)
	}
	values, _ := url.ParseQuery(draftForm(t, ts, strings.TrimPrefix(draft, "/drafts/")))
	values.Set("draft", strings.TrimPrefix(draft, "/drafts/"))
	d, err := ts.db.FindDraft(context.Background(), strings.TrimPrefix(draft, "/drafts/"))
	if err != nil {
		t.Fatal(err)
	}
	values.Set("draftSaved", savedAt(d.UpdatedAt))
	before := ts.count(t)
	if resp, body := ts.page(t, doctor, "POST", "/forms/fk7804/2.0", values); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "redan ersatt") {
		t.Errorf("signing the old draft: %d, want 409 saying it is replaced", resp.StatusCode)
	}
	// Nor with the relation's id padded, which intake trims.
	values.Set("relation.certificate", orig+" ")
	if resp, body := ts.page(t, doctor, "POST", "/forms/fk7804/2.0", values); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "redan ersatt") {
		t.Errorf("signing the old draft, its relation's id padded: %d, want 409 saying it is replaced", resp.StatusCode)
	}
	// A form sent without its draft or submission id is refused the same
	// way, with the form, not an error page that drops what was typed.
	values.Del("draft")
	values.Del("submission")
	if resp, body := ts.page(t, doctor, "POST", "/forms/fk7804/2.0", values); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "redan ersatt") || !strings.Contains(body, `id="certificate-form"`) {
		t.Errorf("signing without a key: %d, want 409 with the form saying it is replaced", resp.StatusCode)
	}
	if n := ts.count(t); n != before {
		t.Errorf("signing the old draft stored %d certificates", n-before)
	}
}

// TestPDFNamesTheReplacementThatHolds: a certificate replaced, given its
// status back when the replacement was revoked, and replaced again prints
// as replaced by the second only.
func TestPDFNamesTheReplacementThatHolds(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	orig := ts.submit(t, "valid/full-time-one-period.json")
	replacement := func() string {
		b := bytes.Replace(readExample(t, "valid/full-time-one-period.json"), []byte(`"answers": {`), []byte(`"relation": {"type": "REPLACES", "certificate": "`+orig+`"}, "answers": {`), 1)
		return ts.mustPost(t, "clinic:"+unit, b)
	}
	first := replacement()
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+first+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	second := replacement()
	resp, pdf := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+orig+"/pdf", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("pdf: %d", resp.StatusCode)
	}
	if text := pdfText(t, pdf); !strings.Contains(text, "Ersatt av intyg "+second) || strings.Contains(text, first) {
		t.Errorf("the PDF does not name the replacement that holds (%s) alone, not the revoked %s:\n%.800s", second, first, text)
	}
	// The record keeps both relations: the history.
	if _, rec := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+orig, nil); !bytes.Contains(rec, []byte(first)) || !bytes.Contains(rec, []byte(second)) {
		t.Errorf("the record lost a relation: %s", rec)
	}
}

// TestMessageHasItsOwnAddress: a new message's Location is its own
// address, which caseworkers and the issuing unit read (another unit's
// token finds nothing), each read in the access log.
func TestMessageHasItsOwnAddress(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	orig := ts.submit(t, "valid/full-time-one-period.json")
	message := func(body []byte) (m intake.Message) {
		json.Unmarshal(body, &m)
		return m
	}
	resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "KONTKT", "text": "Ring mig."}`))
	m := message(body)
	if resp.StatusCode != 201 || resp.Header.Get("Location") != "/api/v1/messages/"+m.ID {
		t.Fatalf("new message: %d, Location %q, want /api/v1/messages/%s", resp.StatusCode, resp.Header.Get("Location"), m.ID)
	}
	before := len(ts.auditActions(t, "message.read"))
	for who, want := range map[string]int{"caseworker": 200, "clinic": 200, "other-clinic": 404, "admin": 403, "": 401} {
		resp, body := ts.do(t, who, "GET", "/api/v1/messages/"+m.ID, nil)
		if resp.StatusCode != want || (want == 200 && (message(body).ID != m.ID || message(body).Text != "Ring mig.")) {
			t.Errorf("%q reads the message: %d %s, want %d", who, resp.StatusCode, body, want)
		}
	}
	if n := len(ts.auditActions(t, "message.read")) - before; n != 2 {
		t.Errorf("%d message.read entries, want 2 (the caseworker's and the unit's)", n)
	}
	if resp, _ := ts.do(t, "caseworker", "GET", "/api/v1/messages/AAAAAAAAAAAAAAAAAAAAAA", nil); resp.StatusCode != 404 {
		t.Errorf("no such message: %d, want 404", resp.StatusCode)
	}
}

// TestWarningsNameTheirPeriod: two periods that each start more than a
// week before the signing give two warnings on the certificate page, each
// naming its period, not the same sentence twice.
func TestWarningsNameTheirPeriod(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	cw := ts.session(t, "caseworker")
	warnings := func(periods ...map[string]any) []string {
		t.Helper()
		var doc map[string]any
		if err := json.Unmarshal(readExample(t, "valid/full-time-one-period.json"), &doc); err != nil { // signed 2026-11-20
			t.Fatal(err)
		}
		var items []any
		for _, p := range periods {
			items = append(items, p)
		}
		doc["answers"].(map[string]any)["sickLeave"] = items
		doc["answers"].(map[string]any)["unevenWorkingHours"] = false
		b, _ := json.Marshal(doc)
		resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates", b)
		var created struct{ ID string }
		if json.Unmarshal(body, &created); resp.StatusCode != 201 {
			t.Fatalf("submit: %d %s", resp.StatusCode, body)
		}
		_, page := ts.page(t, cw, "GET", "/certificates/"+created.ID, nil)
		box := regexp.MustCompile(`(?s)id="certificate-warnings">.*?</ul>`).FindString(page)
		var out []string
		for _, m := range regexp.MustCompile(`<li>([^<]*)</li>`).FindAllStringSubmatch(box, -1) {
			out = append(out, m[1])
		}
		return out
	}
	both := warnings(map[string]any{"degree": 100, "from": "2026-11-01", "to": "2026-11-05"}, map[string]any{"degree": 50, "from": "2026-11-06", "to": "2026-12-06"})
	if len(both) != 2 || !strings.HasPrefix(both[0], "Helt nedsatt, ") || !strings.HasPrefix(both[1], "Nedsatt med hälften, ") {
		t.Errorf("two periods' warnings: %q, want each naming its period", both)
	}
	// Sent out of the form's order (50 % before 100 %): named by the
	// period itself, not by its place on the form.
	one := warnings(map[string]any{"degree": 50, "from": "2026-11-01", "to": "2026-11-15"}, map[string]any{"degree": 100, "from": "2026-11-16", "to": "2026-12-06"})
	if len(one) != 1 || !strings.HasPrefix(one[0], "Nedsatt med hälften, ") {
		t.Errorf("the early half period's warning: %q, want it named", one)
	}
}

// TestHistoryNamesWhoRelated: the events another certificate causes on
// the original name who sent it: the physician who signed it on the form,
// even when the original's issuer was someone else, and the clinic system
// whose token sent one, whatever issuer it names.
func TestHistoryNamesWhoRelated(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	bo := ts.session(t, "physician-two-units")
	orig := ts.submit(t, "valid/full-time-one-period.json") // issued by Åsa Lindberg
	resp, _ := ts.page(t, bo, "POST", "/certificates/"+orig+"/replace", url.Values{})
	draft := resp.Header.Get("Location")
	values, _ := url.ParseQuery(draftForm(t, ts, strings.TrimPrefix(draft, "/drafts/")))
	values.Set("draft", strings.TrimPrefix(draft, "/drafts/"))
	_, review := ts.page(t, bo, "GET", draft+"/review", nil)
	// The review says what signing does to the original.
	if note := regexp.MustCompile(`(?s)id="review-relation">.*?</div>`).FindString(review); !strings.Contains(note, `Ersätter intyg <a href="/certificates/`+orig+`">`) || !strings.Contains(note, "gäller inte längre") {
		t.Errorf("the review does not say that the certificate replaces %s: %q", orig, note)
	}
	values.Set("draftSaved", reviewedSave(t, review))
	if resp, body := ts.page(t, bo, "POST", "/forms/fk7804/2.0", values); resp.StatusCode != 303 {
		t.Fatalf("signing the replacement: %d\n%s", resp.StatusCode, body)
	}
	_, page := ts.page(t, ts.session(t, "caseworker"), "GET", "/certificates/"+orig, nil)
	if want := `Ersatt av ett annat intyg <span class="muted">– Bo Berg</span>`; !strings.Contains(page, want) {
		t.Errorf("the original's history lacks %s", want)
	}

	// A renewal from a clinic system naming Bo's HSA-id as its issuer: only
	// the system is known to have sent it, so the history names the system.
	b := readExample(t, "valid/full-time-one-period.json")
	b = bytes.Replace(b, []byte(`"SE2321000016-1003"`), []byte(`"SE2321000016-1004"`), 1)
	b = bytes.Replace(b, []byte(`"answers": {`), []byte(`"relation": {"type": "RENEWS", "certificate": "`+orig+`"}, "answers": {`), 1)
	if !bytes.Contains(b, []byte("SE2321000016-1004")) || !bytes.Contains(b, []byte("RENEWS")) {
		t.Fatal("the renewal's issuer or relation was not set")
	}
	ts.mustPost(t, "clinic:"+unit, b)
	_, page = ts.page(t, ts.session(t, "caseworker"), "GET", "/certificates/"+orig, nil)
	if want := `Förnyat med ett nytt intyg <span class="muted">– Vårdsystemet`; !strings.Contains(page, want) {
		t.Errorf("the original's history lacks %s", want)
	}
}

// draftForm is a draft's stored form values.
func draftForm(t *testing.T, ts *testServer, id string) string {
	t.Helper()
	d, err := ts.db.FindDraft(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d.Form
}

// TestCompletionOfAnArea: a completion request may name an area of
// fk7810 that is a question of its own on the paper form (64,
// andningsfunktion), and the form marks its question.
func TestCompletionOfAnArea(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	doctor := ts.session(t, "physician")
	b, err := os.ReadFile(filepath.Join("..", "examples", "fk7810", "valid", "adult-stroke-all-activity-areas.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	json.Unmarshal(b, &doc)
	doc["issuer"].(map[string]any)["unit"].(map[string]any)["hsaId"] = unit // the physician's
	b, _ = json.Marshal(doc)
	resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates", b)
	var created struct{ ID string }
	if json.Unmarshal(body, &created); resp.StatusCode != 201 {
		t.Fatalf("submit: %d %s", resp.StatusCode, body)
	}
	resp, body = ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+created.ID+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "70.9", "text": "?"}]}`))
	wantProblem(t, "an id the template does not have", resp, body, 422, "/complements/0/questionId", "unknownQuestion")
	resp, body = ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+created.ID+"/messages", []byte(`{"type": "KOMPLT", "text": "Vi behöver veta mer om andningen.", "complements": [{"questionId": "64", "text": "Beskriv andningen i vila."}]}`))
	if resp.StatusCode != 201 {
		t.Fatalf("asking about area 64: %d %s", resp.StatusCode, body)
	}
	resp, _ = ts.page(t, doctor, "POST", "/certificates/"+created.ID+"/complete", url.Values{})
	_, page := ts.page(t, doctor, "GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(page, `id="complement-8"`) || !strings.Contains(page, "Andning") || !strings.Contains(page, "Beskriv andningen i vila.") {
		t.Errorf("the completion form does not mark question 8 with area 64's request")
	}
	// The request's own words, and a screen reader hears the question's
	// request with the question.
	if !strings.Contains(page, "Försäkringskassan skriver: Vi behöver veta mer om andningen.") {
		t.Error("the completion form leaves out the request's words")
	}
	if !regexp.MustCompile(`aria-describedby="complement-8\b`).MatchString(page) {
		t.Error("question 8's inputs are not described by its request")
	}
}

// TestLifecycleExamples posts the lifecycle examples as their README says.
func TestLifecycleExamples(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("..", "examples", "lifecycle", name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	for _, step := range []struct{ ask, answer string }{{"completion-request.json", "answer-cannot-complete.json"}, {"contact-request.json", "answer-text.json"}} {
		resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", read(step.ask))
		var m intake.Message
		if json.Unmarshal(body, &m); resp.StatusCode != 201 {
			t.Fatalf("%s: %d %s", step.ask, resp.StatusCode, body)
		}
		if resp, body := ts.do(t, "clinic", "POST", "/api/v1/messages/"+m.ID+"/answer", read(step.answer)); resp.StatusCode != 200 {
			t.Errorf("%s: %d %s", step.answer, resp.StatusCode, body)
		}
	}
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+id+"/revoke", read("revoke-wrong-patient.json")); resp.StatusCode != 200 {
		t.Errorf("revoke: %d %s", resp.StatusCode, body)
	}
}

// TestAnswerPage: a physician's answer on the certificate page comes back
// with its problem next to it (422), and a good one is stored.
func TestAnswerPage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	doctor := ts.session(t, "physician")
	id := ts.submit(t, "valid/full-time-one-period.json")
	_, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(`{"type": "KONTKT", "text": "Kan vi ringa?"}`))
	var m intake.Message
	json.Unmarshal(body, &m)
	// The open message names its patient as people read them.
	if _, page := ts.page(t, doctor, "GET", "/messages", nil); !strings.Contains(page, "<td>Karin Johansson, 19780614-2381</td>") ||
		!strings.Contains(page, `#message-`+m.ID+`">Visa<span class="visually-hidden"> kontakt`) || strings.Contains(page, `">`+id+`</a>`) {
		t.Errorf("the messages page does not name the patient, or links the certificate by its id:\n%s", page)
	}
	resp, page := ts.page(t, doctor, "POST", "/messages/"+m.ID+"/answer", url.Values{"text": {"  "}})
	if resp.StatusCode != 422 || !strings.Contains(page, `id="answer-errors-`+m.ID+`"`) {
		t.Fatalf("a blank answer: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = ts.page(t, doctor, "POST", "/messages/"+m.ID+"/answer", url.Values{"text": {"Ja, efter kl. 14."}})
	if resp.StatusCode != 303 {
		t.Fatalf("an answer: %d", resp.StatusCode)
	}
	_, page = ts.page(t, doctor, "GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(page, "Ja, efter kl. 14.") || !strings.Contains(page, "Besvarad") {
		t.Error("the answer is not on the certificate page")
	}
	if !strings.Contains(page, `id="done-notice">Svaret är skickat till Försäkringskassan.<`) {
		t.Error("the certificate page does not say that the answer was sent")
	}
	_, page = ts.page(t, doctor, "GET", "/messages", nil)
	if !strings.Contains(page, `id="no-messages"`) {
		t.Error("the answered message is still among the open ones")
	}
	// "Kan inte komplettera" with an explanation and no reason: the
	// problem stands beside the reasons, not the explanation.
	_, body = ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "Ange grad."}]}`))
	json.Unmarshal(body, &m)
	resp, page = ts.page(t, doctor, "POST", "/messages/"+m.ID+"/answer", url.Values{"text": {"Patienten har flyttat."}})
	if resp.StatusCode != 422 || !strings.Contains(page, `id="reason-errors-`+m.ID+`"`) || strings.Contains(page, `id="answer-errors-`+m.ID+`"`) {
		t.Errorf("no reason: %d, want the problem beside the reasons only", resp.StatusCode)
	}
}

// TestPageNotices: the certificate page says what its form just did, and
// the receipt's "signed and sent" is for the physician who signed a
// certificate that still holds, not for a link followed later.
func TestPageNotices(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	doctor, caseworker := ts.session(t, "physician"), ts.session(t, "caseworker")
	id := ts.submit(t, "valid/full-time-one-period.json") // issued by the physician's HSA-id
	if _, page := ts.page(t, doctor, "GET", "/certificates/"+id+"?signed=1", nil); !strings.Contains(page, "Intyget är signerat och skickat.") {
		t.Error("the issuer's receipt does not say the certificate was signed and sent")
	}
	if _, page := ts.page(t, caseworker, "GET", "/certificates/"+id+"?signed=1", nil); strings.Contains(page, "Intyget är signerat och skickat.") {
		t.Error("a caseworker's page says the certificate was just signed")
	}
	// A link that claims what did not happen gets no notice.
	for _, sent := range []string{"revoked", "message", "answer"} {
		if _, page := ts.page(t, doctor, "GET", "/certificates/"+id+"?sent="+sent, nil); strings.Contains(page, `id="done-notice"`) {
			t.Errorf("?sent=%s on a certificate with no such change shows a notice", sent)
		}
	}
	resp, _ := ts.page(t, caseworker, "POST", "/certificates/"+id+"/messages", url.Values{"type": {"KONTKT"}, "text": {"Kan vi ringa?"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a message from the page: %d", resp.StatusCode)
	}
	if _, page := ts.page(t, caseworker, "GET", resp.Header.Get("Location"), nil); !strings.Contains(page, `id="done-notice">Meddelandet är skickat till vårdenheten.<`) {
		t.Error("the page does not say that the message was sent")
	}
	resp, _ = ts.page(t, doctor, "POST", "/certificates/"+id+"/revoke", url.Values{"reason": {"FEL_PATIENT"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke from the page: %d", resp.StatusCode)
	}
	_, page := ts.page(t, doctor, "GET", resp.Header.Get("Location"), nil)
	if !strings.Contains(page, `id="done-notice">Intyget är makulerat.<`) {
		t.Error("the page does not say that the certificate was revoked")
	}
	if _, page := ts.page(t, doctor, "GET", "/certificates/"+id+"?signed=1", nil); strings.Contains(page, "Intyget är signerat och skickat.") {
		t.Error("a revoked certificate's page says it was just signed and sent")
	}
}

// TestMessageListAPI: GET /api/v1/messages lists messages newest first in
// cursor pages, every unit's for caseworkers and the unit's own for a
// clinic, filtered by status and overdue (open, and replyBy before
// today), on both databases.
func TestMessageListAPI(t *testing.T) {
	dialects(t, func(t *testing.T, driver string) {
		var clock atomic.Int64
		clock.Store(testNow().UnixNano())
		now := func() time.Time { return time.Unix(0, clock.Load()).UTC() }
		tick := func(d time.Duration) { clock.Add(int64(d)) }
		ts := newTestServerClock(t, driver, now)
		ts.db.Now = now
		const example = "valid/full-time-one-period.json"
		own := ts.submit(t, example)
		other := ts.mustPost(t, "other-clinic", withUnit(t, readExample(t, example), otherUnit))
		send := func(cert, doc string) string {
			t.Helper()
			tick(time.Second)
			resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+cert+"/messages", []byte(doc))
			var m intake.Message
			if json.Unmarshal(body, &m); resp.StatusCode != 201 || m.Overdue {
				t.Fatalf("send %s: %d %s", doc, resp.StatusCode, body)
			}
			return m.ID
		}
		late := send(own, `{"type": "OVRIGT", "text": "Svar i dag?", "replyBy": "2026-11-23"}`)
		noDate := send(own, `{"type": "KONTKT", "text": "Ring."}`)
		lateOther := send(other, `{"type": "AVSTMN", "text": "Möte?", "replyBy": "2026-11-23"}`)
		dueTomorrow := send(own, `{"type": "OVRIGT", "text": "Svar i morgon?", "replyBy": "2026-11-24"}`)
		tick(24 * time.Hour) // 2026-11-24: the first and the third are overdue

		// list follows the next links and returns "id overdue" per item.
		list := func(who, query string) []string {
			t.Helper()
			var out []string
			for path := "/api/v1/messages" + query; path != ""; {
				resp, body := ts.do(t, who, "GET", path, nil)
				var page messageList
				if json.Unmarshal(body, &page); resp.StatusCode != 200 {
					t.Fatalf("%s %s: %d %s", who, path, resp.StatusCode, body)
				}
				for _, m := range page.Items {
					out = append(out, fmt.Sprintf("%s %t", m.ID, m.Overdue))
				}
				path = page.Next
			}
			return out
		}
		want := func(ids ...string) []string {
			var out []string
			for _, id := range ids {
				out = append(out, fmt.Sprintf("%s %t", id, id == late || id == lateOther))
			}
			return out
		}
		for _, tt := range []struct {
			who, query string
			want       []string
		}{
			{"caseworker", "", want(dueTomorrow, lateOther, noDate, late)},
			{"caseworker", "?limit=1", want(dueTomorrow, lateOther, noDate, late)},
			{"caseworker", "?status=open&limit=3", want(dueTomorrow, lateOther, noDate, late)},
			{"caseworker", "?overdue=true", want(lateOther, late)},
			{"caseworker", "?overdue=true&limit=1", want(lateOther, late)},
			{"clinic", "", want(dueTomorrow, noDate, late)},
			{"clinic", "?overdue=true", want(late)},
			{"other-clinic", "?status=open", want(lateOther)},
			{"caseworker", "?status=answered", nil},
		} {
			if diff := cmp.Diff(tt.want, list(tt.who, tt.query)); diff != "" {
				t.Errorf("%s %s mismatch (-want +got):\n%s", tt.who, tt.query, diff)
			}
		}
		if resp, body := ts.do(t, "clinic", "POST", "/api/v1/messages/"+late+"/answer", []byte(`{"text": "Nu."}`)); resp.StatusCode != 200 || strings.Contains(string(body), `"overdue":true`) {
			t.Fatalf("answer: %d %s", resp.StatusCode, body)
		}
		if diff := cmp.Diff([]string(nil), list("clinic", "?overdue=true")); diff != "" {
			t.Errorf("overdue after the answer (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff([]string{late + " false"}, list("caseworker", "?status=answered")); diff != "" {
			t.Errorf("answered (-want +got):\n%s", diff)
		}
		for _, query := range []string{"?status=lost", "?overdue=maybe", "?colour=red"} {
			if resp, body := ts.do(t, "caseworker", "GET", "/api/v1/messages"+query, nil); resp.StatusCode != 422 {
				t.Errorf("%s: %d %s, want 422", query, resp.StatusCode, body)
			}
		}
		// The certificate's own list carries the reply-by dates.
		if resp, body := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+own+"/messages", nil); resp.StatusCode != 200 || !strings.Contains(string(body), `"replyBy":"2026-11-24"`) {
			t.Errorf("the certificate's messages: %d %s", resp.StatusCode, body)
		}
	})
}

// TestRenewalClearsWhatTheContractSays: GET /api/v1/certificates/{id}/renewal
// is exactly a submission document: the original's envelope and answers
// without signedAt and without the questions the contract clears (fk7804:
// 1, 1.3, 26, 26.2, 32, 39, 39.2, 39.4; fk7810: 1, 1.3, 1.4, 2), every
// other answer as it was sent, and relation RENEWS.
func TestRenewalClearsWhatTheContractSays(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	for _, tt := range []struct {
		example string
		cleared []string
	}{
		{"fk7804/valid/all-optional-fields.json", []string{"basis", "basisOtherDescription", "contactRequested", "contactReason", "sickLeave", "prognosis", "prognosisReason", "prognosisMonths"}},
		{"fk7810/valid/child-autism-intellectual-disability.json", []string{"basis", "basisOtherDescription", "basisRelativeRelation", "knownSince"}},
		{"fk7810/valid/max-length-boundaries.json", []string{"basis", "basisOtherDescription", "basisRelativeRelation", "knownSince"}},
	} {
		t.Run(tt.example, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("..", "examples", tt.example))
			if err != nil {
				t.Fatal(err)
			}
			b = withUnit(t, b, unit)
			id := ts.mustPost(t, "clinic", b)
			var orig map[string]any
			json.Unmarshal(b, &orig)

			resp, body := ts.do(t, "clinic", "GET", "/api/v1/certificates/"+id+"/renewal", nil)
			var got map[string]any
			if json.Unmarshal(body, &got); resp.StatusCode != 200 {
				t.Fatalf("renewal: %d %s", resp.StatusCode, body)
			}
			want := map[string]any{"template": orig["template"], "version": orig["version"], "patient": orig["patient"], "issuer": orig["issuer"],
				"relation": map[string]any{"type": "RENEWS", "certificate": id}}
			answers := map[string]any{}
			for k, v := range orig["answers"].(map[string]any) {
				if !slices.Contains(tt.cleared, k) {
					answers[k] = v
				}
			}
			want["answers"] = answers
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("renewal mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRefusedPagesLogTheirReads: a page refused with 422 that shows the
// certificate again, or the certificate a form relates to, is a read of
// it, in the access log naming the reader; so is the API's answer with a
// completing certificate, which shows the request.
func TestRefusedPagesLogTheirReads(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	const example, patient = "valid/full-time-one-period.json", "197806142381"
	id := ts.submit(t, example)
	physician, caseworker := ts.session(t, "physician"), ts.session(t, "caseworker")
	resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages",
		[]byte(`{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "Ange grad."}]}`))
	if resp.StatusCode != 201 {
		t.Fatalf("completion request: %d %s", resp.StatusCode, body)
	}
	var m intake.Message
	json.Unmarshal(body, &m)

	reads := func() int { return len(accessEntries(t, ts, "certificate.read", patient)) }
	for _, tt := range []struct {
		name string
		who  *http.Cookie
		path string
		form url.Values
	}{
		{"a refused revocation", physician, "/certificates/" + id + "/revoke", url.Values{"reason": {"BOGUS"}}},
		{"a refused message", caseworker, "/certificates/" + id + "/messages", url.Values{"type": {"BOGUS"}}},
		{"a refused answer", physician, "/messages/" + m.ID + "/answer", url.Values{"text": {""}}},
		{"a refused completion form", physician, "/forms/fk7804/2.0", url.Values{"relation.type": {"COMPLETES"}, "relation.certificate": {id}}},
		{"a refused completion form, reviewed", physician, "/forms/fk7804/2.0/review", url.Values{"relation.type": {"COMPLETES"}, "relation.certificate": {id}}},
	} {
		before := reads()
		resp, page := ts.page(t, tt.who, "POST", tt.path, tt.form)
		if resp.StatusCode != 422 || !strings.Contains(page, id) {
			t.Errorf("%s: %d, want 422 showing %s", tt.name, resp.StatusCode, id)
		}
		if after := accessEntries(t, ts, "certificate.read", patient); len(after) != before+1 || after[0].CertificateID != id || after[0].Name == "" {
			t.Errorf("%s: %d certificate.read entries for the patient after %d, want one more naming the reader and %s", tt.name, len(after), before, id)
		}
	}

	resp, body = ts.do(t, "clinic", "POST", "/api/v1/messages/"+m.ID+"/answer", relatedExample(t, example, intake.RelationCompletes, id, nil))
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Ange grad.") {
		t.Fatalf("answer with a completing certificate: %d %s", resp.StatusCode, body)
	}
	if es := accessEntries(t, ts, "message.answer", patient); len(es) != 1 || es[0].CertificateID != id || es[0].TokenID == "" {
		t.Errorf("message.answer entries = %+v, want one naming the token and %s", es, id)
	}
}

// TestMessageAtTheContractsLimits: a completion request of 20 complements
// and a text, each of 3,500 characters, every one escaped as a JSON
// library may send it, is accepted.
func TestMessageAtTheContractsLimits(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	text := strings.Repeat(`\u00e4`, 3500)
	items := make([]string, 20)
	for i := range items {
		items[i] = `{"questionId": "32", "text": "` + text + `"}`
	}
	body := []byte(`{"type": "KOMPLT", "text": "` + text + `", "complements": [` + strings.Join(items, ",") + `]}`)
	if resp, b := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", body); resp.StatusCode != 201 {
		t.Errorf("a request of %d bytes at the contract's limits: %d %.300s", len(body), resp.StatusCode, b)
	}
}

// TestMessageLineBreaksFromThePage: a message sent from the certificate
// page, whose text area allows 3,500 characters with each line break one,
// is accepted as the browser posts it, line breaks as CR LF.
func TestMessageLineBreaksFromThePage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	cw := ts.session(t, "caseworker")
	text := strings.TrimSuffix(strings.Repeat(strings.Repeat("x", 349)+"\r\n", 10), "\r\n") + "x" // 3,500 characters with its 9 line breaks
	resp, page := ts.page(t, cw, "POST", "/certificates/"+id+"/messages", url.Values{"type": {"KONTKT"}, "text": {text}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the message: %d\n%s", resp.StatusCode, page)
	}
	_, body := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/messages", nil)
	if !strings.Contains(string(body), strings.ReplaceAll(text, "\r\n", `\n`)) {
		t.Errorf("the message's text is not stored with line feeds: %.300s", body)
	}
}

// TestValidateChecksTheRelation: POST /certificates/validate runs the same
// checks as a submission, the relation to the stored original included
// (for a unit the caller may submit for), and stores nothing.
func TestValidateChecksTheRelation(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	const example = "valid/full-time-one-period.json"
	orig := ts.submit(t, example)
	validate := func(who string, typ intake.RelationType, id string) (*http.Response, []byte) {
		return ts.do(t, who, "POST", "/api/v1/certificates/validate", relatedExample(t, example, typ, id, nil))
	}
	if resp, body := validate("clinic", intake.RelationReplaces, orig); resp.StatusCode != 200 {
		t.Errorf("a valid replacement: %d %s", resp.StatusCode, body)
	}
	resp, body := validate("clinic", intake.RelationReplaces, "nope")
	wantProblem(t, "validate: unknown certificate", resp, body, 422, "/relation/certificate", "notFound")
	resp, body = validate("clinic", intake.RelationCompletes, orig)
	if resp.StatusCode != 409 || !strings.Contains(string(body), `"code":"noOpenCompletionRequest"`) {
		t.Errorf("validate: a completion without a request: %d %s, want 409 noOpenCompletionRequest", resp.StatusCode, body)
	}
	if resp, body := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+orig+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	resp, body = validate("clinic", intake.RelationReplaces, orig)
	if resp.StatusCode != 409 || !strings.Contains(string(body), `"code":"certificateRevoked"`) {
		t.Errorf("validate: a replacement of a revoked certificate: %d %s, want 409 certificateRevoked", resp.StatusCode, body)
	}
	// A caller who may not submit for the unit learns nothing of its certificates.
	if resp, body := validate("other-clinic", intake.RelationReplaces, "nope"); resp.StatusCode != 200 {
		t.Errorf("another unit's clinic: %d %s, want 200 (the relation unchecked)", resp.StatusCode, body)
	}
	if n, err := ts.db.CountCertificates(context.Background()); err != nil || n != 1 {
		t.Errorf("validate stored something: %d certificates, %v", n, err)
	}
}

// TestUntickedDetailRefused: a text entered under an impairment area, or a
// date beside a basis, whose box is not ticked is not dropped without a
// word: the form comes back with the question marked, and with the box
// ticked the review shows the text.
func TestUntickedDetailRefused(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	tmpl, v := exampleForm(t, "fk7800", "1.0", "valid/required-fields-only.json")
	area := ""
	for _, o := range tmpl.Form.Questions() {
		if o.Field != "functionalImpairments" {
			continue
		}
		for _, opt := range o.Options {
			if !slices.Contains(v["answers.functionalImpairments"], optionString(opt.Value)) {
				area = optionString(opt.Value)
			}
		}
	}
	if area == "" {
		t.Fatal("every area of the example is ticked")
	}
	v.Set("answers.functionalImpairments."+area+".text", "Text som annars inte kom med.")
	resp, page := ts.page(t, physician, "POST", "/forms/fk7800/1.0/review", v)
	if resp.StatusCode != 422 || !strings.Contains(page, "kommer inte med i intyget") {
		t.Errorf("an unticked area's text: %d, want 422 saying it is left out", resp.StatusCode)
	}
	v.Add("answers.functionalImpairments", area)
	resp, page = ts.page(t, physician, "POST", "/forms/fk7800/1.0/review", v)
	if resp.StatusCode != 200 || !strings.Contains(page, "Text som annars inte kom med.") {
		t.Errorf("the area ticked: %d, want the review with the text", resp.StatusCode)
	}
}

// exampleForm returns template id/version and the form values of its
// example file (under examples/id), as the physician form would post them.
func exampleForm(t *testing.T, id, version, file string) (*schemas.Template, url.Values) {
	t.Helper()
	tmpl, ok := mustEngine(t).Template(id, version)
	if !ok {
		t.Fatalf("no template %s %s", id, version)
	}
	b, err := os.ReadFile(filepath.Join("..", "examples", id, file))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	return tmpl, formValues(tmpl, doc)
}

// TestMessageFormErrorsBesideTheirInputs: the caseworker's message form
// brings a refused message back with each problem beside its input,
// marked for screen readers: the reply date, a question ticked without
// its text, the questions when none is ticked, and a text entered beside a
// question left unticked, which is refused rather than dropped. Nothing is
// sent until the form is right.
func TestMessageFormErrorsBesideTheirInputs(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	cw := ts.session(t, "caseworker")
	marked := func(page, input, want string) {
		t.Helper()
		tag := regexp.MustCompile(`<(input|textarea|select|fieldset)[^>]*id="` + input + `"[^>]*>`).FindString(page)
		errs := regexp.MustCompile(`(?s)<div class="error" id="` + input + `-errors">(.*?)</div>`).FindStringSubmatch(page)
		if !strings.Contains(tag, `aria-describedby="`+input+`-errors"`) || !strings.Contains(tag, `aria-invalid="true"`) ||
			errs == nil || !strings.Contains(errs[1], want) {
			t.Errorf("%s is not marked with %q beside it: %s %v", input, want, tag, errs)
		}
	}
	sent := func() int {
		t.Helper()
		ms, _, err := ts.db.FindMessages(context.Background(), intake.MessageFilter{Certificate: &id})
		if err != nil {
			t.Fatal(err)
		}
		return len(ms)
	}

	resp, page := ts.page(t, cw, "POST", "/certificates/"+id+"/messages", url.Values{
		"type": {"KOMPLT"}, "replyBy": {"2020-01-01"}, "question": {"32", "35"},
		"complement.32": {"Ange sjukskrivningsgrad för december."}, "complement.27": {"Beskriv smittan."},
	})
	if resp.StatusCode != 422 {
		t.Fatalf("a message with problems: %d, want 422", resp.StatusCode)
	}
	marked(page, "message-reply-by", "tidigare än dagens datum")
	marked(page, "complement-35", "måste fyllas i")
	marked(page, "complement-27", "fråga 27 skickas inte med")
	if !strings.Contains(page, `value="Beskriv smittan."`) {
		t.Errorf("the text beside the unticked question is not kept on the form")
	}

	resp, page = ts.page(t, cw, "POST", "/certificates/"+id+"/messages", url.Values{"type": {"KOMPLT"}})
	if resp.StatusCode != 422 || !strings.Contains(page, `<fieldset class="complement-questions" aria-describedby="question-errors">`) ||
		!regexp.MustCompile(`<div class="error" id="question-errors"><p>Välj minst en fråga att komplettera.`).MatchString(page) {
		t.Errorf("a completion request naming no question: %d, the questions not marked", resp.StatusCode)
	}

	// Only a text beside an unticked question: refused all the same.
	resp, _ = ts.page(t, cw, "POST", "/certificates/"+id+"/messages", url.Values{
		"type": {"KOMPLT"}, "question": {"32"}, "complement.32": {"Ange grad."}, "complement.35": {"Beskriv begränsningen."},
	})
	if resp.StatusCode != 422 || sent() != 0 {
		t.Errorf("a text beside an unticked question: %d, %d messages sent; want 422 and none", resp.StatusCode, sent())
	}
	resp, _ = ts.page(t, cw, "POST", "/certificates/"+id+"/messages", url.Values{
		"type": {"KOMPLT"}, "question": {"32", "35"}, "complement.32": {"Ange grad."}, "complement.35": {"Beskriv begränsningen."},
	})
	if resp.StatusCode != 303 || sent() != 1 {
		t.Errorf("the request put right: %d, %d messages; want 303 and one", resp.StatusCode, sent())
	}

	// Of another type the form hides the questions, and what it hides is
	// not sent: a question ticked before the type was changed is left
	// out, not a refusal shown where it cannot be seen.
	resp, page = ts.page(t, cw, "POST", "/certificates/"+id+"/messages", url.Values{
		"type": {"OVRIGT"}, "text": {""}, "question": {"35"}, "complement.35": {"Beskriv begränsningen."}, "complement.27": {"Smittan?"},
	})
	if resp.StatusCode != 422 || sent() != 1 || strings.Contains(page, `id="question-errors"`) || regexp.MustCompile(`id="complement-[^"]*-errors"`).MatchString(page) {
		t.Errorf("OVRIGT without its text: %d, %d messages; want 422 marking the text only", resp.StatusCode, sent())
	}
	marked(page, "message-text", "måste fyllas i")
	resp, _ = ts.page(t, cw, "POST", "/certificates/"+id+"/messages", url.Values{
		"type": {"OVRIGT"}, "text": {"Ring mig."}, "question": {"35"}, "complement.35": {"Beskriv begränsningen."},
	})
	ms, _, err := ts.db.FindMessages(context.Background(), intake.MessageFilter{Certificate: &id})
	if resp.StatusCode != 303 || err != nil || len(ms) != 2 || len(ms[1].Complements) != 0 {
		t.Errorf("OVRIGT with a question ticked before: %d, %d messages, %v; want it sent without complements", resp.StatusCode, len(ms), err)
	}
}

// TestCompletionAnswersAtOnce: two certificates sent at once as the answer
// to one completion request: one answers it, the other is refused as an
// answer to a request already answered (409 messageClosed), not as a
// completion with no request open, on either database.
func TestCompletionAnswersAtOnce(t *testing.T) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			ts := newTestServer(t, driver)
			const example = "valid/full-time-one-period.json"
			for round := range 4 {
				orig := ts.submit(t, example)
				_, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "Beskriv funktionsnedsättningen."}]}`))
				var req intake.Message
				json.Unmarshal(body, &req)
				const answers = 4
				codes, problems := make([]int, answers), make([]string, answers)
				var wg sync.WaitGroup
				for i := range answers {
					wg.Go(func() {
						resp, body := ts.do(t, "clinic", "POST", "/api/v1/messages/"+req.ID+"/answer", relatedExample(t, example, intake.RelationCompletes, orig, nil))
						var p ProblemDocument
						json.Unmarshal(body, &p)
						codes[i], problems[i] = resp.StatusCode, p.Code
					})
				}
				wg.Wait()
				answered := 0
				for i := range answers {
					switch {
					case codes[i] == 200:
						answered++
					case codes[i] != 409 || problems[i] != "messageClosed":
						t.Errorf("round %d, answer %d: %d %s, want 200 or 409 messageClosed", round, i, codes[i], problems[i])
					}
				}
				if answered != 1 {
					t.Errorf("round %d: %d answers went through, want 1", round, answered)
				}
			}
		})
	}
}

// TestMessageIdempotencyKey: a caseworker's system that sends a message
// again under its Idempotency-Key (its first answer lost) gets the message
// first sent, not a second one to the unit, through any of the agency's
// tokens; the key with another body or certificate is refused.
func TestMessageIdempotencyKey(t *testing.T) {
	for _, driver := range []string{store.SQLite, store.Postgres} {
		t.Run(driver, func(t *testing.T) {
			ts := newTestServer(t, driver)
			const example = "valid/full-time-one-period.json"
			orig, other := ts.submit(t, example), ts.submit(t, example)
			secret, _, err := ts.db.CreateToken(context.Background(), intake.RoleCaseworker, "", "second caseworker system")
			if err != nil {
				t.Fatal(err)
			}
			ts.tokens["caseworker-2"] = secret
			body := []byte(`{"type": "KONTKT", "text": "Ring mig.", "replyBy": "2099-12-10"}`)
			send := func(who, id, key string, body []byte) (*http.Response, intake.Message) {
				t.Helper()
				resp, b := ts.do(t, who, "POST", "/api/v1/certificates/"+id+"/messages", body, "Idempotency-Key", key)
				var m intake.Message
				json.Unmarshal(b, &m)
				if resp.StatusCode == 201 && m.ID == "" {
					t.Fatalf("201 without a message: %s", b)
				}
				return resp, m
			}
			count := func(id string) int {
				t.Helper()
				_, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/messages", nil)
				var list struct{ Items []intake.Message }
				json.Unmarshal(b, &list)
				return len(list.Items)
			}

			resp, first := send("caseworker", orig, "k-1", body)
			if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "" {
				t.Fatalf("first: %d, replayed %q", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"))
			}
			resp, again := send("caseworker", orig, "k-1", body)
			if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" || again.ID != first.ID {
				t.Errorf("retry: %d, replayed %q, id %s, want 201, true, %s", resp.StatusCode, resp.Header.Get("Idempotent-Replayed"), again.ID, first.ID)
			}
			resp, b := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "KONTKT", "text": "Ring mig i morgon."}`), "Idempotency-Key", "k-1")
			wantProblem(t, "the key with another body", resp, b, 409, "", "idempotencyKeyReused")
			// A body that is no valid message is its 422 first, key or not.
			resp, b = ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "X"}`), "Idempotency-Key", "k-1")
			wantProblem(t, "an invalid body under the key", resp, b, 422, "/type", "enum")
			resp, b = ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+other+"/messages", body, "Idempotency-Key", "k-1")
			wantProblem(t, "the key on another certificate", resp, b, 409, "", "idempotencyKeyReused")
			if !bytes.Contains(b, []byte(`"detail":"`+intake.Text("idempotency.keyReusedMessage", "sv")+`"`)) {
				t.Errorf("the refusal does not say the key was used for another certificate: %s", b)
			}
			// The key is the agency's: a retry through another of its
			// tokens (one rotated in) is a replay.
			if resp, m := send("caseworker-2", orig, "k-1", body); resp.StatusCode != 201 || m.ID != first.ID || resp.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("the retry through another token: %d, id %s, want a replay of %s", resp.StatusCode, m.ID, first.ID)
			}
			if n := count(orig); n != 1 {
				t.Errorf("%d messages, want 1", n)
			}
			if n := count(other); n != 0 {
				t.Errorf("%d messages on the other certificate, want 0", n)
			}

			// Sent at once under one key: one message.
			const tries = 8
			ids := make([]string, tries)
			var wg sync.WaitGroup
			for i := range tries {
				wg.Go(func() {
					resp, m := send("caseworker", other, "k-2", body)
					if resp.StatusCode != 201 {
						t.Errorf("try %d at once: %d", i, resp.StatusCode)
					}
					ids[i] = m.ID
				})
			}
			wg.Wait()
			for i := range tries {
				if ids[i] != ids[0] {
					t.Errorf("try %d at once: message %s, try 0's %s", i, ids[i], ids[0])
				}
			}
			if n := count(other); n != 1 {
				t.Errorf("%d messages after %d tries at once, want 1", n, tries)
			}

			// A retry after the certificate is revoked is still the first
			// answer; a new message is refused.
			if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+orig+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
				t.Fatalf("revoke: %d %s", resp.StatusCode, b)
			}
			if resp, m := send("caseworker", orig, "k-1", body); resp.StatusCode != 201 || m.ID != first.ID || m.Status != intake.MessageClosed {
				t.Errorf("retry after the revocation: %d, id %s status %s, want 201, %s closed", resp.StatusCode, m.ID, m.Status, first.ID)
			}
			resp, b = ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", body, "Idempotency-Key", "k-3")
			wantProblem(t, "a new key after the revocation", resp, b, 409, "", "certificateRevoked")
		})
	}
}

// TestAnswerIdempotencyKey: a clinic system that answers a message again
// under its Idempotency-Key (its first response lost) gets the answer it
// gave, marked as a replay, not 409 messageClosed, for a completing
// certificate (whose key is the unit's, as every submission's) and for a
// text answer; tries at once under one key answer once; the key with
// another body or message is 409 idempotencyKeyReused, and a retry without
// a key is 409 messageClosed as before.
func TestAnswerIdempotencyKey(t *testing.T) {
	dialects(t, func(t *testing.T, driver string) {
		ts := newTestServer(t, driver)
		const example = "valid/full-time-one-period.json"
		ask := func(cert, doc string) string { return ts.ask(t, cert, doc) }
		const completion = `{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "Beskriv funktionsnedsättningen."}]}`
		answer := func(id, key string, body []byte) (*http.Response, intake.Message, []byte) {
			t.Helper()
			var header []string
			if key != "" {
				header = []string{"Idempotency-Key", key}
			}
			resp, b := ts.do(t, "clinic", "POST", "/api/v1/messages/"+id+"/answer", body, header...)
			var m intake.Message
			json.Unmarshal(b, &m)
			return resp, m, b
		}
		replayed := func(resp *http.Response) bool { return resp.Header.Get("Idempotent-Replayed") == "true" }

		// A completing certificate.
		orig := ts.submit(t, example)
		req := ask(orig, completion)
		body := relatedExample(t, example, intake.RelationCompletes, orig, nil)
		resp, first, b := answer(req, "a-1", body)
		if resp.StatusCode != 200 || replayed(resp) || first.Status != intake.MessageAnswered || first.Answer == nil || first.Answer.Certificate == "" {
			t.Fatalf("first answer: %d, replayed %t: %s", resp.StatusCode, replayed(resp), b)
		}
		stored, logged := ts.count(t), len(ts.auditActions(t, "message.answer"))
		resp, again, b := answer(req, "a-1", body)
		if resp.StatusCode != 200 || !replayed(resp) || !cmp.Equal(first, again) {
			t.Errorf("retry under the key: %d, replayed %t: %s; want 200, replayed, %+v", resp.StatusCode, replayed(resp), b, first)
		}
		if n := len(ts.auditActions(t, "message.answer")); n != logged+1 {
			t.Errorf("%d message.answer entries after the retry, want %d", n, logged+1)
		}
		resp, _, b = answer(req, "", body)
		wantProblem(t, "the retry without a key", resp, b, 409, "", "messageClosed")
		resp, _, b = answer(req, "a-1", relatedExample(t, example, intake.RelationCompletes, orig, func(doc map[string]any) { doc["signedAt"] = "2026-11-22T10:00:00+01:00" }))
		wantProblem(t, "the key with another certificate", resp, b, 409, "", "idempotencyKeyReused")
		// A request sent after the certificate under the key: not answered
		// by it, so the key was used for another request.
		late := ask(orig, completion)
		resp, _, b = answer(late, "a-1", body)
		wantProblem(t, "the key on a later request", resp, b, 409, "", "idempotencyKeyReused")
		if n := ts.count(t); n != stored {
			t.Errorf("%d certificates stored by the retries, want none", n-stored)
		}

		// A text answer.
		contact := ask(orig, `{"type": "KONTKT", "text": "Ring mig."}`)
		text := []byte(`{"text": "Ja, på förmiddagen."}`)
		resp, first, b = answer(contact, "t-1", text)
		if resp.StatusCode != 200 || replayed(resp) || first.Answer == nil || first.Answer.Text != "Ja, på förmiddagen." {
			t.Fatalf("first text answer: %d, replayed %t: %s", resp.StatusCode, replayed(resp), b)
		}
		resp, again, b = answer(contact, "t-1", text)
		if resp.StatusCode != 200 || !replayed(resp) || !cmp.Equal(first, again) {
			t.Errorf("text retry under the key: %d, replayed %t: %s; want 200, replayed, %+v", resp.StatusCode, replayed(resp), b, first)
		}
		resp, _, b = answer(contact, "", text)
		wantProblem(t, "the text retry without a key", resp, b, 409, "", "messageClosed")
		resp, _, b = answer(contact, "t-1", []byte(`{"text": "Nej."}`))
		wantProblem(t, "the key with another text", resp, b, 409, "", "idempotencyKeyReused")
		other := ask(orig, `{"type": "OVRIGT", "text": "Fråga."}`)
		resp, _, b = answer(other, "t-1", text)
		wantProblem(t, "the key on another message", resp, b, 409, "", "idempotencyKeyReused")
		resp, _, b = answer(other, "t-1", []byte(`{}`))
		wantProblem(t, "an invalid answer under the key", resp, b, 422, "/text", "required")
		if resp, m, b := answer(other, "t-2", text); resp.StatusCode != 200 || replayed(resp) || m.Answer == nil {
			t.Errorf("another message under a new key: %d %s", resp.StatusCode, b)
		}

		// Tries at once under one key: one answer, the others its replays.
		const tries = 6
		for _, tt := range []struct {
			name    string
			message func() string
			body    func(cert string) []byte
		}{
			{"certificate", func() string { return completion }, func(cert string) []byte { return relatedExample(t, example, intake.RelationCompletes, cert, nil) }},
			{"text", func() string { return `{"type": "AVSTMN", "text": "Möte?"}` }, func(string) []byte { return text }},
		} {
			cert := ts.submit(t, example)
			id, body := ask(cert, tt.message()), tt.body(cert)
			before := ts.count(t)
			codes, fresh, answers := make([]int, tries), make([]bool, tries), make([]intake.Message, tries)
			var wg sync.WaitGroup
			for i := range tries {
				wg.Go(func() {
					resp, m, _ := answer(id, "at-once-"+tt.name, body)
					codes[i], fresh[i], answers[i] = resp.StatusCode, !replayed(resp), m
				})
			}
			wg.Wait()
			n := 0
			for i := range tries {
				if codes[i] != 200 || !cmp.Equal(answers[i].Answer, answers[0].Answer) {
					t.Errorf("%s, try %d at once: %d, answer %+v, try 0's %+v", tt.name, i, codes[i], answers[i].Answer, answers[0].Answer)
				}
				if fresh[i] {
					n++
				}
			}
			if n != 1 {
				t.Errorf("%s: %d of %d tries at once not replays, want 1", tt.name, n, tries)
			}
			if stored := ts.count(t) - before; tt.name == "certificate" && stored != 1 {
				t.Errorf("%d certificates stored by %d tries at once, want 1", stored, tries)
			}
		}
	})
}

// TestMessageFormSentTwice: the caseworker's message form sent twice (a
// second click) is one message; changed and sent again, it is another.
func TestMessageFormSentTwice(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	cw := ts.session(t, "caseworker")
	_, page := ts.page(t, cw, "GET", "/certificates/"+id, nil)
	m := regexp.MustCompile(`name="submission" value="([^"]+)"`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("the message form has no key:\n%s", page)
	}
	form := url.Values{"type": {"KONTKT"}, "text": {"Ring mig."}, "submission": {m[1]}}
	for i := range 2 {
		if resp, page := ts.page(t, cw, "POST", "/certificates/"+id+"/messages", form); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("send %d: %d\n%s", i, resp.StatusCode, page)
		}
	}
	count := func() int {
		_, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/messages", nil)
		var list struct{ Items []intake.Message }
		json.Unmarshal(b, &list)
		return len(list.Items)
	}
	if n := count(); n != 1 {
		t.Errorf("%d messages after the form was sent twice, want 1", n)
	}
	form.Set("text", "Ring mig i morgon.")
	if resp, page := ts.page(t, cw, "POST", "/certificates/"+id+"/messages", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("the changed form: %d\n%s", resp.StatusCode, page)
	}
	if n := count(); n != 2 {
		t.Errorf("%d messages after the changed form, want 2", n)
	}
	if n := len(ts.auditActions(t, "message.send")); n != 2 {
		t.Errorf("%d message.send entries in the access log, want 2 (one a message sent)", n)
	}
}

// TestAnswerFormSentTwice: the physician's answer form sent twice (a
// second click, a post repeated after a lost answer) is one answer, and
// the second post is shown the answered message as the first was; changed
// and sent again, it is refused as the message is answered.
func TestAnswerFormSentTwice(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	id := ts.submit(t, "valid/full-time-one-period.json")
	doctor := ts.session(t, "physician")
	for _, tt := range []struct {
		name, message string
		form          url.Values
	}{
		{"a text answer", `{"type": "KONTKT", "text": "Kan vi ringa?"}`, url.Values{"text": {"Ja, efter kl. 14."}}},
		{"cannot complete", `{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "Ange grad."}]}`,
			url.Values{"cannotComplete": {"NO_FURTHER_MED_INFO"}, "text": {"Inga nya uppgifter finns."}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+id+"/messages", []byte(tt.message))
			var m intake.Message
			if err := json.Unmarshal(body, &m); err != nil || m.ID == "" {
				t.Fatalf("message: %v %s", err, body)
			}
			_, page := ts.page(t, doctor, "GET", "/certificates/"+id, nil)
			k := regexp.MustCompile(`action="/messages/` + m.ID + `/answer" data-keep>\s*(?:\{\{[^}]*\}\})?[^<]*<input type="hidden" name="submission" value="([^"]+)"`).FindStringSubmatch(page)
			if k == nil {
				t.Fatalf("the answer form has no key:\n%s", page)
			}
			form := maps.Clone(tt.form)
			form.Set("submission", k[1])
			want := "/certificates/" + id + "?sent=answer#message-" + m.ID
			for i := range 2 {
				resp, page := ts.page(t, doctor, "POST", "/messages/"+m.ID+"/answer", form)
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
					t.Fatalf("send %d: %d to %q, want 303 to %s\n%s", i, resp.StatusCode, resp.Header.Get("Location"), want, page)
				}
			}
			_, b := ts.do(t, "clinic", "GET", "/api/v1/messages/"+m.ID, nil)
			var got intake.Message
			json.Unmarshal(b, &got)
			if got.Status != intake.MessageAnswered || got.Answer == nil || got.Answer.Text != tt.form.Get("text") {
				t.Errorf("after the form was sent twice: %s", b)
			}
			// Changed and sent again (back in the browser's history):
			// the message is answered.
			form.Set("text", "Något annat.")
			if resp, _ := ts.page(t, doctor, "POST", "/messages/"+m.ID+"/answer", form); resp.StatusCode != http.StatusConflict {
				t.Errorf("the changed form: %d, want 409", resp.StatusCode)
			}
			// Without the key (an old page), a second post stays 409.
			form.Del("submission")
			if resp, _ := ts.page(t, doctor, "POST", "/messages/"+m.ID+"/answer", form); resp.StatusCode != http.StatusConflict {
				t.Errorf("without a key: %d, want 409", resp.StatusCode)
			}
		})
	}
	var events int
	_, b := ts.do(t, "caseworker", "GET", "/api/v1/certificates/"+id+"/events", nil)
	var list struct{ Items []intake.Event }
	json.Unmarshal(b, &list)
	for _, e := range list.Items {
		if e.Type == "messageAnswered" {
			events++
		}
	}
	if events != 2 {
		t.Errorf("%d messageAnswered events, want 2 (one per message)", events)
	}
}

// TestSignTheReviewedSave: a review signed after the draft was saved again
// (an old review brought back by the browser, or another tab's) is not
// signed as reviewed, which would have dropped the later save: the
// physician is shown the review of the draft as it is now, and signs that.
func TestSignTheReviewedSave(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	_, v := exampleForm(t, "fk7804", "2.0", "valid/full-time-one-period.json")
	v.Set("answers.otherInformation", "VERSION 1")
	draft, _, signOld := reviewToSign(t, ts, physician, v)

	// Changed and saved since (the form, back from the review).
	edit := maps.Clone(signOld)
	edit.Set("answers.otherInformation", "VERSION 2")
	if resp, b := ts.page(t, physician, "POST", "/forms/fk7804/2.0/draft", edit); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, b)
	}
	resp, _ := ts.page(t, physician, "POST", "/forms/fk7804/2.0", signOld)
	if want := "/drafts/" + draft + "/review?changed=1"; resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("signing the old review: %d to %s, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}
	if n := ts.count(t); n != 0 {
		t.Fatalf("signing the old review stored %d certificates", n)
	}
	_, now := ts.page(t, physician, "GET", "/drafts/"+draft+"/review?changed=1", nil)
	if !strings.Contains(now, `id="review-changed"`) || !strings.Contains(now, "VERSION 2") || strings.Contains(now, "VERSION 1") {
		t.Fatalf("the review after the refusal does not say so, or does not show the draft's last save:\n%s", now)
	}
	signNew := maps.Clone(edit)
	signNew.Set("draftSaved", reviewedSave(t, now))
	resp, _ = ts.page(t, physician, "POST", "/forms/fk7804/2.0", signNew)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/certificates/") {
		t.Fatalf("signing the new review: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	id, _, _ := strings.Cut(strings.TrimPrefix(resp.Header.Get("Location"), "/certificates/"), "?")
	if c := ts.receiptCertificate(t, id); c.Answers["otherInformation"] != "VERSION 2" {
		t.Errorf("signed %v, want VERSION 2", c.Answers["otherInformation"])
	}
}

// TestChangedSinceReviewAndNotValid: signing an old review after a save
// that does not pass review still says why it was not signed, on the
// form with the save's problems.
func TestChangedSinceReviewAndNotValid(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	physician := ts.session(t, "physician")
	_, v := exampleForm(t, "fk7804", "2.0", "valid/full-time-one-period.json")
	_, _, signOld := reviewToSign(t, ts, physician, v)
	edit := maps.Clone(signOld)
	edit.Del("answers.activityLimitation.text") // required
	if resp, b := ts.page(t, physician, "POST", "/forms/fk7804/2.0/draft", edit); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d %s", resp.StatusCode, b)
	}
	resp, _ := ts.page(t, physician, "POST", "/forms/fk7804/2.0", signOld)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasSuffix(resp.Header.Get("Location"), "/review?changed=1") {
		t.Fatalf("signing the old review: %d to %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page := ts.page(t, physician, "GET", resp.Header.Get("Location"), nil)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="certificate-form"`) || !strings.Contains(page, `id="review-changed"`) {
		t.Errorf("the draft's review after the refusal: %d, want 422, the form with its problems and why it was not signed\n%s", resp.StatusCode, page)
	}
	if n := ts.count(t); n != 0 {
		t.Errorf("%d certificates stored, want none", n)
	}
}

// TestReviewChecksTheRelation: a replacement of a certificate that has
// got an open completion request since is refused at the review, on the
// form with why (409), not once the physician signs it.
func TestReviewChecksTheRelation(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	doctor := ts.session(t, "physician")
	orig := ts.submit(t, "valid/full-time-one-period.json")
	resp, _ := ts.page(t, doctor, "POST", "/certificates/"+orig+"/replace", url.Values{})
	draft := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(draft, "/drafts/") {
		t.Fatalf("replace: %d %s", resp.StatusCode, draft)
	}
	if resp, b := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+orig+"/messages", []byte(`{"type": "KOMPLT", "complements": [{"questionId": "32", "text": "Ange grad."}]}`)); resp.StatusCode != 201 {
		t.Fatalf("completion request: %d %s", resp.StatusCode, b)
	}
	values, _ := url.ParseQuery(draftForm(t, ts, strings.TrimPrefix(draft, "/drafts/")))
	values.Set("draft", strings.TrimPrefix(draft, "/drafts/"))
	resp, page := ts.page(t, doctor, "POST", "/forms/fk7804/2.0/review", values)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, `id="certificate-form"`) || !strings.Contains(page, "obesvarad begäran om komplettering") {
		t.Errorf("review of a replacement with a completion request open: %d, want 409 with the form and why\n%s", resp.StatusCode, page)
	}
	if n := ts.count(t); n != 1 {
		t.Errorf("%d certificates, want the original alone", n)
	}
}

// TestMessageRefusedOnThePage: a message refused for the certificate's
// state (revoked since the page was shown) comes back on the page, 409,
// with why beside the message as typed, not on an error page.
func TestMessageRefusedOnThePage(t *testing.T) {
	ts := newTestServer(t, store.SQLite)
	orig := ts.submit(t, "valid/full-time-one-period.json")
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates/"+orig+"/revoke", []byte(`{"reason": "FEL_PATIENT"}`)); resp.StatusCode != 200 {
		t.Fatalf("revoke: %d %s", resp.StatusCode, b)
	}
	cw := ts.session(t, "caseworker")
	resp, page := ts.page(t, cw, "POST", "/certificates/"+orig+"/messages", url.Values{"type": {"KONTKT"}, "text": {"Ring mig i morgon."}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, `id="message-errors"`) || !strings.Contains(page, "makulerat") || !strings.Contains(page, "Ring mig i morgon.") {
		t.Errorf("the page's message about a revoked certificate: %d, want 409 with why beside the message as typed\n%s", resp.StatusCode, page)
	}
}

// withoutField is fk7804 2.0's folder as a version 2.1 that no longer asks
// the question bound to field: the schema's property, the form's question
// and every mention in template.json (its rules, the employer's copy) gone.
func withoutField(t *testing.T, field string) fstest.MapFS {
	t.Helper()
	fsys := fstest.MapFS{}
	var drop func(v any) any
	drop = func(v any) any {
		switch v := v.(type) {
		case map[string]any:
			delete(v, field)
			for k, e := range v {
				v[k] = drop(e)
			}
		case []any:
			out := []any{}
			for _, e := range v {
				if e == field || e == "/answers/"+field {
					continue
				}
				if q, ok := e.(map[string]any); ok && q["field"] == field {
					continue
				}
				out = append(out, drop(e))
			}
			return out
		case string:
			if v == "2.0" {
				return "2.1"
			}
		}
		return v
	}
	for _, name := range []string{"schema.json", "form.json", "template.json"} {
		b, err := fs.ReadFile(schemas.Embedded(), "fk7804/2.0/"+name)
		if err != nil {
			t.Fatal(err)
		}
		fsys["fk7804/2.0/"+name] = &fstest.MapFile{Data: b}
		var doc any
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatal(err)
		}
		out, _ := json.Marshal(drop(doc))
		fsys["fk7804/2.1/"+name] = &fstest.MapFile{Data: out}
	}
	return fsys
}

// engineWithout is an engine of fk7804 2.0 and of a 2.1 that no longer
// asks the question bound to field (withoutField).
func engineWithout(t *testing.T, field string) *intake.Engine {
	t.Helper()
	return engineOf(t, withoutField(t, field))
}

// engineOf is an engine of the templates in fsys.
func engineOf(t *testing.T, fsys fs.FS) *intake.Engine {
	t.Helper()
	reg, err := schemas.Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	icd, err := intake.LoadICD10SE(schemas.ICD10SE())
	if err != nil {
		t.Fatal(err)
	}
	eng, err := intake.NewEngine(reg, icd, 64<<10)
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// answeredOnlyIn20 is a server with fk7804 2.0 and a 2.1 without question
// 34 (engineWithout), and a 2.0 certificate that answers question 34: its
// submission and id.
func answeredOnlyIn20(t *testing.T) (*testServer, map[string]any, string) {
	t.Helper()
	ts := newTestServerEngine(t, store.SQLite, engineWithout(t, "transportToWork"), testNow)
	var doc map[string]any
	json.Unmarshal(readExample(t, "valid/full-time-one-period.json"), &doc)
	doc["answers"].(map[string]any)["transportToWork"] = true
	body, _ := json.Marshal(doc)
	return ts, doc, ts.mustPost(t, "clinic", body)
}

// TestRenewalIntoANewerVersion: a certificate renewed into a newer version
// of its template that no longer asks one of its questions is renewed
// without that answer, so that the renewal, completed, is a submission the
// newer version takes as it is (contract: posted back as it is).
func TestRenewalIntoANewerVersion(t *testing.T) {
	ts, doc, orig := answeredOnlyIn20(t)
	resp, b := ts.do(t, "clinic", "GET", "/api/v1/certificates/"+orig+"/renewal", nil)
	var renewal map[string]any
	if err := json.Unmarshal(b, &renewal); err != nil || resp.StatusCode != 200 {
		t.Fatalf("renewal: %d %s", resp.StatusCode, b)
	}
	answers := renewal["answers"].(map[string]any)
	if _, kept := answers["transportToWork"]; kept || renewal["version"] != "2.1" {
		t.Fatalf("renewal into 2.1 = version %v, answers %v; want 2.1 without transportToWork", renewal["version"], answers)
	}
	// Completed with what the renewal clears, and posted back as it is.
	for k, v := range doc["answers"].(map[string]any) {
		if _, has := answers[k]; !has && k != "transportToWork" {
			answers[k] = v
		}
	}
	renewal["signedAt"] = doc["signedAt"]
	body, _ := json.Marshal(renewal)
	if resp, b := ts.do(t, "clinic", "POST", "/api/v1/certificates", body); resp.StatusCode != 201 {
		t.Errorf("the completed renewal: %d %s", resp.StatusCode, b)
	}
}

// TestCompareAcrossVersions: a certificate of a newer version of its
// template compares with one of the older, each laid out in its own
// version; what only the older version asked is shown after the rest.
func TestCompareAcrossVersions(t *testing.T) {
	ts, doc, older := answeredOnlyIn20(t)
	delete(doc["answers"].(map[string]any), "transportToWork")
	doc["version"] = "2.1"
	doc["signedAt"] = "2026-11-21T09:00:00+01:00"
	body, _ := json.Marshal(doc)
	newer := ts.mustPost(t, "clinic", body)
	resp, page := ts.page(t, ts.session(t, "caseworker"), "GET", "/compare?id="+newer+"&id="+older, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("compare 2.0 with 2.1: %d\n%s", resp.StatusCode, page)
	}
	for _, want := range []string{"Äldre, version 2.0", "Nyare, version 2.1", "Frågor som bara version 2.0 har", `<tr class="changed"><th scope="row">34.`} {
		if !strings.Contains(page, want) {
			t.Errorf("the comparison across versions lacks %s", want)
		}
	}
}

// TestVersionInForceFromItsDay: a new version of a template, added before
// its validFrom, is offered for new certificates and renewals from that
// day, and the version it follows then no longer.
func TestVersionInForceFromItsDay(t *testing.T) {
	fsys := withoutField(t, "transportToWork")
	var tmpl map[string]any
	json.Unmarshal(fsys["fk7804/2.1/template.json"].Data, &tmpl)
	tmpl["validFrom"] = "2027-01-01"
	fsys["fk7804/2.1/template.json"].Data, _ = json.Marshal(tmpl)
	eng := engineOf(t, fsys)
	for _, tt := range []struct {
		day                time.Time
		offered, withdrawn string
	}{
		{testNow(), "2.0", "2.1"},
		{time.Date(2027, 1, 1, 8, 0, 0, 0, time.UTC), "2.1", "2.0"},
	} {
		ts := newTestServerEngine(t, store.SQLite, eng, func() time.Time { return tt.day })
		orig := ts.submit(t, "valid/full-time-one-period.json")
		_, b := ts.do(t, "clinic", "GET", "/api/v1/certificates/"+orig+"/renewal", nil)
		var renewal struct{ Version string }
		json.Unmarshal(b, &renewal)
		_, list := ts.page(t, ts.session(t, "physician"), "GET", "/forms", nil)
		if renewal.Version != tt.offered || !strings.Contains(list, "/forms/fk7804/"+tt.offered) || strings.Contains(list, "/forms/fk7804/"+tt.withdrawn) {
			t.Errorf("on %s: renewal into %q, the form list offers %s: %v and %s: %v; want %s alone", tt.day.Format(time.DateOnly), renewal.Version,
				tt.offered, strings.Contains(list, "/forms/fk7804/"+tt.offered), tt.withdrawn, strings.Contains(list, "/forms/fk7804/"+tt.withdrawn), tt.offered)
		}
	}
}

// TestAnswerKeyOneAnswer: a unit's Idempotency-Key on answers is one
// answer's, whether the answer is a text or a completing certificate: the
// key of a text answer given again with a certificate to another message,
// or of a completing certificate given again with a text, is 409
// idempotencyKeyReused (the key with another body or message), and
// nothing is stored; before, each kind looked only among its own.
func TestAnswerKeyOneAnswer(t *testing.T) {
	dialects(t, func(t *testing.T, driver string) {
		ts := newTestServer(t, driver)
		const example = "valid/full-time-one-period.json"
		ask := func(cert, doc string) string { return ts.ask(t, cert, doc) }
		answer := func(id, key string, body []byte) (*http.Response, []byte) {
			t.Helper()
			return ts.do(t, "clinic", "POST", "/api/v1/messages/"+id+"/answer", body, "Idempotency-Key", key)
		}
		open := func(id string) bool {
			t.Helper()
			m, err := ts.db.FindMessageByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return m.Status == intake.MessageOpen
		}
		const completion = `{"type": "KOMPLT", "complements": [{"questionId": "35", "text": "Beskriv funktionsnedsättningen."}]}`
		text := []byte(`{"text": "Ja, på förmiddagen."}`)

		// A text answer's key, then a completing certificate under it.
		orig := ts.submit(t, example)
		contact, request := ask(orig, `{"type": "KONTKT", "text": "Ring mig."}`), ask(orig, completion)
		if resp, b := answer(contact, "shared-1", text); resp.StatusCode != 200 {
			t.Fatalf("the text answer: %d %s", resp.StatusCode, b)
		}
		stored := ts.count(t)
		resp, b := answer(request, "shared-1", relatedExample(t, example, intake.RelationCompletes, orig, nil))
		wantProblem(t, "a certificate under a text answer's key", resp, b, 409, "", "idempotencyKeyReused")
		if n := ts.count(t); n != stored || !open(request) {
			t.Errorf("%d certificates stored, request open %t; want none stored and the request open", n-stored, open(request))
		}

		// A completing certificate's key, then a text answer under it.
		orig = ts.submit(t, example)
		request = ask(orig, completion)
		if resp, b := answer(request, "shared-2", relatedExample(t, example, intake.RelationCompletes, orig, nil)); resp.StatusCode != 200 {
			t.Fatalf("the completion: %d %s", resp.StatusCode, b)
		}
		contact = ask(orig, `{"type": "KONTKT", "text": "Ring mig."}`)
		resp, b = answer(contact, "shared-2", text)
		wantProblem(t, "a text under a completion's key", resp, b, 409, "", "idempotencyKeyReused")
		if !open(contact) {
			t.Errorf("the message answered under a completion's key, want it open")
		}
	})
}

// ask sends the caseworker's message doc about certificate cert through
// the API, and returns its id.
func (ts *testServer) ask(t *testing.T, cert, doc string) string {
	t.Helper()
	resp, body := ts.do(t, "caseworker", "POST", "/api/v1/certificates/"+cert+"/messages", []byte(doc))
	var m intake.Message
	if json.Unmarshal(body, &m); resp.StatusCode != 201 {
		t.Fatalf("message: %d %s", resp.StatusCode, body)
	}
	return m.ID
}
